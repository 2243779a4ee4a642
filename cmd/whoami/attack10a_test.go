package main

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/authchain/authchain/assertion"
)

// An assertion is minted fresh for each caller: the answer may not be
// cached by a shared cache nor read by another origin's script.
func TestAttack10aWhoamiAssertionNotCachedNorShared(t *testing.T) {
	backend, tokens := startSynced(t, []string{"-listen", "127.0.0.1:0"}, io.Discard)
	req, _ := http.NewRequest(http.MethodGet, "http://"+backend+"/assertion?aud="+url.QueryEscape("https://runner.example.com"), nil)
	req.Header.Set("X-Forwarded-User", "system:serviceaccount:demo:ambient-key-alice-write")
	req.Header.Set("Authorization", "Bearer "+tokens["ambient-key-alice-write"])
	req.Header.Set("Origin", "https://evil.example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/assertion: %d", resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("Access-Control-Allow-Origin %q", v)
	}
}

// verify refuses "an assertion beside another credential" as ambiguous;
// the runner must not answer such a request as the assertion's Principal
// while silently dropping the other credential.
func TestAttack10aWhoamiAssertionBesideBearer(t *testing.T) {
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
	var minted assertionResponse
	if status := get(t, "http://"+backend+"/assertion?aud="+url.QueryEscape("http://"+runner), alice, &minted); status != 200 {
		t.Fatalf("mint: %d", status)
	}
	var other string
	for k, v := range tokens {
		if k != "ambient-key-alice-write" {
			other = v
			break
		}
	}
	for name, h := range map[string]map[string]string{
		"beside a bearer token": {assertion.AssertionHeader: minted.Assertion, "Authorization": "Bearer " + other},
		"beside a forwarded user": {
			assertion.AssertionHeader: minted.Assertion, "X-Forwarded-User": "system:serviceaccount:demo:ambient-key-bob-read",
		},
	} {
		if status := get(t, "http://"+runner+"/whoami", h, nil); status == 200 {
			t.Errorf("%s: 200, the other credential was ignored", name)
		}
	}
}
