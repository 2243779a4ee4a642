package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
)

// get sends GET url with headers and decodes a JSON answer into out when
// it is not nil; it returns the status.
func get(t *testing.T, url string, headers map[string]string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return resp.StatusCode
}

// TestAssertionRoundTrip runs two whoami: the backend mints an assertion
// for a request that an access key made for alice, and the runner, which
// accepts the backend's assertions, rebuilds the same Principal from it.
func TestAssertionRoundTrip(t *testing.T) {
	backend, tokens := startSynced(t, []string{"-listen", "127.0.0.1:0"}, io.Discard)
	runner, _ := startServer(t, []string{
		"-listen", "127.0.0.1:0",
		"-accept-assertions-jwks", "http://" + backend + "/.well-known/jwks.json",
		"-accept-assertions-issuer", "http://" + backend,
	}, io.Discard)

	alice := map[string]string{
		"X-Forwarded-User": "system:serviceaccount:demo:ambient-key-alice-write",
		"Authorization":    "Bearer " + tokens["ambient-key-alice-write"],
	}
	var atBackend whoamiResponse
	if status := get(t, "http://"+backend+"/whoami", alice, &atBackend); status != 200 {
		t.Fatalf("backend /whoami: %d", status)
	}
	mint := func(aud string) (int, assertionResponse) {
		var res assertionResponse
		status := get(t, "http://"+backend+"/assertion?aud="+url.QueryEscape(aud), alice, &res)
		return status, res
	}
	status, minted := mint("http://" + runner)
	if status != 200 || minted.Header != assertion.AssertionHeader || minted.Issuer != "http://"+backend {
		t.Fatalf("backend /assertion: %d %+v", status, minted)
	}

	var atRunner whoamiResponse
	if status := get(t, "http://"+runner+"/whoami", map[string]string{assertion.AssertionHeader: minted.Assertion}, &atRunner); status != 200 {
		t.Fatalf("runner /whoami: %d", status)
	}
	if diff := cmp.Diff(atBackend.Principal, atRunner.Principal, cmpopts.IgnoreFields(authn.Principal{}, "Via", "Credential")); diff != "" {
		t.Errorf("runner's Principal differs (-backend +runner):\n%s", diff)
	}
	if atRunner.Principal.Actor == nil || atRunner.Principal.Actor.UID == "" {
		t.Errorf("runner lost the actor: %+v", atRunner.Principal.Actor)
	}
	if c := atRunner.Principal.Credential; c == nil || c.Type != "assertion" || c.ID != atBackend.Principal.Credential.ID {
		t.Errorf("runner credential %+v, backend's %+v", c, atBackend.Principal.Credential)
	}

	// An assertion for another audience, a tampered one, and the
	// backend's own bearer credentials beside one are refused.
	_, other := mint("http://vault.example.com")
	for name, headers := range map[string]map[string]string{
		"another audience": {assertion.AssertionHeader: other.Assertion},
		"tampered":         {assertion.AssertionHeader: minted.Assertion[:len(minted.Assertion)-4] + "AAAA"},
		"not a JWT":        {assertion.AssertionHeader: "hello"},
	} {
		if status := get(t, "http://"+runner+"/whoami", headers, nil); status != 401 {
			t.Errorf("runner, %s: %d", name, status)
		}
	}
	// The runner does not mint again for a Principal it received by
	// assertion: that would re-bind it to any audience.
	fresh := minted
	if _, fresh = mint("http://" + runner); fresh.Assertion == "" {
		t.Fatal("no second assertion")
	}
	if status := get(t, "http://"+runner+"/assertion?aud=x", map[string]string{assertion.AssertionHeader: fresh.Assertion}, nil); status != 403 {
		t.Errorf("runner re-minting a received principal: %d, want 403", status)
	}
	// The backend publishes discovery for its keys.
	var discovery struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if status := get(t, "http://"+backend+assertion.DiscoveryPath, nil, &discovery); status != 200 ||
		discovery.Issuer != "http://"+backend || discovery.JWKSURI != "http://"+backend+jwksPath {
		t.Errorf("discovery: %d %+v", status, discovery)
	}
	// The runner is ready once it has fetched the backend's keys.
	if status := readyz(t, runner); status != 200 {
		t.Errorf("runner /readyz: %d", status)
	}
	// Without an assertion, the runner's own chain answers.
	if status := get(t, "http://"+runner+"/whoami", alice, nil); status != 200 {
		t.Errorf("runner without an assertion: %d", status)
	}
	// The backend mints only for an authenticated caller and a sound
	// audience.
	if status := get(t, "http://"+backend+"/assertion?aud=x", nil, nil); status != 401 {
		t.Errorf("anonymous /assertion: %d", status)
	}
	for _, q := range []string{"", "?aud=", "?aud=a%20b", "?aud=a&aud=b"} {
		if status := get(t, "http://"+backend+"/assertion"+q, alice, nil); status != 400 {
			t.Errorf("/assertion%s: %d", q, status)
		}
	}
}

