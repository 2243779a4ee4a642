package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/setup"
)

// explainRun runs `whoami -explain` with args and the request on stdin.
func explainRun(t *testing.T, request string, args ...string) (explainResult, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"-explain"}, args...), strings.NewReader(request), &stdout, &stderr)
	var res explainResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("exit %d, output %q, stderr %q: %v", code, stdout.String(), stderr.String(), err)
	}
	return res, code
}

// demoToken runs `whoami -demo-token NAME` and returns the token it prints.
func demoToken(t *testing.T, name string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-demo-token", name}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("-demo-token %s: exit %d, stderr %q", name, code, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// keyRequest is a request through the proxy for demo key name: its subject
// and, if token is not "", its token.
func keyRequest(name, token string) string {
	r := "X-Forwarded-User: system:serviceaccount:demo:" + name + "\n"
	if token != "" {
		r += "Authorization: Bearer " + token + "\n"
	}
	return r
}

func TestExplainDemoCluster(t *testing.T) {
	alice := authn.ServiceAccount{Namespace: "demo", Name: "ambient-key-alice-write", UID: "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001"}
	aliceToken := demoToken(t, "ambient-key-alice-write")
	tests := []struct {
		name       string
		request    string
		args       []string
		wantCode   int
		wantStatus int
		// wantRefusedBy is the strategy of a refusal.
		wantRefusedBy string
		wantUser      string
		wantActor     *authn.ServiceAccount
		wantSynth     bool
		wantVia       []string
	}{
		{
			name:       "annotated key with its token acts for its creator",
			request:    keyRequest("ambient-key-alice-write", aliceToken),
			wantStatus: 200, wantUser: "alice@example.com", wantActor: &alice,
			wantVia: []string{"forwarded", "jwt", "annotation"},
		},
		{
			name:       "token alone acts for its creator",
			request:    "Authorization: Bearer " + aliceToken + "\n",
			wantStatus: 200, wantUser: "alice@example.com", wantActor: &alice,
			wantVia: []string{"jwt", "annotation"},
		},
		{
			name:       "key minted by a key acts for the root creator",
			request:    keyRequest("ambient-key-minted-by-key", demoToken(t, "ambient-key-minted-by-key")),
			wantStatus: 200, wantUser: "alice@example.com",
			wantActor: &authn.ServiceAccount{Namespace: "demo", Name: "ambient-key-minted-by-key", UID: "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0003"},
		},
		{
			name:       "key without creator is synthetic",
			request:    keyRequest("ambient-key-no-creator", demoToken(t, "ambient-key-no-creator")),
			wantStatus: 200, wantUser: "system-serviceaccount-demo-ambient-key-no-creator", wantSynth: true,
			wantActor: &authn.ServiceAccount{Namespace: "demo", Name: "ambient-key-no-creator", UID: "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0002"},
		},
		{
			name:       "human from the trusted proxy",
			request:    "X-Forwarded-User: bob\nX-Forwarded-Groups: dev\n",
			wantStatus: 200, wantUser: "bob",
		},
		{
			name:     "spoofed headers from an untrusted peer",
			request:  "@peer: 192.0.2.10:5555\nX-Forwarded-For: 127.0.0.1\nX-Forwarded-User: alice@example.com\n",
			wantCode: 1, wantStatus: 401, wantRefusedBy: "forwarded",
		},
		{
			name:     "forged annotation on a ServiceAccount that is not an access key",
			request:  keyRequest("ci-bot", demoToken(t, "ci-bot")),
			wantCode: 1, wantStatus: 401, wantRefusedBy: "annotation",
		},
		{
			name:     "subject without a token is refused",
			request:  keyRequest("ambient-key-alice-write", ""),
			wantCode: 1, wantStatus: 401, wantRefusedBy: "serviceaccount",
		},
		{
			name:     "subject with another key's token is refused",
			request:  keyRequest("ambient-key-alice-write", demoToken(t, "ambient-key-no-creator")),
			wantCode: 1, wantStatus: 401, wantRefusedBy: "jwt",
		},
		{
			name:       "without token proof the subject alone is believed",
			request:    keyRequest("ambient-key-alice-write", ""),
			args:       []string{"-require-token-proof=false"},
			wantStatus: 200, wantUser: "alice@example.com", wantActor: &alice,
			wantVia: []string{"forwarded", "serviceaccount", "annotation"},
		},
		{
			name:       "without token proof a token is still checked",
			request:    keyRequest("ambient-key-alice-write", aliceToken),
			args:       []string{"-require-token-proof=false"},
			wantStatus: 200, wantUser: "alice@example.com", wantActor: &alice,
			wantVia: []string{"forwarded", "jwt", "annotation"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, code := explainRun(t, tt.request, tt.args...)
			if code != tt.wantCode || res.Status != tt.wantStatus {
				t.Fatalf("exit %d status %d (%s), want exit %d status %d", code, res.Status, res.Error, tt.wantCode, tt.wantStatus)
			}
			if len(res.Trace) == 0 {
				t.Error("no trace printed")
			}
			if tt.wantStatus != 200 {
				if res.Principal != nil || !strings.HasPrefix(res.Error, tt.wantRefusedBy+": ") {
					t.Errorf("refusal printed principal %v, error %q; want an error from %s", res.Principal, res.Error, tt.wantRefusedBy)
				}
				return
			}
			if res.Principal == nil {
				t.Fatal("no principal printed")
			}
			if res.Principal.User.Name != tt.wantUser || res.Principal.Synthetic != tt.wantSynth {
				t.Errorf("user %q synthetic %v, want %q %v", res.Principal.User.Name, res.Principal.Synthetic, tt.wantUser, tt.wantSynth)
			}
			if tt.wantVia != nil && !slices.Equal(res.Principal.Via, tt.wantVia) {
				t.Errorf("via %v, want %v", res.Principal.Via, tt.wantVia)
			}
			if tt.wantActor != nil {
				got := *res.Principal.Actor
				got.Attributes = nil
				if diff := cmp.Diff(*tt.wantActor, got); diff != "" {
					t.Errorf("actor (-want +got):\n%s", diff)
				}
			} else if res.Principal.Actor != nil {
				t.Errorf("human request got actor %+v", res.Principal.Actor)
			}
		})
	}
}

func TestExplainClusterFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.yaml")
	writeFile(t, cluster, `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: u-1
  labels: {kind: robot}
  annotations: {example.com/owner: carol}
`)
	// A cluster file has no issuer: the subject is believed without a
	// token only when asked to.
	res, code := explainRun(t, "X-Forwarded-User: system:serviceaccount:team:key\n",
		"-cluster", cluster, "-annotation", "example.com/owner", "-require-label", "kind=robot")
	if code != 1 || res.Status != 401 || !strings.HasPrefix(res.Error, "serviceaccount: ") {
		t.Fatalf("with token proof: exit %d status %d (%s), want 1, 401 from serviceaccount", code, res.Status, res.Error)
	}
	res, code = explainRun(t, "X-Forwarded-User: system:serviceaccount:team:key\n",
		"-cluster", cluster, "-annotation", "example.com/owner", "-require-label", "kind=robot", "-require-token-proof=false")
	if code != 0 || res.Principal == nil || res.Principal.User.Name != "carol" {
		t.Fatalf("exit %d, result %+v", code, res)
	}
	// The default label requirement is replaced, not extended, by -require-label.
	res, code = explainRun(t, "X-Forwarded-User: system:serviceaccount:team:key\n",
		"-cluster", cluster, "-annotation", "example.com/owner", "-require-token-proof=false")
	if code != 1 || res.Status != 401 || !strings.HasPrefix(res.Error, "annotation: ") {
		t.Fatalf("without the robot label: exit %d status %d (%s), want 1, 401 from annotation", code, res.Status, res.Error)
	}
}

func TestExplainBindingKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := "whoami-test-binding-key-0123456789abcdef"
	writeFile(t, filepath.Join(dir, "key"), key+"\n")
	var cluster strings.Builder
	for _, sa := range []struct{ name, uid, user, signedUser string }{
		{"signed-key", "u-1", "dana", "dana"},
		{"edited-key", "u-2", "mallory", "dana"}, // annotation changed after signing
	} {
		cluster.WriteString(`---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ` + sa.name + `
  namespace: team
  uid: ` + sa.uid + `
  labels: {app: ambient-access-key}
  annotations:
    ambient-code.io/created-by-user-id: ` + sa.user + `
    ambient-code.io/created-by-binding: ` + signBinding(t, key, binding.Binding{Namespace: "team", Name: sa.name, UID: sa.uid, Creator: sa.signedUser}) + "\n")
	}
	writeFile(t, filepath.Join(dir, "cluster.yaml"), cluster.String())
	// Subjects without tokens, to keep to the binding check.
	withKey := []string{"-cluster", filepath.Join(dir, "cluster.yaml"), "-binding-key-file", filepath.Join(dir, "key"), "-require-token-proof=false"}

	if res, code := explainRun(t, "X-Forwarded-User: system:serviceaccount:team:signed-key\n", withKey...); code != 0 || res.Principal.User.Name != "dana" {
		t.Errorf("signed key: exit %d, %+v", code, res)
	}
	if res, code := explainRun(t, "X-Forwarded-User: system:serviceaccount:team:edited-key\n", withKey...); code != 1 || res.Status != 401 {
		t.Errorf("edited key with binding checks: exit %d status %d, want 1 and 401", code, res.Status)
	}
	// Without the key file only the label is checked, and the edit goes unseen:
	// the flag is what turns binding checks on.
	if res, code := explainRun(t, "X-Forwarded-User: system:serviceaccount:team:edited-key\n", "-cluster", filepath.Join(dir, "cluster.yaml"), "-require-token-proof=false"); code != 0 || res.Principal.User.Name != "mallory" {
		t.Errorf("edited key without binding checks: exit %d, %+v", code, res)
	}
}

