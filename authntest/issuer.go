package authntest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"text/template"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer mints JSON Web Tokens signed with a generated ECDSA P-256 key
// (ES256), as a cluster's ServiceAccount issuer does. Its public key is
// published as a JSON Web Key Set by JWKS and, for an Issuer built by
// NewIssuerServer, over OpenID Connect discovery. It is safe for
// concurrent use.
type Issuer struct {
	url string
	kid string
	key *ecdsa.PrivateKey
}

// IssuerKeyID is the key id (kid) of every Issuer's key.
const IssuerKeyID = "authntest-1"

// NewIssuer returns an issuer whose tokens carry iss url, with a fresh key.
// It fails t on error.
func NewIssuer(t testing.TB, url string) *Issuer {
	t.Helper()
	return &Issuer{url: url, kid: IssuerKeyID, key: newKey(t)}
}

// NewIssuerServer returns an Issuer served by an httptest.Server that t's
// cleanup closes: its URL is the server's, and the server answers
// /.well-known/openid-configuration (issuer and jwks_uri) and the jwks_uri,
// /openid/v1/jwks, as kube-apiserver does. A test that counts goroutines
// should use JWKS instead: the client's idle connections to the server
// are goroutines.
func NewIssuerServer(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{kid: IssuerKeyID, key: newKey(t)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.url,
			"jwks_uri":                              iss.url + "/openid/v1/jwks",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(iss.JWKS())
	})
	return iss
}

// URL returns the issuer URL, the iss claim of its tokens.
func (i *Issuer) URL() string { return i.url }

// JWKS returns the JSON Web Key Set that holds the issuer's public key:
// kty EC, crv P-256, alg ES256, use sig, kid IssuerKeyID.
func (i *Issuer) JWKS() []byte {
	pub, err := i.key.PublicKey.ECDH()
	if err != nil {
		panic(err) // a P-256 key always converts
	}
	raw := pub.Bytes() // 0x04 || X || Y
	b64 := base64.RawURLEncoding.EncodeToString
	out, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": i.kid,
		"x": b64(raw[1:33]), "y": b64(raw[33:]),
	}}})
	if err != nil {
		panic(err)
	}
	return out
}

// Sign returns claims signed with the issuer's key, kid in the header, as
// they are: no claim is added. Use it for tokens ServiceAccountToken cannot
// shape, such as one with a claim of the wrong type. It fails t on error.
func (i *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	s, err := i.sign(claims)
	if err != nil {
		t.Fatalf("authntest: signing a token: %v", err)
	}
	return s
}

// ServiceAccountClaims describe a Kubernetes ServiceAccount token.
type ServiceAccountClaims struct {
	Namespace, Name, UID string
	// Audiences is the aud claim; nil means none.
	Audiences []string
	// IssuedAt is iat and nbf; zero means now.
	IssuedAt time.Time
	// Lifetime is exp minus iat; zero means one hour.
	Lifetime time.Duration
	// JTI is the token id; "" means a random one.
	JTI string
	// PodName and PodUID bind the token to a Pod, as kubelet's projected
	// tokens are; empty means unbound.
	PodName, PodUID string
	// NodeName and NodeUID bind the token to a Node.
	NodeName, NodeUID string
}

// Claims returns the claims kube-apiserver's TokenRequest API writes for c:
// iss, sub system:serviceaccount:NAMESPACE:NAME, aud, iat, nbf, exp, jti,
// and the kubernetes.io claim with namespace, serviceaccount {name, uid}
// and, if bound, pod and node {name, uid}. Change the map for odd shapes
// and sign it with Sign.
func (i *Issuer) Claims(c ServiceAccountClaims) map[string]any {
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	life := c.Lifetime
	if life == 0 {
		life = time.Hour
	}
	jti := c.JTI
	if jti == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		jti = hex.EncodeToString(b)
	}
	k8s := map[string]any{
		"namespace":      c.Namespace,
		"serviceaccount": map[string]any{"name": c.Name, "uid": c.UID},
	}
	if c.PodName != "" {
		k8s["pod"] = map[string]any{"name": c.PodName, "uid": c.PodUID}
	}
	if c.NodeName != "" {
		k8s["node"] = map[string]any{"name": c.NodeName, "uid": c.NodeUID}
	}
	claims := map[string]any{
		"iss":           i.url,
		"sub":           "system:serviceaccount:" + c.Namespace + ":" + c.Name,
		"iat":           iat.Unix(),
		"nbf":           iat.Unix(),
		"exp":           iat.Add(life).Unix(),
		"jti":           jti,
		"kubernetes.io": k8s,
	}
	if c.Audiences != nil {
		claims["aud"] = c.Audiences
	}
	return claims
}

// ServiceAccountToken returns a signed token with the claims Claims
// writes for c. It fails t on error.
func (i *Issuer) ServiceAccountToken(t testing.TB, c ServiceAccountClaims) string {
	t.Helper()
	return i.Sign(t, i.Claims(c))
}

// PublicKey returns the public half of the issuer's signing key, for a
// strategy under test that verifies tokens without a key set.
func (i *Issuer) PublicKey() *ecdsa.PublicKey { return &i.key.PublicKey }

// TemplateFuncs returns functions for the request section of a golden case
// (WithRequestFuncs) that mint tokens signed by the issuer, with times
// relative to now, so that expiries in want.json do not move:
//
//	{{token CLAIMS}}  CLAIMS is JSON, signed as it is, except that a string
//	                  iat, nbf or exp such as "+1h" or "-5m" becomes now
//	                  plus that duration.
//	{{serviceAccountToken NAMESPACE NAME UID AUDIENCE}}
//	                  the claims of ServiceAccountToken, issued at now for
//	                  an hour.
func (i *Issuer) TemplateFuncs(now time.Time) template.FuncMap {
	return template.FuncMap{
		"token": func(claimsJSON string) (string, error) {
			claims, err := ParseClaims(claimsJSON, now)
			if err != nil {
				return "", fmt.Errorf("token: %w", err)
			}
			return i.sign(claims)
		},
		"serviceAccountToken": func(ns, name, uid, audience string) (string, error) {
			return i.sign(i.Claims(ServiceAccountClaims{
				Namespace: ns, Name: name, UID: uid, Audiences: []string{audience}, IssuedAt: now,
			}))
		},
	}
}

// ParseClaims decodes a JSON object of token claims, turning a string iat,
// nbf or exp, a duration such as "+1h" or "-5m", into the NumericDate of now
// plus that duration, so that tests write times relative to their clock.
// Other claims are left as JSON decodes them.
func ParseClaims(claimsJSON string, now time.Time) (map[string]any, error) {
	var claims map[string]any
	if err := json.Unmarshal([]byte(claimsJSON), &claims); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	for _, name := range []string{"iat", "nbf", "exp"} {
		rel, ok := claims[name].(string)
		if !ok {
			continue
		}
		d, err := time.ParseDuration(rel)
		if err != nil {
			return nil, fmt.Errorf("claim %s: %w", name, err)
		}
		claims[name] = now.Add(d).Unix()
	}
	return claims, nil
}

func (i *Issuer) sign(claims map[string]any) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(claims))
	tok.Header["kid"] = i.kid
	return tok.SignedString(i.key)
}