// -assertion-key-file signs with the given key, whose public half the
// JWKS publishes.
func TestAssertionKeyFile(t *testing.T) {
	dir := t.TempDir()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]any{"ed.pem": ed, "p384.pem": p384} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	}
	o, err := parseFlags([]string{"-assertion-key-file", filepath.Join(dir, "ed.pem"), "-assertion-issuer", "https://whoami.example.com"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m, err := o.newMinting("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.ring.JWKS()), `"crv":"Ed25519"`) || m.signer.Issuer() != "https://whoami.example.com" {
		t.Errorf("JWKS %s, issuer %s", m.ring.JWKS(), m.signer.Issuer())
	}
	o.assertionKeyFile = filepath.Join(dir, "p384.pem")
	if _, err := o.newMinting("127.0.0.1:1"); err == nil {
		t.Error("a P-384 key was taken")
	}
}

func TestAssertionFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-accept-assertions-jwks", "keys.json"},
		{"-accept-assertions-issuer", "https://a.example.com"},
		{"-accept-assertions-audience", "x"},
		{"-explain", "-accept-assertions-jwks", "keys.json", "-accept-assertions-issuer", "https://a.example.com"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// TestAcceptAssertionsKeySources: a FILE is read once at start; a URL is
// fetched in the background, so a runner starts while the keys are not
// served yet, is not ready, and answers an assertion with 503 rather than
// 401; an http URL of another host is refused at start.
func TestAcceptAssertionsKeySources(t *testing.T) {
	backend, tokens := startSynced(t, []string{"-listen", "127.0.0.1:0"}, io.Discard)
	alice := map[string]string{
		"X-Forwarded-User": "system:serviceaccount:demo:ambient-key-alice-write",
		"Authorization":    "Bearer " + tokens["ambient-key-alice-write"],
	}
	const aud = "https://runner.example.com"
	var minted assertionResponse
	if status := get(t, "http://"+backend+"/assertion?aud="+url.QueryEscape(aud), alice, &minted); status != 200 {
		t.Fatalf("backend /assertion: %d", status)
	}
	withAssertion := map[string]string{assertion.AssertionHeader: minted.Assertion}

	resp, err := http.Get("http://" + backend + jwksPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, set, 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, _ := startServer(t, []string{"-listen", "127.0.0.1:0",
		"-accept-assertions-jwks", file, "-accept-assertions-issuer", "http://" + backend, "-accept-assertions-audience", aud}, io.Discard)
	if status := get(t, "http://"+fromFile+"/whoami", withAssertion, nil); status != 200 {
		t.Errorf("keys from a file: %d", status)
	}
	if status := readyz(t, fromFile); status != 200 {
		t.Errorf("keys from a file: /readyz %d", status)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	early, _ := startServer(t, []string{"-listen", "127.0.0.1:0",
		"-accept-assertions-jwks", down.URL + jwksPath, "-accept-assertions-issuer", "http://" + backend, "-accept-assertions-audience", aud}, io.Discard)
	if status := get(t, "http://"+early+"/whoami", withAssertion, nil); status != http.StatusServiceUnavailable {
		t.Errorf("keys not served: %d, want 503", status)
	}
	if status := get(t, "http://"+early+"/readyz", nil, nil); status != http.StatusServiceUnavailable {
		t.Errorf("keys not served: /readyz %d, want 503", status)
	}

	var stderr strings.Builder
	code := run(context.Background(), []string{"-listen", "127.0.0.1:0",
		"-accept-assertions-jwks", "http://192.0.2.1/.well-known/jwks.json", "-accept-assertions-issuer", "http://192.0.2.1"},
		strings.NewReader(""), io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "loopback") {
		t.Errorf("http JWKS URL of another host: exit %d, %q", code, stderr.String())
	}
}

// readyz returns the status of addr's /readyz once it is 200, or the last
// one after ten seconds: the in-memory ServiceAccount cache syncs in the
// background, and a loaded machine may take a moment. The wait bounds a
// hang; it asserts nothing about speed.
func readyz(t *testing.T, addr string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status := get(t, "http://"+addr+"/readyz", nil, nil)
		if status == 200 || time.Now().After(deadline) {
			return status
		}
		time.Sleep(20 * time.Millisecond)
	}
}
