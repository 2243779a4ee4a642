package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
)

// demoVerifier is the jwt strategy of demo mode, over a key set derived
// afresh: a token printed by one run verifies in another.
func demoVerifier(t *testing.T, now time.Time) *jwt.Strategy {
	t.Helper()
	d, err := newDemoIssuer(demoCluster)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.ServiceAccount(demoIssuerURL, d.keys, jwt.WithAudiences(demoAudience),
		jwt.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDemoTokenFlag(t *testing.T) {
	issued := time.Now()
	token := demoToken(t, "ambient-key-alice-write")

	var claims struct {
		gojwt.RegisteredClaims
		Kubernetes struct {
			Namespace      string `json:"namespace"`
			ServiceAccount struct {
				Name, UID string
			} `json:"serviceaccount"`
		} `json:"kubernetes.io"`
	}
	if _, _, err := gojwt.NewParser().ParseUnverified(token, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Issuer != demoIssuerURL || claims.Subject != "system:serviceaccount:demo:ambient-key-alice-write" ||
		len(claims.Audience) != 1 || claims.Audience[0] != demoAudience ||
		claims.Kubernetes.Namespace != "demo" || claims.Kubernetes.ServiceAccount.Name != "ambient-key-alice-write" ||
		claims.Kubernetes.ServiceAccount.UID != "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001" {
		t.Errorf("claims %+v", claims)
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != demoTokenExpires {
		t.Errorf("iat %v exp %v, want a lifetime of %v", claims.IssuedAt, claims.ExpiresAt, demoTokenExpires)
	}

	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	d := demoVerifier(t, issued).Authenticate(r, authn.Principal{})
	if d.Outcome != authn.Contributed || d.Principal.Actor == nil || d.Principal.Actor.UID != "6f1c2a5e-0d7b-4a53-9a51-2b3908aa0001" {
		t.Fatalf("demo token: %+v", d)
	}
	// Short-lived: refused once expired (past the clock skew).
	later := issued.Add(demoTokenExpires + jwt.DefaultClockSkew + time.Minute)
	if d := demoVerifier(t, later).Authenticate(r, authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("expired demo token: %+v, want rejected", d)
	}

	for _, args := range [][]string{
		{"-demo-token", "no-such-key"},
		{"-demo-token", "ambient-key-alice-write", "-cluster", "cluster.yaml"},
		{"-demo-token", "ambient-key-alice-write", "-kubeconfig", "kubeconfig"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 2 || stdout.Len() > 0 {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", args, code, stdout.String())
		}
	}
}

// TestDemoIssuerOnlyInDemoMode: a token of the public demo key means nothing
// to a chain over a cluster file or with another issuer.
func TestDemoIssuerOnlyInDemoMode(t *testing.T) {
	request := keyRequest("ambient-key-alice-write", demoToken(t, "ambient-key-alice-write"))
	dir := t.TempDir()
	cluster := dir + "/cluster.yaml"
	writeFile(t, cluster, string(demoCluster))
	res, code := explainRun(t, request, "-cluster", cluster)
	if code != 1 || res.Status != http.StatusUnauthorized || !strings.HasPrefix(res.Error, "serviceaccount: ") {
		t.Errorf("cluster file: exit %d status %d (%s), want 401 from serviceaccount", code, res.Status, res.Error)
	}

	iss := newIssuerForTest(t)
	writeFile(t, dir+"/jwks.json", string(iss.jwks))
	res, code = explainRun(t, request, "-issuer", "https://issuer.test", "-jwks-file", dir+"/jwks.json", "-audience", "authchain")
	if code != 1 || res.Status != http.StatusUnauthorized {
		t.Errorf("-issuer: exit %d status %d (%s), want 401", code, res.Status, res.Error)
	}
}

var (
	demoTokenLine = regexp.MustCompile(`^  ([a-z0-9-]+) ([A-Za-z0-9_.-]+)$`)
	demoURL       = regexp.MustCompile(`http://\S+/whoami`)
)

// TestServeDemoPrintsTokens starts the demo server as `go run ./cmd/whoami`
// does and uses what it prints: a token for each demo ServiceAccount, and
// a curl command's address.
func TestServeDemoPrintsTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, stdout := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0"}, strings.NewReader(""), stdout, io.Discard)
		stdout.Close()
	}()

	tokens := map[string]string{}
	var url string
	lines := bufio.NewScanner(out)
	lines.Buffer(nil, 64<<10)
	for url == "" && lines.Scan() {
		if m := demoTokenLine.FindStringSubmatch(lines.Text()); m != nil {
			tokens[m[1]] = m[2]
		}
		url = demoURL.FindString(lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if url == "" {
		t.Fatalf("no curl command printed (exit %d)", <-done)
	}
	for _, name := range []string{"ambient-key-alice-write", "ambient-key-minted-by-key", "ambient-key-no-creator", "ci-bot"} {
		if tokens[name] == "" {
			t.Errorf("no token printed for %s", name)
		}
	}

	get := func(user, token string) (int, whoamiResponse) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Forwarded-User", user)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body whoamiResponse
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, body
	}
	const alice = "system:serviceaccount:demo:ambient-key-alice-write"
	if code, body := get(alice, tokens["ambient-key-alice-write"]); code != http.StatusOK || body.Principal.User.Name != "alice@example.com" ||
		body.Principal.Credential == nil || body.Principal.Credential.Issuer != demoIssuerURL {
		t.Errorf("printed token: %d %+v; want alice through the key, with the demo issuer's credential", code, body.Principal)
	}
	if code, _ := get(alice, ""); code != http.StatusUnauthorized {
		t.Errorf("subject without a token: %d, want 401", code)
	}

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after shutdown, want 0", code)
	}
}
