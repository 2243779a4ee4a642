package strategies_test

// Adversarial tests of the token strategies (classes 5 and 6): algorithm
// and key confusion, claim tricks, time edges, and TokenReview floods
// against a counting fake API server. Helpers come from jwt_test.go and
// tokenreview_test.go.

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// wantNotVerified fails if d established an identity.
func wantNotVerified(t *testing.T, what string, d authn.Decision) {
	t.Helper()
	if d.Outcome == authn.Contributed {
		t.Errorf("%s: contributed %+v (%q)", what, d.Principal.Actor, d.Reason)
	}
}

// wantRejected fails unless d is a rejection (a token for this issuer must
// be refused, never passed on).
func wantRejected(t *testing.T, what string, d authn.Decision) {
	t.Helper()
	if d.Outcome != authn.Rejected {
		t.Errorf("%s: %v %q, want rejected", what, d.Outcome, d.Reason)
	}
}

// TestAttack_JWTAlgorithmAndKeyConfusion: none, HMAC keyed with the public
// key, an RSA key under an EC kid, PS vs RS under a key published for RS,
// unknown and non-string kids, crit headers.
func TestAttack_JWTAlgorithmAndKeyConfusion(t *testing.T) {
	k := jwtTestKeys()
	s := newJWT(t, jwtStaticKeys(t), strategies.WithJWTCacheTTL(0))
	cached := newJWT(t, jwtStaticKeys(t))
	rsaKID, ecKID := kubeKID(t, &k.rsa.PublicKey), kubeKID(t, &k.ec.PublicKey)
	der := func() []byte {
		b, _ := json.Marshal(&k.rsa.PublicKey)
		return b
	}()
	pemKey := pkixPEM(t, &k.rsa.PublicKey)
	n := base64.RawURLEncoding.EncodeToString(k.rsa.PublicKey.N.Bytes())
	cases := map[string]string{
		"alg none":                 mintJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, rsaKID, jwtClaims()),
		"alg none no kid":          mintJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", jwtClaims()),
		"HS256 keyed with PEM":     mintJWT(t, jwt.SigningMethodHS256, pemKey, rsaKID, jwtClaims()),
		"HS256 keyed with JSON":    mintJWT(t, jwt.SigningMethodHS256, der, rsaKID, jwtClaims()),
		"HS256 keyed with modulus": mintJWT(t, jwt.SigningMethodHS256, []byte(n), rsaKID, jwtClaims()),
		"HS512 keyed with PEM":     mintJWT(t, jwt.SigningMethodHS512, pemKey, rsaKID, jwtClaims()),
		"PS256 with RS256 key":     mintJWT(t, jwt.SigningMethodPS256, k.rsa, rsaKID, jwtClaims()),
		"RS384 with RS256 key":     mintJWT(t, jwt.SigningMethodRS384, k.rsa, rsaKID, jwtClaims()),
		"RS256 under the EC kid":   mintJWT(t, jwt.SigningMethodRS256, k.rsa, ecKID, jwtClaims()),
		"ES256 under the RSA kid":  mintJWT(t, jwt.SigningMethodES256, k.ec, rsaKID, jwtClaims()),
		"ES384 with P-256 key":     mintJWT(t, jwt.SigningMethodES256, k.ec, ecKID, jwtClaims(), map[string]any{"alg": "ES384"}),
		"unpublished key same kid": mintJWT(t, jwt.SigningMethodRS256, k.rsa2, rsaKID, jwtClaims()),
		"unpublished key own kid":  mintJWT(t, jwt.SigningMethodRS256, k.rsa2, kubeKID(t, &k.rsa2.PublicKey), jwtClaims()),
		"no kid, two keys":         mintJWT(t, jwt.SigningMethodRS256, k.rsa, "", jwtClaims()),
		"kid is a number":          mintJWT(t, jwt.SigningMethodRS256, k.rsa, "", jwtClaims(), map[string]any{"kid": 7}),
		"kid is a list":            mintJWT(t, jwt.SigningMethodRS256, k.rsa, "", jwtClaims(), map[string]any{"kid": []string{rsaKID}}),
		"kid with NUL":             mintJWT(t, jwt.SigningMethodRS256, k.rsa, rsaKID+"\x00", jwtClaims()),
		"kid upper-cased":          mintJWT(t, jwt.SigningMethodRS256, k.rsa, strings.ToUpper(rsaKID), jwtClaims()),
		"crit header":              rsaJWT(t, jwtClaims(), map[string]any{"crit": []string{"exp"}}),
		"empty crit header":        rsaJWT(t, jwtClaims(), map[string]any{"crit": []string{}}),
		"jku header to elsewhere":  rsaJWT(t, jwtClaims(), map[string]any{"jku": "https://evil.example/jwks", "kid": "evil"}),
		"embedded jwk header":      rsaJWT(t, jwtClaims(), map[string]any{"jwk": map[string]any{"kty": "RSA"}, "kid": "evil"}),
		"alg in lower case":        rsaJWT(t, jwtClaims(), map[string]any{"alg": "rs256"}),
		"alg None capitalised":     rawJWT(`{"alg":"None","kid":"`+rsaKID+`"}`, mustJSON(t, jwtClaims()), ""),
		"alg missing":              rawJWT(`{"kid":"`+rsaKID+`"}`, mustJSON(t, jwtClaims()), "c2ln"),
		"tampered payload":         tamper(t, rsaJWT(t, jwtClaims()), func(p string) string { return strings.Replace(p, "builder", "admin00", -1) }),
		"signature stripped":       strings.TrimRight(rsaJWT(t, jwtClaims()), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
		"padded segments":          padSegments(rsaJWT(t, jwtClaims())),
		"std base64 segments":      stdSegments(rsaJWT(t, jwtClaims())),
	}
	for name, tok := range cases {
		for _, strat := range []*strategies.JWTStrategy{s, cached} {
			d := authenticate(strat, tok)
			wantNotVerified(t, name, d)
			if d.Outcome == authn.NotApplicable && !strings.HasPrefix(name, "padded") && !strings.HasPrefix(name, "std base64") && name != "signature stripped" {
				t.Errorf("%s: a token naming our issuer was passed on (%q)", name, d.Reason)
			}
		}
	}
	// The genuine token verifies with both, which makes the above meaningful.
	if d := authenticate(s, rsaJWT(t, jwtClaims())); d.Outcome != authn.Contributed {
		t.Fatalf("baseline: %v %q", d.Outcome, d.Reason)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func padSegments(tok string) string {
	parts := strings.Split(tok, ".")
	for i := range parts {
		if m := len(parts[i]) % 4; m != 0 {
			parts[i] += strings.Repeat("=", 4-m)
		}
	}
	return strings.Join(parts, ".")
}

func stdSegments(tok string) string {
	return strings.NewReplacer("-", "+", "_", "/").Replace(tok)
}

// TestAttack_JWTClaimTricks: bindings to unknown kinds, case variants of
// claim keys, attestations without binding, incomplete bindings, missing
// or odd subjects, legacy tokens, time edges.
func TestAttack_JWTClaimTricks(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t), strategies.WithJWTCacheTTL(0))
	now := jwtTestNow()
	cases := map[string]jwt.MapClaims{
		"validating webhook binding": jwtClaims(setK8s("validatingwebhookconfiguration", map[string]any{"name": "p", "uid": "u"})),
		"mutating webhook binding":   jwtClaims(setK8s("mutatingwebhookconfiguration", map[string]any{"name": "p", "uid": "u"})),
		"future kind binding":        jwtClaims(setK8s("apiservice", map[string]any{"name": "p", "uid": "u"})),
		"Pod in upper case":          jwtClaims(setK8s("pod", nil), setK8s("Pod", map[string]any{"name": "p", "uid": "u"})),
		"ServiceAccount key variant": jwtClaims(setK8s("ServiceAccount", map[string]any{"name": "admin", "uid": "u"})),
		"Namespace key variant":      jwtClaims(setK8s("Namespace", "kube-system")),
		"attestations alone":         jwtClaims(setK8s("attestations", map[string]any{"admissionReviewAPIGroups": []string{"*"}})),
		"pod without uid":            jwtClaims(setK8s("pod", map[string]any{"name": "p"})),
		"node without name":          jwtClaims(setK8s("node", map[string]any{"uid": "u"})),
		"secret empty":               jwtClaims(setK8s("secret", map[string]any{})),
		"pod is a string":            jwtClaims(setK8s("pod", "p")),
		"no serviceaccount uid":      jwtClaims(setK8s("serviceaccount", map[string]any{"name": "builder"})),
		"no namespace":               jwtClaims(setK8s("namespace", nil)),
		"sub of another SA":          jwtClaims(set("sub", "system:serviceaccount:team-a:admin")),
		"sub of another namespace":   jwtClaims(set("sub", "system:serviceaccount:kube-system:builder")),
		"sub upper case":             jwtClaims(set("sub", "SYSTEM:serviceaccount:team-a:builder")),
		"sub with extra part":        jwtClaims(set("sub", "system:serviceaccount:team-a:builder:x")),
		"sub missing":                jwtClaims(unset("sub")),
		"sub a human":                jwtClaims(set("sub", "alice")),
		"aud missing":                jwtClaims(unset("aud")),
		"aud another":                jwtClaims(set("aud", []string{"https://kubernetes.default.svc"})),
		"aud empty list":             jwtClaims(set("aud", []string{})),
		"aud case variant":           jwtClaims(set("aud", []string{"AuthChain"})),
		"exp missing":                jwtClaims(unset("exp")),
		"exp past skew":              jwtClaims(set("exp", now.Add(-31*time.Second).Unix())),
		"exp huge float":             jwtClaims(set("exp", 1e300)),
		"nbf beyond skew":            jwtClaims(set("nbf", now.Add(31*time.Second).Unix())),
		"iat beyond skew":            jwtClaims(set("iat", now.Add(31*time.Second).Unix())),
		"iat as string":              jwtClaims(set("iat", "yesterday")),
		"legacy claims beside bound": jwtClaims(set("kubernetes.io/serviceaccount/namespace", "kube-system")),
		"kubernetes.io not object":   jwtClaims(set("kubernetes.io", "x")),
		"warnafter only left":        jwtClaims(set("kubernetes.io", map[string]any{"warnafter": 1})),
	}
	for name, c := range cases {
		d := authenticate(s, rsaJWT(t, c))
		if name == "legacy claims beside bound" {
			// Extra top-level claims are not read: only the bound identity.
			if d.Outcome == authn.Contributed && d.Principal.Actor.Namespace != "team-a" {
				t.Errorf("%s: actor %+v", name, d.Principal.Actor)
			}
			continue
		}
		wantRejected(t, name, d)
	}
	// exp written as a JSON string: golang-jwt reads it as a number where
	// Kubernetes' decoder would refuse the token. Only the issuer can sign
	// one, so this is a leniency, not a hole; it must at least keep its
	// meaning (an expired string exp is still expired).
	if d := authenticate(s, rsaJWT(t, jwtClaims(set("exp", fmt.Sprint(now.Add(-time.Hour).Unix()))))); d.Outcome == authn.Contributed {
		t.Error("an expired exp written as a string was accepted")
	}
	if d := authenticate(s, rsaJWT(t, jwtClaims(set("exp", fmt.Sprint(now.Add(time.Hour).Unix()))))); d.Outcome == authn.Contributed {
		t.Log("NOTE: exp as a JSON string is accepted (Kubernetes would refuse such a token)")
	}
	// Legacy tokens are not this strategy's unless allowed, and then only
	// without a kubernetes.io claim.
	legacy := rsaJWT(t, legacyClaims())
	wantNotVerified(t, "legacy not allowed", authenticate(s, legacy))
	lenient := newJWT(t, jwtStaticKeys(t), strategies.InsecureAcceptLegacySecretTokens(), strategies.WithJWTCacheTTL(0))
	wantRejected(t, "legacy with a binding", authenticate(lenient, rsaJWT(t, legacyClaims(set("kubernetes.io", map[string]any{"namespace": "team-a"})))))
	wantRejected(t, "legacy without uid", authenticate(lenient, rsaJWT(t, legacyClaims(unset("kubernetes.io/serviceaccount/service-account.uid")))))
	wantRejected(t, "legacy with mismatched sub", authenticate(lenient, rsaJWT(t, legacyClaims(set("sub", "system:serviceaccount:team-a:admin")))))
}

