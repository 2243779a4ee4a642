package authntest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
)

// exampleTB stands in for a test's t in the examples, which have none: it
// panics on a failure and runs the cleanups when done.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (*exampleTB) Helper()                           {}
func (*exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (*exampleTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (e *exampleTB) Cleanup(f func())                { e.cleanups = append(e.cleanups, f) }

// inTest runs f as a test body would run, then its cleanups.
func inTest(f func(t testing.TB)) {
	t := &exampleTB{}
	defer func() {
		for i := len(t.cleanups) - 1; i >= 0; i-- {
			t.cleanups[i]()
		}
	}()
	f(t)
}

// The request a server hands a handler, with headers spelled exactly as
// given and a peer.
func ExampleNewRequest() {
	r := authntest.NewRequest(
		authntest.WithPeer("10.0.0.7:5000"),
		authntest.WithHeader("X_Api_Key", "key-1"),
		authntest.WithBearer("token-1"),
	)
	fmt.Println(r.Method, r.URL.Path, r.RemoteAddr)
	for name, values := range r.Header {
		if name != "Authorization" {
			fmt.Println(name, values)
		}
	}
	fmt.Println(r.Header.Get("Authorization"))
	// Output:
	// GET /whoami 10.0.0.7:5000
	// X_Api_Key [key-1]
	// Bearer token-1
}

// A proxy proven by its client certificate, as strategies.Forwarded sees
// it.
func ExampleCA_ClientState() {
	inTest(func(t testing.TB) {
		ca := authntest.NewCA(t, "proxy CA")
		trust, err := strategies.TrustClientCertificate(ca.Pool(), "proxy")
		if err != nil {
			t.Fatal(err)
		}
		for _, cert := range []authntest.ClientCert{
			{CommonName: "proxy"},
			{CommonName: "intruder"},
			{CommonName: "proxy", ServerOnly: true},
		} {
			r := authntest.NewRequest(authntest.WithTLS(ca.ClientState(t, cert)))
			fmt.Printf("%s server-only=%t: trusted=%t\n", cert.CommonName, cert.ServerOnly, trust.Verify(r) == nil)
		}
	})
	// Output:
	// proxy server-only=false: trusted=true
	// intruder server-only=false: trusted=false
	// proxy server-only=true: trusted=false
}

// A ServiceAccount token as kube-apiserver's TokenRequest API writes one,
// and the key set that verifies it.
func ExampleIssuer_ServiceAccountToken() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		token := iss.ServiceAccountToken(t, authntest.ServiceAccountClaims{
			Namespace: "team-a", Name: "builder", UID: "uid-1", Audiences: []string{"api"},
			IssuedAt: issued, PodName: "builder-7d9f", PodUID: "pod-uid-1",
		})
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return iss.PublicKey(), nil },
			jwt.WithTimeFunc(func() time.Time { return issued }))
		if err != nil {
			t.Fatal(err)
		}
		k8s, _ := json.Marshal(claims["kubernetes.io"])
		fmt.Println(claims["iss"], claims["sub"], claims["aud"])
		fmt.Println(string(k8s))
		var set struct{ Keys []map[string]string }
		_ = json.Unmarshal(iss.JWKS(), &set)
		fmt.Println(set.Keys[0]["kty"], set.Keys[0]["crv"], set.Keys[0]["alg"], set.Keys[0]["kid"])
	})
	// Output:
	// https://issuer.example system:serviceaccount:team-a:builder [api]
	// {"namespace":"team-a","pod":{"name":"builder-7d9f","uid":"pod-uid-1"},"serviceaccount":{"name":"builder","uid":"uid-1"}}
	// EC P-256 ES256 authntest-1
}

// Claims that ServiceAccountToken cannot shape, signed as they are.
func ExampleIssuer_Sign() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		claims := iss.Claims(authntest.ServiceAccountClaims{Namespace: "team-a", Name: "builder"})
		claims["kubernetes.io"] = "team-a" // a claim of the wrong type
		token := iss.Sign(t, claims)
		fmt.Println(strings.Count(token, "."))
	})
	// Output: 2
}

// An issuer served over OpenID Connect discovery, as kube-apiserver serves
// its ServiceAccount issuer.
func ExampleNewIssuerServer() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuerServer(t)
		resp, err := http.Get(iss.URL() + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		keys, err := http.Get(doc.JWKSURI)
		if err != nil {
			t.Fatal(err)
		}
		defer keys.Body.Close()
		body, _ := io.ReadAll(keys.Body)
		fmt.Println(doc.Issuer == iss.URL(), strings.TrimPrefix(doc.JWKSURI, iss.URL()), string(body) == string(iss.JWKS()))
	})
	// Output: true /openid/v1/jwks true
}

