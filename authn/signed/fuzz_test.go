package signed_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokentest"
)

// FuzzAssertion feeds arbitrary header values to every vendor's strategy,
// which share one verification core. It must never panic, never quote the
// value in a reason, never set an Actor, and contribute only for a value
// whose signature golang-jwt's own Parse accepts with the proxy's public
// key under the vendor's one algorithm.
func FuzzAssertion(f *testing.F) {
	k := tokentest.Keys()
	seeds := []struct {
		key, hdr, claims string
		padded           bool
	}{
		{"ec", `{}`, `{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","exp":"+5m"}`, false},
		{"ec", `{}`, `{"iss":"https://cloud.google.com/iap","aud":"` + iapAudience + `","email":"a@example.com","iat":"-1s","exp":"+5m"}`, false},
		{"ec", `{"kid":"` + albKid + `","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`, `{"email":"alice@example.com"}`, true},
		{"rsa", `{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","exp":"+5m"}`, false},
		{"hs256-pub", `{}`, `{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","exp":"+5m"}`, false},
		{"none", `{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","exp":"+5m"}`, false},
	}
	for _, s := range seeds {
		tok, err := mint(f, s.key, s.hdr, s.claims, s.padded)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add(tokentest.Raw(`{"alg":"ES256"}`, `{"iss":"app.example.com","aud":[]}`, ""))
	f.Add("a.b.c")
	strategies := vendors(f)
	f.Fuzz(func(t *testing.T, value string) {
		for name, s := range strategies {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header["X-Pomerium-Jwt-Assertion"] = []string{value}
			r.Header["X-Goog-Iap-Jwt-Assertion"] = []string{value}
			r.Header["X-Amzn-Oidc-Data"] = []string{value}
			r.Header["Teleport-Jwt-Assertion"] = []string{value}
			d := s.Authenticate(r, authn.Principal{})
			if len(value) >= 16 && (strings.Contains(d.Reason, value) || strings.Contains(d.Detail, value)) {
				t.Fatalf("%s: reason quotes the assertion: %q", name, d.Reason)
			}
			if d.Outcome != authn.Contributed {
				continue
			}
			if d.Principal.Actor != nil {
				t.Fatalf("%s set an Actor", name)
			}
			opts := []gojwt.ParserOption{gojwt.WithoutClaimsValidation()}
			var key any = &k.EC.PublicKey
			switch name {
			case "teleport":
				opts, key = append(opts, gojwt.WithValidMethods([]string{"RS256"})), &k.RSA.PublicKey
			case "alb":
				opts = append(opts, gojwt.WithValidMethods([]string{"ES256"}), gojwt.WithPaddingAllowed())
			default:
				opts = append(opts, gojwt.WithValidMethods([]string{"ES256"}))
			}
			if _, err := gojwt.Parse(value, func(*gojwt.Token) (any, error) { return key, nil }, opts...); err != nil {
				t.Fatalf("%s contributed for an assertion golang-jwt refuses: %v", name, err)
			}
		}
	})
}
