package signed_test

import (
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// TestConformance runs authntest's suite on each vendor's strategy, as it
// is and renamed by authn.Named, with a good assertion and bad ones of
// every kind the strategy tells apart.
func TestConformance(t *testing.T) {
	type vendorCase struct {
		header, key, hdr, claims string
		padded                   bool
		bad                      map[string][3]string // name → key, header, claims
		unsigned                 []string
	}
	cases := map[string]vendorCase{
		"pomerium": {
			header: "X-Pomerium-Jwt-Assertion", key: "ec", hdr: `{}`,
			claims:   `{"iss":"app.example.com","aud":"app.example.com","sub":"u-1","email":"alice@example.com","iat":"-1s","exp":"+5m"}`,
			unsigned: []string{"X-Pomerium-Claim-*"},
			bad: map[string][3]string{
				"expired":        {"ec", `{}`, `{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","exp":"-1m"}`},
				"other audience": {"ec", `{}`, `{"iss":"app.example.com","aud":"b.example.com","email":"alice@example.com","exp":"+1m"}`},
				"other key":      {"ec2", `{}`, `{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","exp":"+1m"}`},
			},
		},
		"iap": {
			header: "X-Goog-Iap-Jwt-Assertion", key: "ec", hdr: `{}`,
			claims:   `{"iss":"https://cloud.google.com/iap","aud":"` + iapAudience + `","sub":"accounts.google.com:1","email":"alice@example.com","iat":"-1s","exp":"+5m"}`,
			unsigned: []string{"X-Goog-Authenticated-User-Email", "X-Goog-Authenticated-User-Id"},
			bad: map[string][3]string{
				"no iat":         {"ec", `{}`, `{"iss":"https://cloud.google.com/iap","aud":"` + iapAudience + `","email":"alice@example.com","exp":"+5m"}`},
				"other audience": {"ec", `{}`, `{"iss":"https://cloud.google.com/iap","aud":"/projects/1/apps/x","email":"alice@example.com","iat":"-1s","exp":"+5m"}`},
				"rs256":          {"rsa", `{}`, `{"iss":"https://cloud.google.com/iap","aud":"` + iapAudience + `","email":"alice@example.com","iat":"-1s","exp":"+5m"}`},
			},
		},
		"alb": {
			header: "X-Amzn-Oidc-Data", key: "ec", padded: true,
			hdr:      `{"kid":"` + albKid + `","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`,
			claims:   `{"sub":"u-1","email":"alice@example.com","exp":"+2m","iss":"` + albIssuer + `"}`,
			unsigned: []string{"X-Amzn-Oidc-Identity"},
			bad: map[string][3]string{
				"other signer":   {"ec", `{"kid":"` + albKid + `","signer":"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/0a","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`, `{"email":"alice@example.com"}`},
				"header expired": {"ec", `{"kid":"` + albKid + `","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"-2m"}`, `{"email":"alice@example.com","exp":"+2m"}`},
				"unknown kid":    {"ec", `{"kid":"00000000-0000-0000-0000-000000000000","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`, `{"email":"alice@example.com"}`},
			},
		},
		"teleport": {
			header: "Teleport-Jwt-Assertion", key: "rsa", hdr: `{}`,
			claims: `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","roles":["editor"],"exp":"+5m"}`,
			bad: map[string][3]string{
				"other app":   {"rsa", `{}`, `{"iss":"teleport.example.com","aud":["https://x.example.com"],"username":"alice","exp":"+5m"}`},
				"other key":   {"rsa2", `{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","exp":"+5m"}`},
				"system role": {"rsa", `{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","roles":["system:masters"],"exp":"+5m"}`},
			},
		},
	}
	strategies := vendors(t)
	for name, vc := range cases {
		mintOrFail := func(key, hdr, claims string) string {
			tok, err := mint(t, key, hdr, claims, vc.padded)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		good := mintOrFail(vc.key, vc.hdr, vc.claims)
		cfg := authntest.Config{
			Good:    authntest.Credential{Name: "assertion", Request: []authntest.RequestOption{authntest.WithHeader(vc.header, good)}},
			Headers: append([]string{vc.header}, vc.unsigned...),
			Secrets: []string{good},
		}
		for badName, b := range vc.bad {
			tok := mintOrFail(b[0], b[1], b[2])
			cfg.Bad = append(cfg.Bad, authntest.Credential{Name: badName, Request: []authntest.RequestOption{authntest.WithHeader(vc.header, tok)}})
			cfg.Secrets = append(cfg.Secrets, tok)
		}
		s := strategies[name]
		t.Run(name, func(t *testing.T) { authntest.Conformance(t, s, cfg) })
		t.Run(name+"/named", func(t *testing.T) { authntest.Conformance(t, authn.Named("edge", s), cfg) })
	}
}