// TestAttack_JWTDuplicateJSONKeys: a payload (signed by the issuer) with a
// claim repeated must be read as Kubernetes reads it (the last value), or
// refused; it must never authenticate the first value while Kubernetes
// would see the second.
func TestAttack_JWTDuplicateJSONKeys(t *testing.T) {
	k := jwtTestKeys()
	keys, err := strategies.StaticKeySet(jwksJSON(t, &k.ec.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys, strategies.WithJWTCacheTTL(0))
	now := jwtTestNow()
	header := `{"alg":"ES256","kid":"` + kubeKID(t, &k.ec.PublicKey) + `"}`
	base := fmt.Sprintf(`"iss":%q,"aud":[%q],"exp":%d,"iat":%d,"jti":"j"`, jwtIssuer, jwtAudience, now.Add(time.Hour).Unix(), now.Unix())
	sa := func(ns, name, uid string) string {
		return fmt.Sprintf(`"sub":"system:serviceaccount:%s:%s","kubernetes.io":{"namespace":%q,"serviceaccount":{"name":%q,"uid":%q}}`, ns, name, ns, name, uid)
	}
	for name, payload := range map[string]string{
		"sub and claim twice, second wins":   "{" + base + "," + sa("team-a", "builder", "u1") + "," + sa("team-a", "admin", "u2") + "}",
		"kubernetes.io twice, webhook first": "{" + base + "," + sa("team-a", "admin", "u2") + `,"kubernetes.io":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"},"validatingwebhookconfiguration":{"name":"p","uid":"u"}}` + "," + `"kubernetes.io":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"}}` + "}",
		"iss twice, other issuer second":     "{" + base + "," + sa("team-a", "admin", "u2") + `,"iss":"https://other.example"}`,
		"KUBERNETES.IO case variant after":   "{" + base + "," + sa("team-a", "builder", "u1") + `,"KUBERNETES.IO":{"namespace":"team-a","serviceaccount":{"name":"admin","uid":"u2"}}}`,
		"Sub case variant after":             "{" + base + "," + sa("team-a", "builder", "u1") + `,"Sub":"system:serviceaccount:team-a:admin"}`,
	} {
		d := authenticate(s, rawJWTSigned(t, k.ec, header, payload))
		if d.Outcome != authn.Contributed {
			continue // refused: fine
		}
		// Kubernetes decodes with encoding/json as well: last value, and
		// keys matched case-insensitively. The identity must be the one
		// Kubernetes would see, or refused.
		var claims struct {
			Sub string `json:"sub"`
			K   struct {
				SA struct{ Name, UID string } `json:"serviceaccount"`
			} `json:"kubernetes.io"`
		}
		_ = json.Unmarshal([]byte(payload), &claims)
		if d.Principal.Actor.Name != claims.K.SA.Name || d.Principal.Actor.UID != claims.K.SA.UID {
			t.Errorf("%s: authenticated %+v, Kubernetes would read %+v", name, d.Principal.Actor, claims.K.SA)
		}
	}
}

// TestAttack_JWKSTricks: private keys, duplicate kids, symmetric keys and
// keys for encryption never become verification keys.
func TestAttack_JWKSTricks(t *testing.T) {
	k := jwtTestKeys()
	jwk := func(key any, kid, alg, use string) json.RawMessage {
		b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := func(keys ...json.RawMessage) []byte {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return b
	}
	for name, data := range map[string][]byte{
		"private RSA":      set(jwk(k.rsa, "a", "RS256", "sig")),
		"private EC":       set(jwk(k.ec, "a", "ES256", "sig")),
		"duplicate kid":    set(jwk(&k.rsa.PublicKey, "a", "RS256", "sig"), jwk(&k.ec.PublicKey, "a", "ES256", "sig")),
		"only oct":         set(jwk([]byte("0123456789abcdef0123456789abcdef"), "a", "HS256", "sig")),
		"only enc":         set(jwk(&k.rsa.PublicKey, "a", "RSA-OAEP", "enc")),
		"private PEM":      pemBlock(t, "PRIVATE KEY", []byte("x")),
		"RSA PRIVATE PEM":  pemBlock(t, "RSA PRIVATE KEY", []byte("x")),
		"EC PRIVATE PEM":   pemBlock(t, "EC PRIVATE KEY", []byte("x")),
		"no keys":          []byte(`{"keys":[]}`),
		"keys not a list":  []byte(`{"keys":{}}`),
		"trailing garbage": append(set(jwk(&k.rsa.PublicKey, "a", "RS256", "sig")), []byte("x")...),
	} {
		if _, err := strategies.StaticKeySet(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An oct key beside an RSA key is ignored, never used as an HMAC secret.
	secret := []byte("0123456789abcdef0123456789abcdef")
	keys, err := strategies.StaticKeySet(set(jwk(&k.rsa.PublicKey, "rsa", "RS256", "sig"), jwk(secret, "oct", "HS256", "sig")))
	if err != nil {
		t.Fatal(err)
	}
	s := newJWT(t, keys, strategies.WithJWTCacheTTL(0))
	wantNotVerified(t, "HS256 with the published oct key", authenticate(s, mintJWT(t, jwt.SigningMethodHS256, secret, "oct", jwtClaims())))
	// A key published with "alg":"HS256" on an RSA key never verifies
	// anything but that alg, which is refused anyway.
	keys, err = strategies.StaticKeySet(set(jwk(&k.rsa.PublicKey, "rsa", "HS256", "sig")))
	if err == nil {
		s = newJWT(t, keys, strategies.WithJWTCacheTTL(0))
		wantNotVerified(t, "RS256 under an HS256-bound key", authenticate(s, mintJWT(t, jwt.SigningMethodRS256, k.rsa, "rsa", jwtClaims())))
	}
}

// TestAttack_OversizeTokens: a token over MaxTokenLength is refused before
// parsing; a huge header in a token of our issuer is refused.
func TestAttack_OversizeTokens(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t))
	big := rsaJWT(t, jwtClaims(set("pad", strings.Repeat("A", strategies.MaxTokenLength))))
	start := time.Now()
	d := authenticate(s, big)
	wantNotVerified(t, "oversize", d)
	if d.Outcome != authn.Rejected {
		t.Errorf("oversize token: %v %q, want rejected", d.Outcome, d.Reason)
	}
	// Deeply nested JSON under the limit.
	nested := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	tok := rawJWT(`{"alg":"RS256","kid":"x"}`, `{"iss":"`+jwtIssuer+`","x":`+nested+`}`, "c2ln")
	wantNotVerified(t, "nested", authenticate(s, tok))
	if time.Since(start) > 2*time.Second {
		t.Errorf("oversize tokens took %v", time.Since(start))
	}
}

// --- TokenReview floods ---------------------------------------------------

// countingAPI is a fake API server that counts TokenReviews, can be made
// slow or to panic, and authenticates only the token it is told of.
type countingAPI struct {
	client *fake.Clientset
	calls  atomic.Int64
	valid  string
	delay  time.Duration
	panics bool
	active atomic.Int64
	peak   atomic.Int64
}

func newCountingAPI(valid string) *countingAPI {
	a := &countingAPI{client: fake.NewClientset(), valid: valid}
	a.client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		a.calls.Add(1)
		n := a.active.Add(1)
		defer a.active.Add(-1)
		for {
			p := a.peak.Load()
			if n <= p || a.peak.CompareAndSwap(p, n) {
				break
			}
		}
		if a.delay > 0 {
			time.Sleep(a.delay)
		}
		if a.panics {
			panic("api server exploded with " + action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).Spec.Token)
		}
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if tr.Spec.Token == a.valid {
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
				User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:ci-bot", UID: "uid-ci-bot"}}
		} else {
			tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid bearer token " + tr.Spec.Token}
		}
		return true, tr, nil
	})
	return a
}

