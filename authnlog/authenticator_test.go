package authnlog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnlog"
)

// bearerChain is a chain whose one strategy reads "Authorization: Bearer
// KIND-SECRET": "key" resolves alice through ServiceAccount team/key,
// "bad" is rejected and "down" fails. Its answers never quote the token.
func bearerChain(t testing.TB) *authn.Chain {
	t.Helper()
	s := authn.StrategyFunc("bearer", func(r *http.Request, sofar authn.Principal) authn.Decision {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return authn.Skip("no bearer token")
		}
		switch kind, _, _ := strings.Cut(tok, "-"); kind {
		case "key":
			sofar.User = authn.User{Name: "alice", Groups: []string{"team"}, Email: "alice@example.com"}
			sofar.Actor = &authn.ServiceAccount{Namespace: "team", Name: "key"}
			sofar.Credential = &authn.Credential{Type: "jwt", ID: "JTI=1234"}
			return authn.Contribute(sofar, "token verified")
		case "down":
			return authn.Fail("token verifier unavailable", errors.New("connection refused"))
		}
		return authn.Reject("token refused").WithDetail("issuer not trusted")
	})
	c, err := authn.NewChain(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const tokenSecret = "s3cr3t-value-that-must-not-show"

func request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/things?x=1", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token+"-"+tokenSecret)
	}
	return r
}

// TestWrapRecords checks the one record each decision writes: its level,
// message and attributes, and that the token is in none of them.
func TestWrapRecords(t *testing.T) {
	tests := []struct {
		token string
		want  map[string]any
	}{
		{"key", map[string]any{"level": "INFO", "msg": "authenticated", "result": "authenticated", "strategy": "bearer", "reason": "token verified",
			"user": "alice", "actor": "system:serviceaccount:team:key", "synthetic": false, "via": []any{"bearer"}, "credential": "JTI=1234"}},
		{"bad", map[string]any{"level": "WARN", "msg": "refused", "result": "rejected", "strategy": "bearer", "reason": "token refused",
			"status": float64(401), "detail": "issuer not trusted",
			"trace": []any{map[string]any{"strategy": "bearer", "outcome": "rejected", "reason": "token refused", "detail": "issuer not trusted"}}}},
		{"down", map[string]any{"level": "ERROR", "msg": "refused", "result": "unavailable", "strategy": "bearer", "reason": "token verifier unavailable",
			"status": float64(503), "cause": "connection refused",
			"trace": []any{map[string]any{"strategy": "bearer", "outcome": "failed", "reason": "token verifier unavailable"}}}},
		{"", map[string]any{"level": "WARN", "msg": "refused", "result": "unauthenticated", "strategy": "chain", "reason": "no identity presented",
			"status": float64(401), "trace": []any{map[string]any{"strategy": "bearer", "outcome": "not-applicable", "reason": "no bearer token"}}}},
	}
	for _, tt := range tests {
		t.Run("token="+tt.token, func(t *testing.T) {
			var buf bytes.Buffer
			chain := bearerChain(t)
			a, err := authnlog.Wrap(chain, slog.New(slog.NewJSONHandler(&buf, nil)))
			if err != nil {
				t.Fatal(err)
			}
			r := request(tt.token)
			p, tr, err := a.Authenticate(r)
			wp, wtr, werr := chain.Authenticate(request(tt.token))
			if diff := cmp.Diff(wp, p); diff != "" || !cmp.Equal(wtr, tr) || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
				t.Errorf("Wrap changed the answer: %v %v", diff, err)
			}
			if strings.Count(buf.String(), "\n") != 1 {
				t.Fatalf("want one record, got:\n%s", buf.String())
			}
			if strings.Contains(buf.String(), tokenSecret) {
				t.Fatalf("the record holds the token:\n%s", buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWrapNeverLogsGroupsOrEmail: the record names the user, not what the
// chain knows about them.
func TestWrapNeverLogsGroupsOrEmail(t *testing.T) {
	var buf bytes.Buffer
	a, _ := authnlog.Wrap(bearerChain(t), slog.New(slog.NewTextHandler(&buf, nil)))
	_, _, _ = a.Authenticate(request("key"))
	for _, never := range []string{"alice@example.com", "team\"", "groups", "/things", tokenSecret} {
		if strings.Contains(buf.String(), never) {
			t.Errorf("record holds %q:\n%s", never, buf.String())
		}
	}
}

// TestWrapNonContractError: an error that is not an *authn.Error is logged
// as result "error" at LevelFailed.
func TestWrapNonContractError(t *testing.T) {
	var buf bytes.Buffer
	inner := authn.AuthenticatorFunc(func(*http.Request) (authn.Principal, authn.Trace, error) {
		return authn.Principal{}, nil, errors.New("boom")
	})
	a, _ := authnlog.Wrap(inner, slog.New(slog.NewTextHandler(&buf, nil)))
	_, _, _ = a.Authenticate(request(""))
	for _, want := range []string{"level=ERROR", "result=error", "strategy=authenticator", "status=500", "cause=boom"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("record lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestWrapLevels: a logger above a record's level gets nothing, and the
// request attributes are then not computed.
func TestWrapLevels(t *testing.T) {
	var buf bytes.Buffer
	called := 0
	a, _ := authnlog.Wrap(bearerChain(t), slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: authnlog.LevelFailed})),
		authnlog.WithRequestAttrs(func(r *http.Request) []slog.Attr {
			called++
			return []slog.Attr{slog.String("path", r.URL.Path)}
		}))
	_, _, _ = a.Authenticate(request("key"))
	_, _, _ = a.Authenticate(request("bad"))
	if buf.Len() != 0 || called != 0 {
		t.Fatalf("logged below the handler's level (%d calls):\n%s", called, buf.String())
	}
	_, _, _ = a.Authenticate(request("down"))
	if !strings.Contains(buf.String(), "path=/things") || called != 1 {
		t.Fatalf("want a record with the request attributes:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "x=1") {
		t.Errorf("the query was logged:\n%s", buf.String())
	}
}

func TestWrapRefusesNil(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	var nilChain *authn.Chain
	for name, wrap := range map[string]func() (*authnlog.Authenticator, error){
		"nil authenticator": func() (*authnlog.Authenticator, error) { return authnlog.Wrap(nil, log) },
		"nil *Chain":        func() (*authnlog.Authenticator, error) { return authnlog.Wrap(nilChain, log) },
		"nil logger":        func() (*authnlog.Authenticator, error) { return authnlog.Wrap(bearerChain(t), nil) },
	} {
		if a, err := wrap(); err == nil || a != nil {
			t.Errorf("%s: Wrap = %v, %v; want an error", name, a, err)
		}
	}
}
