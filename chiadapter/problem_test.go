package chiadapter_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

func TestWriteProblem(t *testing.T) {
	authErr := func(kind error, strategy, reason string) error {
		return &authn.Error{Strategy: strategy, Kind: kind, Reason: reason, Cause: errors.New(secretCause)}
	}
	const generic = "the request could not be authenticated"
	challenge := map[string]string{"Www-Authenticate": `Bearer realm="authchain"`}
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantHeaders map[string]string
		wantProblem map[string]any
	}{{
		name:        "unauthenticated",
		err:         authErr(authn.ErrUnauthenticated, "chain", "no identity presented"),
		wantStatus:  401,
		wantHeaders: problemHeaders(challenge),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeUnauthenticated, "title": "Unauthorized", "status": 401.0,
			"detail": "no identity presented", "strategy": "chain",
		},
	}, {
		name:        "rejected",
		err:         authErr(authn.ErrRejected, "forwarded", "X-Forwarded-User is not trusted from this peer"),
		wantStatus:  401,
		wantHeaders: problemHeaders(challenge),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeRejected, "title": "Unauthorized", "status": 401.0,
			"detail": "X-Forwarded-User is not trusted from this peer", "strategy": "forwarded",
		},
	}, {
		name:        "forbidden",
		err:         authErr(authn.ErrForbidden, "require-human", "a human user is required"),
		wantStatus:  403,
		wantHeaders: problemHeaders(nil),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeForbidden, "title": "Forbidden", "status": 403.0,
			"detail": "a human user is required", "strategy": "require-human",
		},
	}, {
		name:        "unavailable",
		err:         authErr(authn.ErrUnavailable, "serviceaccount", "ServiceAccount cache is not synced"),
		wantStatus:  503,
		wantHeaders: problemHeaders(map[string]string{"Retry-After": "5"}),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeUnavailable, "title": "Service Unavailable", "status": 503.0,
			"detail": "ServiceAccount cache is not synced", "strategy": "serviceaccount",
		},
	}, {
		name:        "wrapped authn error",
		err:         fmt.Errorf("serving /me: %w", authErr(authn.ErrRejected, "token", "token expired")),
		wantStatus:  401,
		wantHeaders: problemHeaders(challenge),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeRejected, "title": "Unauthorized", "status": 401.0,
			"detail": "token expired", "strategy": "token",
		},
	}, {
		name:        "bare sentinel",
		err:         authn.ErrRejected,
		wantStatus:  401,
		wantHeaders: problemHeaders(challenge),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeRejected, "title": "Unauthorized", "status": 401.0, "detail": generic,
		},
	}, {
		name:        "foreign error is not echoed",
		err:         fmt.Errorf("lookup failed: %s; header %s", secretCause, secretHeader),
		wantStatus:  500,
		wantHeaders: problemHeaders(nil),
		wantProblem: map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0, "detail": generic},
	}, {
		name:        "authn error of no known kind",
		err:         &authn.Error{Strategy: "odd", Reason: "kind missing", Cause: errors.New(secretCause)},
		wantStatus:  500,
		wantHeaders: problemHeaders(nil),
		wantProblem: map[string]any{
			"type": "about:blank", "title": "Internal Server Error", "status": 500.0, "detail": "kind missing", "strategy": "odd",
		},
	}, {
		name: "a detail stays out of the body",
		err: &authn.Error{Strategy: "forwarded", Kind: authn.ErrRejected, Reason: "identity headers from an untrusted peer",
			Detail: "peer address not in a trusted range", Cause: errors.New(secretCause)},
		wantStatus:  401,
		wantHeaders: problemHeaders(challenge),
		wantProblem: map[string]any{
			"type": chiadapter.ProblemTypeRejected, "title": "Unauthorized", "status": 401.0,
			"detail": "identity headers from an untrusted peer", "strategy": "forwarded",
		},
	}, {
		name:        "nil error",
		err:         nil,
		wantStatus:  500,
		wantHeaders: problemHeaders(nil),
		wantProblem: map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0, "detail": generic},
	}, {
		name:        "nil *authn.Error",
		err:         (*authn.Error)(nil),
		wantStatus:  500,
		wantHeaders: problemHeaders(nil),
		wantProblem: map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0, "detail": generic},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			chiadapter.WriteProblem(rec, newRequest(""), tt.err)

			checkProblem(t, rec, tt.wantStatus, tt.wantHeaders, tt.wantProblem)
		})
	}
}

