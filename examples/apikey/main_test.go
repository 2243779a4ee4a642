package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
)

const (
	readKey  = "read-key-0123456789abcdef0123456789"
	writeKey = "write-key-0123456789abcdef012345678"
)

var testKeys = map[string]Key{
	readKey:  {Owner: "alice@example.com", Namespace: "keys", Name: "alice-ci", Role: "read"},
	writeKey: {Owner: "bob@example.com", Namespace: "keys", Name: "bob-deploy", Role: "write"},
}

func TestRouter(t *testing.T) {
	router, counting, err := NewRouter("192.0.2.10/32", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, remote string, headers ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = remote
		for i := 0; i < len(headers); i += 2 {
			r.Header[headers[i]] = append(r.Header[headers[i]], headers[i+1])
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		return w
	}
	const client, proxy = "203.0.113.5:4000", "192.0.2.10:4000"

	w := do("GET", "/me", client, "X-Api-Key", readKey)
	var p authn.Principal
	if err := json.Unmarshal(w.Body.Bytes(), &p); w.Code != 200 || err != nil {
		t.Fatalf("GET /me with a key: %d %s", w.Code, w.Body)
	}
	if p.User.Name != "alice@example.com" || p.Actor == nil || p.Actor.Attributes[RoleAttribute] != "read" {
		t.Errorf("principal %+v", p)
	}
	for _, tc := range []struct {
		name    string
		remote  string
		headers []string
		want    int
	}{
		{"read key may not post", client, []string{"X-Api-Key", readKey}, http.StatusForbidden},
		{"write key may post", client, []string{"X-Api-Key", writeKey}, http.StatusCreated},
		{"a human through the proxy is not capped", proxy, []string{"X-Forwarded-User", "carol"}, http.StatusCreated},
		{"no credential", client, nil, http.StatusUnauthorized},
		{"unknown key", client, []string{"X-Api-Key", strings.Repeat("x", 40)}, http.StatusUnauthorized},
		{"two keys", client, []string{"X-Api-Key", writeKey, "X-Api-Key", readKey}, http.StatusUnauthorized},
		{"a second spelling", client, []string{"X-Api-Key", writeKey, "X_api_key", readKey}, http.StatusUnauthorized},
		{"a key with a forwarded user", proxy, []string{"X-Forwarded-User", "carol", "X-Api-Key", writeKey}, http.StatusUnauthorized},
		{"a forwarded user from a client", client, []string{"X-Forwarded-User", "carol"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do("POST", "/reports", tc.remote, tc.headers...)
			if w.Code != tc.want {
				t.Errorf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			for _, key := range []string{readKey, writeKey} {
				if strings.Contains(w.Body.String(), key) {
					t.Errorf("the response quotes a key: %s", w.Body)
				}
			}
		})
	}
	if a, r := counting.Accepted.Load(), counting.Refused.Load(); a != 4 || r != 6 {
		t.Errorf("Counting saw %d accepted and %d refused, want 4 and 6", a, r)
	}
}

func TestNewAPIKeysRefusesBadKeys(t *testing.T) {
	for name, keys := range map[string]map[string]Key{
		"short key":       {"short": {Owner: "alice", Namespace: "keys", Name: "a"}},
		"system owner":    {readKey: {Owner: "system:admin", Namespace: "keys", Name: "a"}},
		"bad namespace":   {readKey: {Owner: "alice", Namespace: "Keys!", Name: "a"}},
		"empty owner":     {readKey: {Namespace: "keys", Name: "a"}},
		"missing account": {readKey: {Owner: "alice"}},
	} {
		_, err := NewAPIKeys(keys)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), readKey) {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
	}
}