// Tokens minted by a golden case's request section.
func ExampleIssuer_TemplateFuncs() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		mint := iss.TemplateFuncs(now)["token"].(func(string) (string, error))
		token, err := mint(`{"sub": "system:serviceaccount:team-a:builder", "exp": "+1h"}`)
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return iss.PublicKey(), nil },
			jwt.WithTimeFunc(func() time.Time { return now })); err != nil {
			t.Fatal(err)
		}
		exp, _ := claims.GetExpirationTime()
		fmt.Println(exp.UTC())
	})
	// Output: 2026-01-01 01:00:00 +0000 UTC
}

// A fake cluster for strategies.CreatorAnnotation, changed through its
// clientset.
func ExampleCluster() {
	inTest(func(t testing.TB) {
		cache, client := authntest.Cluster(t, []byte(`
apiVersion: v1
kind: ServiceAccount
metadata: {namespace: team-a, name: key-1, uid: uid-1, annotations: {ambient-code.io/created-by-user-id: alice}}
`))
		annotation, err := strategies.CreatorAnnotation(cache, strategies.InsecureAcceptUnverifiedAnnotations())
		if err != nil {
			t.Fatal(err)
		}
		sofar := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "key-1", UID: "uid-1"}}
		d := annotation.Authenticate(authntest.NewRequest(), sofar)
		fmt.Println(d.Outcome, d.Principal.User.Name)

		_ = client.CoreV1().ServiceAccounts("team-a").Delete(context.Background(), "key-1", metav1.DeleteOptions{})
		for {
			if _, found, _ := cache.ServiceAccount("team-a", "key-1"); !found {
				break
			}
			time.Sleep(time.Millisecond)
		}
		d = annotation.Authenticate(authntest.NewRequest(), sofar)
		fmt.Println(d.Outcome, d.Reason)
	})
	// Output:
	// contributed alice
	// rejected the token's ServiceAccount no longer exists
}

// Principals compared as a test of minted tokens needs: the expiry is
// ignored, a nil and an empty list are equal.
func ExampleComparePrincipals() {
	want := authn.Principal{
		User:       authn.User{Name: "alice", Groups: []string{}},
		Credential: &authn.Credential{Type: "jwt", Issuer: "https://issuer.example"},
	}
	got := authn.Principal{
		User:       authn.User{Name: "alice"},
		Credential: &authn.Credential{Type: "jwt", Issuer: "https://issuer.example", ExpiresAt: time.Now().Add(time.Hour)},
	}
	fmt.Println(cmp.Equal(want, got, authntest.ComparePrincipals()))
	got.Credential.Issuer = "https://other.example"
	fmt.Println(cmp.Equal(want, got, authntest.ComparePrincipals()))
	// Output:
	// true
	// false
}

// The conformance test of a strategy reading an API key. It runs as
// TestConformanceTokenStrategy does; an example cannot, having no
// *testing.T.
func ExampleConformance() {
	test := func(t *testing.T, apiKey authn.Strategy) {
		authntest.Conformance(t, apiKey, authntest.Config{
			Good: authntest.Credential{Name: "known key",
				Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", "key-alice-0123456789")}},
			Bad: []authntest.Credential{{Name: "unknown key",
				Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", "key-mallory-0123456789")}}},
			Headers: []string{"X-Api-Key"},
			Secrets: []string{"key-alice-0123456789", "key-mallory-0123456789"},
		})
	}
	_ = test
}

// A user's golden test: build the chain from each case, update want.json
// with the caller's own flag. TestGoldenExample runs the same against this
// package's testdata.
func ExampleGolden() {
	test := func(t *testing.T, update bool) {
		authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
			trust, err := strategies.TrustClientCertificate(c.ClientCAs, "proxy")
			if err != nil {
				t.Fatal(err)
			}
			forwarded, err := strategies.Forwarded(trust)
			if err != nil {
				t.Fatal(err)
			}
			chain, err := authn.NewChain(forwarded)
			if err != nil {
				t.Fatal(err)
			}
			return chain
		}, authntest.WithUpdate(update), authntest.WithRedactedHeaders("X-Forwarded-Access-Token"))
	}
	_ = test
}
