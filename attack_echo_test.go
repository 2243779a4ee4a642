package authchain_test

// Class 8: no token, header value or binding value is ever echoed in a
// response body, an Error(), a Reason or a Detail, whatever fails.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
)

const sekrit = "Zq7SEKRITv4lue"

// secretTexts collects every text a failing request produced that a client
// or a log could read.
func secretTexts(res atkResult) []string {
	out := []string{res.body}
	if res.err != nil {
		out = append(out, res.err.Error())
		var ae *authn.Error
		if errors.As(res.err, &ae) {
			out = append(out, ae.Reason, ae.Detail)
		}
	}
	for _, e := range res.trace {
		out = append(out, e.Reason, e.Detail)
	}
	return out
}

func noEcho(t *testing.T, what string, res atkResult, secrets ...string) {
	t.Helper()
	for _, text := range secretTexts(res) {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s: %q echoed in %q", what, s, text)
			}
		}
	}
}

// TestAttack_NothingEchoed drives many failing requests through the full
// stack and searches every text for the secret material.
func TestAttack_NothingEchoed(t *testing.T) {
	cfg := atkConfig(t)
	cfg.Headers = "front-proxy"
	cfg.CopyAttributes = []string{"ambient-code.io/role"}
	cluster := `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  labels: {app: ambient-access-key}
  annotations:
    ambient-code.io/created-by-user-id: "` + sekrit + `\u200b"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: key2
  namespace: team
  uid: uid-key2
  labels: {app: ` + sekrit + `}
  annotations:
    ambient-code.io/created-by-user-id: "alice"
`
	chain := atkChain(t, cfg, cluster)
	good := atkToken(t, "team", "key", "uid-key")
	sig := good[strings.LastIndexByte(good, '.')+1:][:30]
	expired := atkToken(t, "team", "key", "uid-key", claim("exp", "-1h"))
	other := atkTokenWith(t, "RS256-unpublished", "rsa-1", "team", "key", "uid-key")
	webhook := atkToken(t, "team", "key", "uid-key", k8sClaim("validatingwebhookconfiguration", map[string]any{"name": sekrit, "uid": sekrit}))
	inputs := []struct {
		name string
		peer string
		kv   []string
		secs []string
	}{
		{"untrusted user", atkClient, []string{"X-Remote-User", sekrit}, []string{sekrit}},
		{"control char user", atkProxy, []string{"X-Remote-User", sekrit + "\x01"}, []string{sekrit}},
		{"system user", atkProxy, []string{"X-Remote-User", "system:" + sekrit}, []string{sekrit}},
		{"synthetic user", atkProxy, []string{"X-Remote-User", "system-serviceaccount-" + sekrit}, []string{sekrit}},
		{"long user", atkProxy, []string{"X-Remote-User", strings.Repeat(sekrit, 200)}, []string{sekrit}},
		{"bad group", atkProxy, []string{"X-Remote-User", "bob", "X-Remote-Group", "system:" + sekrit}, []string{sekrit}},
		{"bad extra key", atkProxy, []string{"X-Remote-User", "bob", "X-Remote-Extra-" + sekrit + "%zz", "v"}, []string{sekrit}},
		{"bad extra value", atkProxy, []string{"X-Remote-User", "bob", "X-Remote-Extra-Scopes", sekrit + "\n"}, []string{sekrit}},
		{"duplicate uid", atkProxy, []string{"X-Remote-User", "bob", "X-Remote-Uid", sekrit, "X-Remote-Uid", sekrit}, []string{sekrit}},
		{"malformed subject", atkProxy, []string{"X-Remote-User", "system:serviceaccount:" + sekrit}, []string{sekrit}},
		{"subject without proof", atkProxy, []string{"X-Remote-User", "system:serviceaccount:team:" + strings.ToLower(sekrit)}, []string{strings.ToLower(sekrit)}},
		{"malformed bearer", atkProxy, []string{"Authorization", "Bearer " + sekrit + " " + sekrit}, []string{sekrit}},
		{"oversize bearer", atkProxy, []string{"Authorization", "Bearer " + strings.Repeat(sekrit, 2000)}, []string{sekrit}},
		{"expired", atkProxy, []string{"Authorization", "Bearer " + expired}, []string{expired[:40], expired[len(expired)-30:]}},
		{"unpublished key", atkProxy, []string{"Authorization", "Bearer " + other}, []string{other[:40], other[len(other)-30:]}},
		{"webhook bound", atkProxy, []string{"Authorization", "Bearer " + webhook}, []string{sekrit, webhook[len(webhook)-30:]}},
		{"bad creator annotation", atkProxy, []string{"Authorization", "Bearer " + good}, []string{sekrit, sig}},
		{"label policy", atkProxy, []string{"Authorization", "Bearer " + atkToken(t, "team", "key2", "uid-key2")}, []string{sekrit}},
		{"subject mismatch", atkProxy, []string{"X-Remote-User", "system:serviceaccount:team:other", "Authorization", "Bearer " + good}, []string{sig}},
		{"human with key token", atkProxy, []string{"X-Remote-User", sekrit, "Authorization", "Bearer " + good}, []string{sekrit, sig}},
	}
	for _, in := range inputs {
		res := atkDo(chain, atkRequest(in.peer, in.kv...))
		if res.status == http.StatusOK {
			t.Errorf("%s: authenticated", in.name)
		}
		noEcho(t, in.name, res, in.secs...)
	}
}

