package signed_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/signed"
	"github.com/authchain/authchain/internal/tokentest"
)

// exampleT stands in for a test's t where an example mints assertions:
// a failure panics, which fails the example.
var exampleT testing.TB = exampleTB{}

type exampleTB struct{ testing.TB }

func (exampleTB) Helper()                           {}
func (exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (exampleTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (exampleTB) Cleanup(func())                    {}

// authenticate runs s alone in a chain on a request carrying value in
// header, and prints who it acts for or why not.
func authenticate(s authn.Strategy, header, value string) {
	chain, err := authn.NewChain(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(header, value)
	p, _, err := chain.Authenticate(r)
	if err != nil {
		fmt.Println(authn.StatusCode(err), err)
		return
	}
	fmt.Println(p.User.Name, p.User.Groups, p.Actor == nil, p.Credential.Type)
}

func ExamplePomerium() {
	// The route's /.well-known/pomerium/jwks.json, here the test keys.
	keys, err := jwks.Static(tokentest.StaticJWKS(exampleT))
	if err != nil {
		panic(err)
	}
	s, err := signed.Pomerium(keys, "app.example.com", signed.WithGroupsPrefix("pomerium:"), signed.WithClock(tokentest.Now))
	if err != nil {
		panic(err)
	}
	assertion, _ := mint(exampleT, "ec", `{}`,
		`{"iss":"app.example.com","aud":"app.example.com","email":"alice@example.com","groups":["devs"],"exp":"+5m"}`, false)
	authenticate(s, signed.PomeriumHeader, assertion)
	// Output: alice@example.com [pomerium:devs] true pomerium
}

func ExampleIAP() {
	// The keys at signed.IAPKeysURL, here the test keys.
	keys, _ := jwks.Static(tokentest.StaticJWKS(exampleT))
	s, err := signed.IAP(keys, "/projects/123456789/global/backendServices/987654321", signed.WithClock(tokentest.Now))
	if err != nil {
		panic(err)
	}
	replayed, _ := mint(exampleT, "ec", `{}`,
		`{"iss":"https://cloud.google.com/iap","aud":"/projects/123456789/apps/other","email":"alice@example.com","iat":"-1s","exp":"+5m"}`, false)
	authenticate(s, signed.IAPHeader, replayed)
	// Output: 401 authn: iap: rejected: assertion audience not accepted
}

func ExampleIAPUnsignedHeaders() {
	keys, _ := jwks.Static(tokentest.StaticJWKS(exampleT))
	s, _ := signed.IAP(keys, "/projects/1/global/backendServices/2")
	fmt.Println(s.Headers())
	fmt.Println(signed.IAPUnsignedHeaders())
	// Output:
	// [X-Goog-Iap-Jwt-Assertion X-Goog-Authenticated-User-Email X-Goog-Authenticated-User-Id]
	// [X-Goog-Authenticated-User-Email X-Goog-Authenticated-User-Id]
}

func ExampleALB() {
	keys := albKeys(exampleT, &albEndpoint{})
	s, err := signed.ALB(keys, signed.ALBTarget{
		LoadBalancerARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
		Issuer:          "https://idp.example.com",
		ClientID:        "client-1",
	}, signed.WithClock(tokentest.Now))
	if err != nil {
		panic(err)
	}
	// ALB writes kid, signer, iss, client and exp in the JWT header, and
	// pads its segments.
	assertion, _ := mint(exampleT, "ec",
		`{"kid":"`+albKid+`","signer":"`+albARN+`","iss":"https://idp.example.com","client":"client-1","exp":"+2m"}`,
		`{"sub":"u-1","email":"alice@example.com"}`, true)
	authenticate(s, signed.ALBHeader, assertion)
	// Output: alice@example.com [] true alb
}

func ExampleALBKeys() {
	keys, err := signed.ALBKeys("eu-west-1", signed.WithALBHTTPClient(&http.Client{Transport: &albEndpoint{}}))
	if err != nil {
		panic(err)
	}
	_, err = keys.Key(context.Background(), albKid)
	fmt.Println(err)
	// A kid that is not ALB's syntax never reaches the endpoint.
	_, err = keys.Key(context.Background(), "../../etc/passwd")
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	_, err = signed.ALBKeys("eu-west-1.evil.example")
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
	// true
}

func ExampleTeleport() {
	// The proxy's /.well-known/jwks.json, here the test keys.
	keys, _ := jwks.Static(tokentest.StaticJWKS(exampleT))
	s, err := signed.Teleport(keys, "teleport.example.com", "https://grafana.example.com",
		signed.WithGroupsPrefix("teleport:"), signed.WithClock(tokentest.Now))
	if err != nil {
		panic(err)
	}
	assertion, _ := mint(exampleT, "rsa", `{}`,
		`{"iss":"teleport.example.com","aud":["https://grafana.example.com"],"username":"alice","roles":["editor"],"exp":"+5m"}`, false)
	authenticate(s, signed.TeleportHeader, assertion)
	// Output: alice [teleport:editor] true teleport
}
