package authntest_test

import (
	"crypto/ecdsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// tokenStrategy is the kind of bearer-token strategy a user writes: it
// verifies an ES256 ServiceAccount token with one public key and makes its
// ServiceAccount the Actor.
type tokenStrategy struct {
	key              *ecdsa.PublicKey
	issuer, audience string
	now              func() time.Time
}

func (*tokenStrategy) Name() string { return "token" }

// Headers makes the chain strip Authorization in every spelling.
func (*tokenStrategy) Headers() []string { return []string{"Authorization"} }

func (s *tokenStrategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	v, err := authn.TakeHeader(r.Header, "Authorization", 8192)
	if err != nil {
		return authn.Reject(err.Error())
	}
	if v == "" {
		return authn.Skip("no bearer token")
	}
	raw, ok := strings.CutPrefix(v, "Bearer ")
	if !ok {
		return authn.Reject("not a bearer token")
	}
	var claims struct {
		jwt.RegisteredClaims
		Kubernetes struct {
			ServiceAccount struct {
				UID string `json:"uid"`
			} `json:"serviceaccount"`
		} `json:"kubernetes.io"`
	}
	_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(s.issuer), jwt.WithAudience(s.audience),
		jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	if err != nil {
		return authn.Reject("invalid token") // jwt's errors may quote claims
	}
	sa, err := authn.ParseServiceAccountSubject(claims.Subject)
	if err != nil {
		return authn.Reject("token subject is not a ServiceAccount")
	}
	if !sofar.User.IsZero() || sofar.Actor != nil {
		return authn.Reject("token conflicts with an identity already established")
	}
	sa.UID = claims.Kubernetes.ServiceAccount.UID
	p := sofar
	p.Actor = &sa
	p.Credential = &authn.Credential{Type: "jwt", Issuer: s.issuer, Audiences: []string{s.audience}, ExpiresAt: claims.ExpiresAt.Time}
	return authn.Contribute(p, "bearer token")
}

// A token strategy's conformance test: mint a good token and bad ones with
// an Issuer, present them with WithBearer, and declare them secret.
func TestConformanceTokenStrategy(t *testing.T) {
	iss := authntest.NewIssuer(t, "https://issuer.example")
	s := &tokenStrategy{key: iss.PublicKey(), issuer: iss.URL(), audience: "api", now: time.Now}
	sa := authntest.ServiceAccountClaims{Namespace: "team-a", Name: "builder", UID: "uid-1", Audiences: []string{"api"}}
	good := iss.ServiceAccountToken(t, sa)
	expired := sa
	expired.IssuedAt = time.Now().Add(-2 * time.Hour)
	wrongAudience := sa
	wrongAudience.Audiences = []string{"another-api"}
	bad := []struct{ name, token string }{
		{"expired", iss.ServiceAccountToken(t, expired)},
		{"wrong audience", iss.ServiceAccountToken(t, wrongAudience)},
		{"other issuer's key", authntest.NewIssuer(t, iss.URL()).ServiceAccountToken(t, sa)},
		{"not a token", "not-a-token-0123456789"},
	}
	cfg := authntest.Config{
		Good:    authntest.Credential{Name: "valid token", Request: []authntest.RequestOption{authntest.WithBearer(good)}},
		Headers: []string{"Authorization"},
		Secrets: []string{good},
	}
	for _, b := range bad {
		cfg.Bad = append(cfg.Bad, authntest.Credential{Name: b.name, Request: []authntest.RequestOption{authntest.WithBearer(b.token)}})
		cfg.Secrets = append(cfg.Secrets, b.token)
	}
	authntest.Conformance(t, s, cfg)
}