func junkShaped(i int) string { return shapedToken(fmt.Sprintf("junk-%d", i)) }

func junkBootstrap(i int) string { return fmt.Sprintf("%06x.%016x", i, i*7919) }

func (a *countingAPI) strategy(t *testing.T, opts ...strategies.TokenReviewOption) *strategies.TokenReviewStrategy {
	t.Helper()
	opts = append([]strategies.TokenReviewOption{strategies.WithReviewAudiences(reviewAudience)}, opts...)
	s, err := strategies.TokenReview(a.client.AuthenticationV1().TokenReviews(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAttack_TokenReviewJunkFloodIsBounded: thousands of distinct junk
// tokens (JWT-shaped, bootstrap-shaped, opaque) cost at most the burst of
// reviews while the clock stands still, from one goroutine or many.
func TestAttack_TokenReviewJunkFloodIsBounded(t *testing.T) {
	for _, tt := range []struct {
		name  string
		token func(int) string
	}{
		{"jwt-shaped", junkShaped},
		{"bootstrap-shaped", junkBootstrap},
		{"opaque", func(i int) string { return fmt.Sprintf("opaque%08d", i) }},
		{"oversize jwt", func(i int) string { return junkShaped(i) + strings.Repeat("A", strategies.MaxReviewTokenLength) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := newCountingAPI("")
			clock := strategies.NewTestClock()
			s := api.strategy(t, strategies.WithReviewClock(clock.Now))
			var wg sync.WaitGroup
			var ok atomic.Int64
			for g := range 8 {
				wg.Go(func() {
					for i := range 500 {
						d := s.Authenticate(bearer(tt.token(g*1000+i)), authn.Principal{})
						if d.Outcome == authn.Contributed {
							ok.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if n := api.calls.Load(); n > strategies.DefaultReviewBurst {
				t.Errorf("%d TokenReviews for 4000 junk tokens, want at most %d", n, strategies.DefaultReviewBurst)
			}
			if ok.Load() > 0 {
				t.Errorf("%d junk tokens authenticated", ok.Load())
			}
		})
	}
}

// TestAttack_TokenReviewValidVerdictSurvivesFlood: with limits opened wide
// and tiny caches, a flood of junk verdicts never evicts a valid one.
func TestAttack_TokenReviewValidVerdictSurvivesFlood(t *testing.T) {
	valid := shapedToken("valid-ci-bot")
	api := newCountingAPI(valid)
	clock := strategies.NewTestClock()
	s := api.strategy(t, strategies.WithReviewClock(clock.Now), strategies.WithReviewRateLimit(1e9, 1_000_000),
		strategies.WithReviewCacheSize(2, 3), strategies.WithReviewMaxInFlight(64))
	if d := s.Authenticate(bearer(valid), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("valid token: %v %q", d.Outcome, d.Reason)
	}
	before := api.calls.Load()
	for i := range 3000 {
		_ = s.Authenticate(bearer(junkShaped(i)), authn.Principal{})
	}
	calls := api.calls.Load()
	if d := s.Authenticate(bearer(valid), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("valid token after flood: %v %q", d.Outcome, d.Reason)
	}
	if api.calls.Load() != calls {
		t.Errorf("the valid verdict was evicted by %d junk verdicts", calls-before)
	}
}

// TestAttack_TokenReviewSlowAPIServer: an API server that takes far longer
// than the timeout ties up at most the in-flight slots; every request
// answers within about the timeout, and nothing is left running once the
// server answers.
func TestAttack_TokenReviewSlowAPIServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	api := &slowReviews{delay: 1500 * time.Millisecond}
	s, err := strategies.TokenReview(api, strategies.WithReviewAudiences(reviewAudience),
		strategies.WithReviewTimeout(200*time.Millisecond), strategies.WithReviewRateLimit(1e6, 1e6))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var slow atomic.Int64
	for i := range 60 {
		wg.Go(func() {
			start := time.Now()
			d := s.Authenticate(bearer(junkShaped(i)), authn.Principal{})
			if d.Outcome == authn.Contributed {
				t.Errorf("junk token %d authenticated", i)
			}
			if time.Since(start) > time.Second {
				slow.Add(1)
			}
		})
	}
	wg.Wait()
	if slow.Load() > 0 {
		t.Errorf("%d requests waited on the slow API server beyond the timeout", slow.Load())
	}
	if p := api.peak.Load(); p > strategies.DefaultReviewMaxInFlight {
		t.Errorf("%d TokenReviews in flight at once, want at most %d", p, strategies.DefaultReviewMaxInFlight)
	}
	time.Sleep(api.delay + 300*time.Millisecond)
}

// slowReviews is a TokenReview client that ignores its context and answers
// after delay, "not authenticated"; unlike the fake clientset it does not
// serialize calls.
type slowReviews struct {
	delay        time.Duration
	active, peak atomic.Int64
}

func (s *slowReviews) Create(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(s.delay)
	out := tr.DeepCopy()
	out.Status = authenticationv1.TokenReviewStatus{Error: "no"}
	return out, nil
}

// TestAttack_TokenReviewPanickingAPI: a client that panics (with the token
// in its panic value) costs one request a 503, leaks no token into the
// decision, and later requests are served.
func TestAttack_TokenReviewPanickingAPI(t *testing.T) {
	api := newCountingAPI("")
	api.panics = true
	s := api.strategy(t)
	tok := shapedToken("secret-token-in-panic")
	d := s.Authenticate(bearer(tok), authn.Principal{})
	if d.Outcome != authn.Failed {
		t.Errorf("panicking API: %v %q, want failed", d.Outcome, d.Reason)
	}
	for _, text := range []string{d.Reason, d.Detail, fmt.Sprint(d.Cause)} {
		if strings.Contains(text, tok) || strings.Contains(text, "secret-token") {
			t.Errorf("decision quotes the token: %q", text)
		}
	}
	api.panics = false
	if d := s.Authenticate(bearer(tok), authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("after the panic: %v %q, want rejected", d.Outcome, d.Reason)
	}
}

// TestAttack_TokenReviewAnswersNeverTrustedBlindly: what an API server (or
// something posing as one) answers is checked: names, audiences, bindings.
func TestAttack_TokenReviewAnswersNeverTrustedBlindly(t *testing.T) {
	for name, user := range map[string]authenticationv1.UserInfo{
		"SYSTEM: user":             {Username: "SYSTEM:masters"},
		"synthetic-named user":     {Username: "system-serviceaccount-team-x"},
		"zero-width user":          {Username: "ali\u200bce"},
		"NFD user":                 {Username: "e\u0301mile"},
		"bidi group":               {Username: "bob", Groups: []string{"admins\u202e"}},
		"control extra key":        {Username: "bob", Extra: map[string]authenticationv1.ExtraValue{"k\n": {"v"}}},
		"upper-case SA subject":    {Username: "system:serviceaccount:Team:x", UID: "u"},
		"SA subject extra part":    {Username: "system:serviceaccount:team:x:y", UID: "u"},
		"SA bound to webhook":      {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/mutatingwebhookconfiguration-name": {"p"}, "authentication.kubernetes.io/mutatingwebhookconfiguration-uid": {"u"}}},
		"SA with attestation only": {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"attestation.authentication.kubernetes.io/x": {"*"}}},
		"SA bound to odd kind":     {Username: "system:serviceaccount:team:x", UID: "u", Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/-name": {"p"}}},
	} {
		client := fake.NewClientset()
		client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences, User: user}
			return true, tr, nil
		})
		s, err := strategies.TokenReview(client.AuthenticationV1().TokenReviews(), strategies.WithReviewAudiences(reviewAudience))
		if err != nil {
			t.Fatal(err)
		}
		wantNotVerified(t, name, s.Authenticate(bearer(shapedToken(name)), authn.Principal{}))
	}
	// Authenticated, but for no audience of ours, or with none named.
	for name, auds := range map[string][]string{"no audiences": nil, "other audience": {"https://vault"}} {
		client := fake.NewClientset()
		client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: auds,
				User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:x", UID: "u"}}
			return true, tr, nil
		})
		s, _ := strategies.TokenReview(client.AuthenticationV1().TokenReviews(), strategies.WithReviewAudiences(reviewAudience))
		wantNotVerified(t, name, s.Authenticate(bearer(shapedToken(name)), authn.Principal{}))
	}
}

// TestAttack_TokenReviewBindsToForwardedIdentity: a reviewed token and a
// forwarded identity that disagree are refused.
func TestAttack_TokenReviewBindsToForwardedIdentity(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	s := newTokenReview(t, api)
	for name, sofar := range map[string]authn.Principal{
		"human forwarded, SA token":     {User: authn.User{Name: "alice@example.com"}},
		"other SA forwarded":            {User: authn.User{Name: "system:serviceaccount:team:other"}},
		"same SA other uid established": {Actor: &authn.ServiceAccount{Namespace: "team", Name: "ci-bot", UID: "uid-old"}},
		"other SA established":          {Actor: &authn.ServiceAccount{Namespace: "team", Name: "other"}},
	} {
		wantRejected(t, name, s.Authenticate(bearer(ciBotToken), sofar))
	}
	wantRejected(t, "user token vs other forwarded user", s.Authenticate(bearer(aliceToken), authn.Principal{User: authn.User{Name: "bob@example.com"}}))
}

// keep imports used by helpers above
var _ = httptest.NewRequest
var _ = http.MethodGet
var _ *ecdsa.PrivateKey