func TestExplainUnreachableAPIServerIs503(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	// Port 1 on loopback refuses connections: the informer never syncs.
	writeFile(t, kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-used}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)
	res, code := explainRun(t, "X-Forwarded-User: system:serviceaccount:demo:ambient-key-alice-write\n",
		"-kubeconfig", kubeconfig, "-sync-timeout", "300ms", "-require-token-proof=false")
	if code != 1 || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("exit %d status %d (%s), want 1 and 503", code, res.Status, res.Error)
	}
	// Humans do not need the cache.
	res, code = explainRun(t, "X-Forwarded-User: bob\n", "-kubeconfig", kubeconfig, "-sync-timeout", "1ms")
	if code != 0 || res.Principal == nil || res.Principal.User.Name != "bob" {
		t.Fatalf("human path: exit %d, %+v", code, res)
	}
}

func TestExplainRejectsBadInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-explain"}, strings.NewReader("not a header line\n"), &stdout, &stderr); code != 2 {
		t.Errorf("malformed stdin: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"-require-label", "novalue"}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"-cluster", "a", "-kubeconfig", "b"}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("exclusive flags: exit %d, want 2", code)
	}
}

func TestServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cache, err := setup.FakeCache(ctx, bytes.NewReader(demoCluster))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cache.Shutdown() })
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := newDemoIssuer(demoCluster)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.flagConfiguration()
	if err != nil {
		t.Fatal(err)
	}
	var files localFiles
	defer files.remove()
	if err := o.localize(cfg, demo, &files); err != nil {
		t.Fatal(err)
	}
	built, err := cfg.Build(ctx, authnconfig.Deps{ServiceAccounts: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	handler, err := newHandler(built.Chain, cache.HasSynced, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/whoami", nil)
	req.Header.Set("X-Forwarded-User", "system:serviceaccount:demo:ambient-key-alice-write")
	req.Header.Set("Authorization", "Bearer "+demoToken(t, "ambient-key-alice-write"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body whoamiResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body.Principal.User.Name != "alice@example.com" || body.Principal.Actor == nil || len(body.Trace) != 5 {
		t.Errorf("status %d body %+v", resp.StatusCode, body)
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/whoami", nil)
	req.Header.Set("X-Forwarded-User", "system:serviceaccount:demo:ci-bot")
	req.Header.Set("Authorization", "Bearer "+demoToken(t, "ci-bot"))
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 401 || !strings.HasPrefix(resp2.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("forged annotation: %d %s", resp2.StatusCode, resp2.Header.Get("Content-Type"))
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func signBinding(t *testing.T, key string, b binding.Binding) string {
	t.Helper()
	v, err := binding.Sign([]byte(key), b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
