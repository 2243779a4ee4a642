package authntest_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authntest"
)

func ExampleNewIssuer() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		fmt.Println(iss.URL())
	})
	// Output: https://issuer.example
}

func ExampleIssuer_URL() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://kubernetes.default.svc")
		claims := iss.Claims(authntest.ServiceAccountClaims{Namespace: "team-a", Name: "builder"})
		fmt.Println(claims["iss"] == iss.URL())
	})
	// Output: true
}

// The key set a static-key verifier is given.
func ExampleIssuer_JWKS() {
	inTest(func(t testing.TB) {
		var set struct {
			Keys []struct {
				Kty, Crv, Alg, Use, Kid string
				X, Y                    string
			}
		}
		if err := json.Unmarshal(authntest.NewIssuer(t, "https://issuer.example").JWKS(), &set); err != nil {
			t.Fatal(err)
		}
		k := set.Keys[0]
		fmt.Println(len(set.Keys), k.Kty, k.Crv, k.Alg, k.Use, k.Kid == authntest.IssuerKeyID, len(k.X), len(k.Y))
	})
	// Output: 1 EC P-256 ES256 sig true 43 43
}

// The claims of a token bound to a Pod and a Node, before signing.
func ExampleIssuer_Claims() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		claims := iss.Claims(authntest.ServiceAccountClaims{
			Namespace: "team-a", Name: "builder", UID: "uid-1", Audiences: []string{"api"},
			IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Lifetime: 10 * time.Minute, JTI: "jti-1",
			PodName: "builder-7d9f", PodUID: "pod-uid-1", NodeName: "node-1", NodeUID: "node-uid-1",
		})
		out, _ := json.MarshalIndent(claims, "", "  ")
		fmt.Println(string(out))
	})
	// Output:
	// {
	//   "aud": [
	//     "api"
	//   ],
	//   "exp": 1767226200,
	//   "iat": 1767225600,
	//   "iss": "https://issuer.example",
	//   "jti": "jti-1",
	//   "kubernetes.io": {
	//     "namespace": "team-a",
	//     "node": {
	//       "name": "node-1",
	//       "uid": "node-uid-1"
	//     },
	//     "pod": {
	//       "name": "builder-7d9f",
	//       "uid": "pod-uid-1"
	//     },
	//     "serviceaccount": {
	//       "name": "builder",
	//       "uid": "uid-1"
	//     }
	//   },
	//   "nbf": 1767225600,
	//   "sub": "system:serviceaccount:team-a:builder"
	// }
}

// A strategy under test that verifies with the public key alone.
func ExampleIssuer_PublicKey() {
	inTest(func(t testing.TB) {
		iss := authntest.NewIssuer(t, "https://issuer.example")
		token := iss.ServiceAccountToken(t, authntest.ServiceAccountClaims{Namespace: "team-a", Name: "builder"})
		_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return iss.PublicKey(), nil }, jwt.WithValidMethods([]string{"ES256"}))
		fmt.Println(err)
		other := authntest.NewIssuer(t, "https://issuer.example")
		_, err = jwt.Parse(token, func(*jwt.Token) (any, error) { return other.PublicKey(), nil }, jwt.WithValidMethods([]string{"ES256"}))
		fmt.Println(err != nil)
	})
	// Output:
	// <nil>
	// true
}

func ExampleParseClaims() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	claims, err := authntest.ParseClaims(`{"sub": "alice", "iat": "-5m", "exp": "+1h", "nbf": 1767225000}`, now)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims["sub"], claims["iat"], claims["exp"], claims["nbf"])
	// Output: alice 1767225300 1767229200 1.767225e+09
}
