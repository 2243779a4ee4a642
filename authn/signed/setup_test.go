package signed_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"text/template"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/signed"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/tokentest"
)

// The configuration every test of a vendor uses.
const (
	route       = "app.example.com"
	iapAudience = "/projects/123456789/global/backendServices/987654321"
	albARN      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
	albIssuer   = "https://idp.example.com"
	albClient   = "client-1"
	albKid      = "8f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f"
	cluster     = "teleport.example.com"
	appURI      = "https://grafana.example.com"
)

// staticKeys holds the public halves of tokentest's RSA and EC keys.
func staticKeys(t testing.TB) jwks.KeySet {
	t.Helper()
	keys, err := jwks.Static(tokentest.StaticJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// albEndpoint serves tokentest's EC key as albKid, and 404 for any other
// kid, as AWS's regional endpoint would; fetched counts the requests.
type albEndpoint struct{ fetched int }

func (e *albEndpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	e.fetched++
	want := "https://public-keys.auth.elb.eu-west-1.amazonaws.com/" + albKid
	if r.URL.String() != want {
		return &http.Response{StatusCode: http.StatusNotFound, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	der, err := x509.MarshalPKIXPublicKey(&tokentest.Keys().EC.PublicKey)
	if err != nil {
		return nil, err
	}
	body := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

func albKeys(t testing.TB, e *albEndpoint) *signed.ALBKeySet {
	t.Helper()
	keys, err := signed.ALBKeys("eu-west-1", signed.WithALBHTTPClient(&http.Client{Transport: e}))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// vendors builds each vendor's strategy as the tests configure it.
func vendors(t testing.TB) map[string]*signed.Strategy {
	t.Helper()
	now := signed.WithClock(tokentest.Now)
	keys := staticKeys(t)
	must := func(s *signed.Strategy, err error) *signed.Strategy {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return map[string]*signed.Strategy{
		"pomerium": must(signed.Pomerium(keys, route, now, signed.WithGroupsPrefix("pomerium:"))),
		"iap":      must(signed.IAP(keys, iapAudience, now)),
		"alb": must(signed.ALB(albKeys(t, &albEndpoint{}),
			signed.ALBTarget{LoadBalancerARN: albARN, Issuer: albIssuer, ClientID: albClient}, now)),
		"teleport": must(signed.Teleport(keys, cluster, appURI, now, signed.WithTraits("logins"))),
	}
}

// mint signs claims under header with the key named: "ec" (the proxy's),
// "ec2" (a key the proxy does not publish, under the proxy's kid), "rsa",
// "rsa2" (likewise, under the kid of "rsa"), "hs256-pub" (HS256 keyed with
// the proxy's public key in PEM, the alg confusion attack) or "none" (no signature). Header and claims are JSON;
// a string iat, nbf or exp such as "+1m" is relative to tokentest.Now, in
// the header too. With padded, the segments keep base64 padding, as ALB
// writes them.
func mint(t testing.TB, keyName, headerJSON, claimsJSON string, padded bool) (string, error) {
	header, err := authntest.ParseClaims(headerJSON, tokentest.Now())
	if err != nil {
		return "", err
	}
	claims, err := authntest.ParseClaims(claimsJSON, tokentest.Now())
	if err != nil {
		return "", err
	}
	k := tokentest.Keys()
	ecKID := tokentest.KubeKID(t, &k.EC.PublicKey)
	var method gojwt.SigningMethod
	var key any
	switch keyName {
	case "ec":
		method, key = gojwt.SigningMethodES256, k.EC
	case "ec2":
		method, key = gojwt.SigningMethodES256, k.EC2
	case "rsa":
		method, key = gojwt.SigningMethodRS256, k.RSA
		ecKID = tokentest.KubeKID(t, &k.RSA.PublicKey)
	case "rsa2":
		method, key = gojwt.SigningMethodRS256, k.RSA2
		ecKID = tokentest.KubeKID(t, &k.RSA.PublicKey)
	case "hs256-pub":
		der, err := x509.MarshalPKIXPublicKey(&k.EC.PublicKey)
		if err != nil {
			return "", err
		}
		method, key = gojwt.SigningMethodHS256, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	case "none":
		method, key = gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType
	default:
		return "", fmt.Errorf("unknown key %q", keyName)
	}
	full := map[string]any{"alg": method.Alg(), "typ": "JWT", "kid": ecKID}
	for name, v := range header {
		full[name] = v
	}
	enc := base64.RawURLEncoding
	if padded {
		enc = base64.URLEncoding
	}
	var segs [2]string
	for i, v := range []any{full, claims} {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		segs[i] = enc.EncodeToString(b)
	}
	data := segs[0] + "." + segs[1]
	sig, err := method.Sign(data, key)
	if err != nil {
		return "", err
	}
	return data + "." + enc.EncodeToString(sig), nil
}

// mintFuncs are the request functions of the golden cases:
// {{sign KEY HEADER CLAIMS}} and {{signPadded KEY HEADER CLAIMS}}.
func mintFuncs(t testing.TB) template.FuncMap {
	return template.FuncMap{
		"sign": func(key, header, claims string) (string, error) { return mint(t, key, header, claims, false) },
		"signPadded": func(key, header, claims string) (string, error) {
			return mint(t, key, header, claims, true)
		},
	}
}
