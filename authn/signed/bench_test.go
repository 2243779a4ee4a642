package signed_test

import (
	"net/http"
	"testing"

	"github.com/authchain/authchain/authn"
)

// BenchmarkAuthenticate verifies a valid assertion per vendor; there is no
// cache, so every request pays the signature check (ES256 for Pomerium, IAP
// and ALB, RS256 for Teleport) and the JSON decoding of header and payload.
func BenchmarkAuthenticate(b *testing.B) {
	cases := map[string][4]string{
		"pomerium": {"X-Pomerium-Jwt-Assertion", "ec", `{}`, `{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","groups":["devs"],"exp":"+5m"}`},
		"alb": {"X-Amzn-Oidc-Data", "ec", `{"kid":"` + albKid + `","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`,
			`{"sub":"u-1","email":"alice@example.com"}`},
		"teleport": {"Teleport-Jwt-Assertion", "rsa", `{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","roles":["editor"],"exp":"+5m"}`},
	}
	strategies := vendors(b)
	for name, c := range cases {
		tok, err := mint(b, c[1], c[2], c[3], name == "alb")
		if err != nil {
			b.Fatal(err)
		}
		s := strategies[name]
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(c[0], tok)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Contributed {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}
