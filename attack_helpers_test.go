package authchain_test

// Helpers of the adversarial tests (attack_*_test.go): a full chain built
// from setup.Config over an in-memory cluster, as the golden cases build
// theirs, and a runner that records what a handler, an error writer and an
// observer would see.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/setup"
)

const (
	atkIssuer   = "https://issuer.test"
	atkAudience = "authchain"
	atkBinding  = "attack-binding-key-0123456789abcdef"
	atkProxy    = "10.1.2.3:51000"
	atkClient   = "203.0.113.9:40000"
)

// atkKeys are the token keys of this test binary, generated once.
var atkKeysOnce struct {
	keys tokenKeys
	done bool
}

func atkTokenKeys(t *testing.T) tokenKeys {
	t.Helper()
	if !atkKeysOnce.done {
		atkKeysOnce.keys = newTokenKeys(t)
		atkKeysOnce.done = true
	}
	return atkKeysOnce.keys
}

// atkConfig is the recommended setup: trusted proxy range, required label,
// local JWT verification with proof required.
func atkConfig(t *testing.T) setup.Config {
	return setup.Config{
		TrustCIDRs:    []string{"10.0.0.0/8"},
		RequireLabels: map[string]string{"app": "ambient-access-key"},
		Issuer:        atkIssuer,
		Keys:          atkTokenKeys(t).keySet,
		Audiences:     []string{atkAudience},
		Now:           func() time.Time { return goldenNow },
	}
}

// atkChain builds cfg's chain over the ServiceAccounts of cluster, a YAML
// template expanded as golden cases expand theirs (sign, signChild).
func atkChain(t *testing.T, cfg setup.Config, cluster string) *authn.Chain {
	t.Helper()
	signer := cfg.BindingKey
	if signer == "" {
		// Bindings in a cluster checked under another policy are inert.
		signer = atkBinding
	}
	yamlText, err := setup.ExpandCluster([]byte(cluster), signer)
	if err != nil {
		t.Fatalf("cluster: %v", err)
	}
	c, _ := authntest.Cluster(t, yamlText)
	chain, err := cfg.Chain(c)
	if err != nil {
		t.Fatalf("chain: %v", err)
	}
	return chain
}

// atkResult is what one request produced, from every point of view a
// caller of the library has.
type atkResult struct {
	status    int
	principal *authn.Principal
	body      string
	err       error
	trace     authn.Trace
	// seen are the headers the handler, error writer or observer found,
	// whichever ran last.
	seen http.Header
}

// atkDo runs r through chiadapter.Authenticate(chain) with an observer and
// an error writer that record the headers they see.
func atkDo(chain *authn.Chain, r *http.Request) atkResult {
	var res atkResult
	mw := chiadapter.Authenticate(chain,
		chiadapter.WithObserver(func(r *http.Request, _ authn.Principal, tr authn.Trace, err error) {
			res.trace, res.err, res.seen = tr, err, r.Header.Clone()
		}),
		chiadapter.WithErrorWriter(func(w http.ResponseWriter, r *http.Request, err error) {
			res.seen = r.Header.Clone()
			chiadapter.WriteProblem(w, r, err)
		}))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.seen = r.Header.Clone()
		p, _ := authn.FromContext(r.Context())
		res.principal = &p
		_ = json.NewEncoder(w).Encode(p)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res.status = rec.Code
	res.body = rec.Body.String()
	return res
}

// atkRequest is a GET from peer with headers given as "Name", "value" pairs,
// added as the Go server would store them (canonical names) unless a name
// is prefixed with "=", which stores it as written, as code might.
func atkRequest(peer string, kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(kv); i += 2 {
		if raw, ok := strings.CutPrefix(kv[i], "="); ok {
			r.Header[raw] = append(r.Header[raw], kv[i+1])
			continue
		}
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

// atkToken mints a token of the test issuer for ServiceAccount ns/name with
// uid, signed RS256 under kid rsa-1, with the claims edited by edit.
func atkToken(t *testing.T, ns, name, uid string, edit ...func(map[string]any)) string {
	t.Helper()
	return atkTokenWith(t, "RS256", "rsa-1", ns, name, uid, edit...)
}

func atkTokenWith(t *testing.T, alg, kid, ns, name, uid string, edit ...func(map[string]any)) string {
	t.Helper()
	claims := map[string]any{
		"iss": atkIssuer,
		"sub": "system:serviceaccount:" + ns + ":" + name,
		"aud": []string{atkAudience},
		"iat": "-1m", "nbf": "-1m", "exp": "+1h",
		"jti": "jti-" + name,
		"kubernetes.io": map[string]any{
			"namespace":      ns,
			"serviceaccount": map[string]any{"name": name, "uid": uid},
		},
	}
	for _, e := range edit {
		e(claims)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := atkTokenKeys(t).mint(alg, kid, string(b))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// k8sClaim returns an edit setting key of the kubernetes.io claim.
func k8sClaim(key string, v any) func(map[string]any) {
	return func(c map[string]any) { c["kubernetes.io"].(map[string]any)[key] = v }
}

func claim(key string, v any) func(map[string]any) {
	return func(c map[string]any) {
		if v == nil {
			delete(c, key)
			return
		}
		c[key] = v
	}
}

// wantRefused fails unless res is a 401 or 503 with no principal.
func wantRefused(t *testing.T, what string, res atkResult) {
	t.Helper()
	if res.status != http.StatusUnauthorized && res.status != http.StatusServiceUnavailable || res.principal != nil {
		p := ""
		if res.principal != nil {
			b, _ := json.Marshal(res.principal)
			p = string(b)
		}
		t.Errorf("%s: status %d principal %s, want a refusal (trace %+v)", what, res.status, p, res.trace)
	}
}

// wantUser fails unless res authenticated user (and, if actor is not "",
// that actor name).
func wantUser(t *testing.T, what string, res atkResult, user, actor string) {
	t.Helper()
	if res.status != http.StatusOK || res.principal == nil || res.principal.User.Name != user ||
		(actor == "" && res.principal.Actor != nil) || (actor != "" && (res.principal.Actor == nil || res.principal.Actor.Name != actor)) {
		t.Errorf("%s: status %d principal %+v, want user %q actor %q (trace %+v)", what, res.status, res.principal, user, actor, res.trace)
	}
}