// TestAttack_BindingAndSecretsNotEchoed: binding values and the shared
// proxy secret never appear in what a failure produces.
func TestAttack_BindingAndSecretsNotEchoed(t *testing.T) {
	cfg := atkConfig(t)
	cfg.RequireLabels = nil
	cfg.BindingKey = atkBinding
	cfg.TrustCIDRs = nil
	cfg.TrustSecretHeader, cfg.TrustSecret = "X-Proxy-Secret", "proxy-secret-"+sekrit+"-0123456789abcdef"
	cfg.CopyAttributes = []string{"ambient-code.io/role"}
	binding := "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ambient-code.io/role"
	chain := atkChain(t, cfg, `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  annotations:
    ambient-code.io/created-by-user-id: alice
    ambient-code.io/role: `+sekrit+`
    ambient-code.io/created-by-binding: "`+binding+`"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: key2
  namespace: team
  uid: uid-key2
  annotations:
    ambient-code.io/created-by-user-id: alice
    ambient-code.io/created-by-binding: "v9.`+sekrit+`"
`)
	for name, kv := range map[string][]string{
		"bad binding":       {"Authorization", "Bearer " + atkToken(t, "team", "key", "uid-key")},
		"malformed binding": {"Authorization", "Bearer " + atkToken(t, "team", "key2", "uid-key2")},
		"wrong secret":      {"X-Forwarded-User", "alice", "X-Proxy-Secret", "proxy-secret-" + sekrit + "-0123456789abcdeX"},
		"secret twice":      {"X-Forwarded-User", "alice", "X-Proxy-Secret", cfg.TrustSecret, "X-Proxy-Secret", cfg.TrustSecret},
	} {
		res := atkDo(chain, atkRequest(atkClient, kv...))
		if res.status == http.StatusOK {
			t.Errorf("%s: authenticated", name)
		}
		noEcho(t, name, res, sekrit, "AAAAAAAAAAAAAAAAAAAA")
		for k, vs := range res.seen {
			if strings.Contains(fmt.Sprint(vs), sekrit) {
				t.Errorf("%s: the secret header %s reached the error writer", name, k)
			}
		}
	}
	// The right secret authenticates, and the handler never sees it.
	res := atkDo(chain, atkRequest(atkClient, "X-Forwarded-User", "alice", "X-Proxy-Secret", cfg.TrustSecret))
	wantUser(t, "right secret", res, "alice", "")
	if strings.Contains(fmt.Sprint(res.seen), sekrit) {
		t.Errorf("the handler saw the proxy secret: %v", res.seen)
	}
}

// reviewEchoChain is the standard chain with TokenReview against an API
// server whose answers quote the token, in the way *mode says.
func reviewEchoChain(t *testing.T, mode *string, mu *sync.Mutex) *authn.Chain {
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		mu.Lock()
		m := *mode
		mu.Unlock()
		switch m {
		case "badname":
			tr.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
				User: authenticationv1.UserInfo{Username: "SYSTEM:" + tr.Spec.Token[:20]}}
		default:
			tr.Status = authenticationv1.TokenReviewStatus{Error: "invalid token " + tr.Spec.Token}
		}
		return true, tr, nil
	})
	cfg := atkConfig(t)
	cfg.Issuer, cfg.Keys = "", nil
	cfg.TokenReviews = client.AuthenticationV1().TokenReviews()
	return atkChain(t, cfg, atkKeyCluster)
}

// TestAttack_TokenReviewAnswersNotEchoed: an API server whose answers quote
// the token (status.error, a user name made of it): nothing of it reaches
// a client or a log line.
func TestAttack_TokenReviewAnswersNotEchoed(t *testing.T) {
	var mu sync.Mutex
	mode := ""
	chain := reviewEchoChain(t, &mode, &mu)
	for i, m := range []string{"status", "badname"} {
		mu.Lock()
		mode = m
		mu.Unlock()
		tok := atkToken(t, "team", "key", fmt.Sprintf("uid-%d", i))
		res := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok))
		if res.status == http.StatusOK {
			t.Errorf("%s: authenticated", m)
		}
		noEcho(t, m, res, tok[:20], tok[len(tok)-25:])
	}
}

// TestAttack_TokenReviewClientErrorInLogs: when the TokenReview call
// fails at the HTTP level and the error page quotes the request (a gateway
// or proxy in front of the API server answering 502 with what it could not
// parse), client-go puts that body into the error message. The bearer token
// must not reach authn.Error.Error(), which whoami and any observer log, so
// the strategy never passes the client's message on.
func TestAttack_TokenReviewClientErrorInLogs(t *testing.T) {
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write(append([]byte("upstream refused request: "), body...))
	}))
	defer gateway.Close()
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: gateway.URL})
	if err != nil {
		t.Fatal(err)
	}
	cfg := atkConfig(t)
	cfg.Issuer, cfg.Keys = "", nil
	cfg.TokenReviews = cs.AuthenticationV1().TokenReviews()
	chain := atkChain(t, cfg, atkKeyCluster)
	tok := atkToken(t, "team", "key", "uid-key")
	res := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok))
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", res.status)
	}
	noEcho(t, "client error", res, tok[:20], tok[len(tok)-25:])
}
