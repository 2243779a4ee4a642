package main

// Adversarial tests of the API-key example, through a real HTTP server
// where the spelling of a header matters.

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntest"
)

// rawRequest sends text over TCP to srv and returns the status code and body.
func rawRequest(t *testing.T, srv *httptest.Server, text string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAttack8KeyUnderOtherSpellingsThroughARealServer: the write key sent as
// x_api_key (delivered as X_api_key), or beside a read key under another
// spelling, never files a report.
func TestAttack8KeyUnderOtherSpellingsThroughARealServer(t *testing.T) {
	router, _, err := NewRouter("192.0.2.10/32", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	// The handler echoes every header name it sees, so a leak shows.
	srv := httptest.NewServer(router)
	defer srv.Close()
	for name, headers := range map[string]string{
		"underscore":           "x_api_key: " + writeKey + "\r\n",
		"upper underscore":     "X_API_KEY: " + writeKey + "\r\n",
		"read then write":      "X-Api-Key: " + readKey + "\r\nx_api_key: " + writeKey + "\r\n",
		"two values":           "X-Api-Key: " + readKey + "\r\nX-Api-Key: " + writeKey + "\r\n",
		"folded into one":      "X-Api-Key: " + readKey + ", " + writeKey + "\r\n",
		"key with a NUL":       "X-Api-Key: " + writeKey + "\x00\r\n",
		"key and bearer":       "X-Api-Key: " + readKey + "\r\nAuthorization: Bearer " + writeKey + "\r\n",
		"key as bearer":        "Authorization: Bearer " + writeKey + "\r\n",
		"forged forwarded SA":  "X-Forwarded-User: system:serviceaccount:keys:bob-deploy\r\n",
		"forwarded user + key": "X-Forwarded-User: carol\r\nX-Api-Key: " + readKey + "\r\n",
	} {
		code, body := rawRequest(t, srv, "POST /reports HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"+headers+"Connection: close\r\n\r\n")
		if code == http.StatusCreated {
			t.Errorf("%s: a report was filed: %s", name, body)
		}
		for _, key := range []string{readKey, writeKey} {
			if strings.Contains(body, key) {
				t.Errorf("%s: the response quotes a key", name)
			}
		}
	}
}

// TestAttack8ProxyForwardingTheKeysServiceAccount: the trusted proxy
// naming the write key's ServiceAccount as its user does not borrow the
// key's role.
func TestAttack8ProxyForwardingTheKeysServiceAccount(t *testing.T) {
	router, _, err := NewRouter("192.0.2.10/32", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"system:serviceaccount:keys:bob-deploy", "System:ServiceAccount:keys:bob-deploy"} {
		r := httptest.NewRequest("POST", "/reports", nil)
		r.RemoteAddr = "192.0.2.10:4000"
		r.Header.Set("X-Forwarded-User", user)
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		if w.Code == http.StatusCreated {
			t.Errorf("proxy forwarding %q filed a report", user)
		}
	}
}

// TestAttack8KeyHeaderNeverReachesTheHandler: whatever the spelling, the
// handler of GET /me sees no copy of the key.
func TestAttack8KeyHeaderNeverReachesTheHandler(t *testing.T) {
	router, _, err := NewRouter("192.0.2.10/32", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range []string{"X-Api-Key", "X_api_key", "x-api-key", "X-API_KEY"} {
		r := httptest.NewRequest("GET", "/me", nil)
		r.RemoteAddr = "203.0.113.5:4000"
		r.Header[sp] = []string{readKey}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, readKey) {
					t.Errorf("%s: header %s still holds the key after the router", sp, k)
				}
			}
		}
		if strings.Contains(w.Body.String(), readKey) {
			t.Errorf("%s: /me quotes the key", sp)
		}
	}
}

func TestAttack8NewAPIKeysErrorsNeverQuoteAKey(t *testing.T) {
	short := "short-key"
	for _, keys := range []map[string]Key{
		{short: {Owner: "a@example.com", Namespace: "keys", Name: "k", Role: "read"}},
		{readKey: {Owner: "system:admin", Namespace: "keys", Name: "k", Role: "read"}},
		{readKey: {Owner: "a@example.com", Namespace: "keys:x", Name: "k", Role: "read"}},
		{readKey: {Owner: "a@example.com", Namespace: "keys", Name: "", Role: "read"}},
		{strings.Repeat("k", 300): {Owner: "a@example.com", Namespace: "keys", Name: "k", Role: "read"}},
	} {
		_, err := NewAPIKeys(keys)
		if err == nil {
			t.Errorf("%v accepted", keys)
			continue
		}
		for k := range keys {
			if strings.Contains(err.Error(), k) {
				t.Errorf("error quotes the key: %v", err)
			}
		}
	}
}

// TestAttack8APIKeysPassesConformance: the example's custom strategy runs
// the suite every strategy must pass, with the proxy as a trusted peer and
// the forwarded strategy before it.
func TestAttack8APIKeysPassesConformance(t *testing.T) {
	s, err := NewAPIKeys(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	authntest.Conformance(t, s, authntest.Config{
		Good: authntest.Credential{Name: "read key", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", readKey)}},
		Bad: []authntest.Credential{
			{Name: "unknown key", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", strings.Repeat("x", 40))}},
			{Name: "two keys", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", readKey), authntest.WithHeader("X-Api-Key", writeKey)}},
			{Name: "another spelling", Request: []authntest.RequestOption{authntest.WithHeader("X_api_key", writeKey)}},
			{Name: "with an identity", Request: []authntest.RequestOption{authntest.WithHeader("X-Api-Key", readKey)},
				Sofar: &authn.Principal{User: authn.User{Name: "carol"}}},
		},
		Headers: []string{APIKeyHeader},
		Secrets: []string{readKey, writeKey, strings.Repeat("x", 40)},
	})
}