// A challenge or Retry-After set before WriteProblem runs is kept: that is how
// Authenticate's WithRealm and WithRetryAfter win over the defaults.
func TestWriteProblemKeepsHeadersAlreadySet(t *testing.T) {
	tests := []struct {
		name   string
		kind   error
		preset map[string]string
		want   map[string]string
	}{{
		name:   "challenge",
		kind:   authn.ErrRejected,
		preset: map[string]string{"Www-Authenticate": `Bearer realm="ops"`, "Content-Length": "2", "Cache-Control": "public"},
		want:   problemHeaders(map[string]string{"Www-Authenticate": `Bearer realm="ops"`}),
	}, {
		name:   "retry-after",
		kind:   authn.ErrUnavailable,
		preset: map[string]string{"Retry-After": "30"},
		want:   problemHeaders(map[string]string{"Retry-After": "30"}),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			for k, v := range tt.preset {
				rec.Header().Set(k, v)
			}
			chiadapter.WriteProblem(rec, newRequest(""), &authn.Error{Strategy: "s", Kind: tt.kind, Reason: "r"})
			if diff := cmp.Diff(tt.want, errorHeaders(rec.Header())); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if got := rec.Header().Get("Content-Length"); got != "" {
				t.Errorf("stale Content-Length %q kept", got)
			}
		})
	}
}

// A HEAD request has no body; the status and headers must still be right.
func TestWriteProblemHead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chiadapter.WriteProblem(w, r, &authn.Error{Strategy: "chain", Kind: authn.ErrUnauthenticated, Reason: "no identity presented"})
	}))
	defer srv.Close()
	resp, err := srv.Client().Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("Content-Type") != chiadapter.ProblemContentType {
		t.Errorf("HEAD got %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("Content-Type"), chiadapter.ProblemContentType)
	}
}

// The error headers share one array of values; an append to one of them,
// or a later Set, must not show in another.
func TestWriteProblemHeadersDoNotAlias(t *testing.T) {
	rec := httptest.NewRecorder()
	chiadapter.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil),
		&authn.Error{Strategy: "jwt", Kind: authn.ErrRejected, Reason: "token expired"})
	h := rec.Header()
	want := map[string]string{
		"Www-Authenticate":       `Bearer realm="authchain"`,
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Type":           chiadapter.ProblemContentType,
	}
	h["Cache-Control"] = append(h["Cache-Control"], "private")
	h.Add("Www-Authenticate", `Basic realm="x"`)
	for k, v := range want {
		if got := h[k][0]; got != v {
			t.Errorf("%s = %q after an append to another header, want %q", k, got, v)
		}
	}
	if n := len(h["X-Content-Type-Options"]); n != 1 {
		t.Errorf("X-Content-Type-Options has %d values, want 1", n)
	}
}

// Bodies are kept between requests; each problem still gets its own.
func TestWriteProblemBodiesKeptApart(t *testing.T) {
	body := func(err error) string {
		rec := httptest.NewRecorder()
		chiadapter.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil), err)
		return rec.Body.String()
	}
	expired := &authn.Error{Strategy: "jwt", Kind: authn.ErrRejected, Reason: "token expired"}
	other := &authn.Error{Strategy: "oidc", Kind: authn.ErrRejected, Reason: "token expired"}
	down := &authn.Error{Strategy: "jwt", Kind: authn.ErrUnavailable, Reason: "token expired"}
	first := body(expired)
	for i := range 3 {
		for _, c := range []struct {
			err  error
			want string
		}{
			{expired, `{"type":"urn:authchain:problem:rejected","title":"Unauthorized","status":401,"detail":"token expired","strategy":"jwt"}` + "\n"},
			{other, `{"type":"urn:authchain:problem:rejected","title":"Unauthorized","status":401,"detail":"token expired","strategy":"oidc"}` + "\n"},
			{down, `{"type":"urn:authchain:problem:unavailable","title":"Service Unavailable","status":503,"detail":"token expired","strategy":"jwt"}` + "\n"},
		} {
			if got := body(c.err); got != c.want {
				t.Errorf("round %d: body %s, want %s", i, got, c.want)
			}
		}
	}
	if again := body(expired); again != first {
		t.Errorf("the same problem gave %s, then %s", first, again)
	}
}
