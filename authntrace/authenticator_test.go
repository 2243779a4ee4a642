package authntrace_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntrace"
)

const tokenSecret = "s3cr3t-value-that-must-not-show"

// testChain reads "Authorization: Bearer KIND-SECRET": "key" resolves
// alice through ServiceAccount team/key, "bad" is rejected and "down"
// fails. A forwarded strategy runs first and skips. The strategy records
// the span it finds in the request's context in *seen.
func testChain(t testing.TB, seen *trace.SpanContext) *authn.Chain {
	t.Helper()
	skip := authn.StrategyFunc("forwarded", func(*http.Request, authn.Principal) authn.Decision {
		return authn.Skip("no forwarded user")
	})
	bearer := authn.StrategyFunc("bearer", func(r *http.Request, sofar authn.Principal) authn.Decision {
		*seen = trace.SpanContextFromContext(r.Context())
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return authn.Skip("no bearer token")
		}
		switch kind, _, _ := strings.Cut(tok, "-"); kind {
		case "key":
			sofar.User = authn.User{Name: "alice", Groups: []string{"team-alpha"}, UID: "uid-alice"}
			sofar.Actor = &authn.ServiceAccount{Namespace: "team-ns", Name: "key-name"}
			sofar.Credential = &authn.Credential{Type: "jwt", ID: "JTI=1234"}
			return authn.Contribute(sofar, "token verified")
		case "down":
			return authn.Fail("token verifier unavailable", errors.New("connection refused"))
		}
		return authn.Reject("token refused").WithDetail("issuer not trusted")
	})
	c, err := authn.NewChain(skip, bearer)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(ctx context.Context, token string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token+"-"+tokenSecret)
	}
	return r
}

type event struct {
	Name  string
	Attrs map[attribute.Key]string
}

func attrs(kvs []attribute.KeyValue) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

// TestWrapSpan runs each kind of decision under a server span and checks
// the one span it records: name, parent, attributes, events and status,
// and that no name of the user or ServiceAccount, nor the token, is in it.
func TestWrapSpan(t *testing.T) {
	skipped := event{authntrace.EventName, map[attribute.Key]string{"authchain.strategy": "forwarded", "authchain.outcome": "not-applicable", "authchain.reason": "no forwarded user"}}
	tests := []struct {
		token      string
		attrs      map[attribute.Key]string
		events     []event
		status     sdktrace.Status
		exceptions int
	}{
		{"key", map[attribute.Key]string{"authchain.result": "authenticated", "authchain.strategy": "bearer", "authchain.synthetic": "false",
			"authchain.actor": "true", "authchain.via": `["bearer"]`, "authchain.credential.type": "jwt"},
			[]event{skipped, {authntrace.EventName, map[attribute.Key]string{"authchain.strategy": "bearer", "authchain.outcome": "contributed", "authchain.reason": "token verified"}}},
			sdktrace.Status{Code: codes.Unset}, 0},
		{"bad", map[attribute.Key]string{"authchain.result": "rejected", "authchain.strategy": "bearer", "authchain.reason": "token refused", "authchain.status_code": "401"},
			[]event{skipped, {authntrace.EventName, map[attribute.Key]string{"authchain.strategy": "bearer", "authchain.outcome": "rejected", "authchain.reason": "token refused", "authchain.detail": "issuer not trusted"}}},
			sdktrace.Status{Code: codes.Error, Description: "rejected: token refused"}, 0},
		{"down", map[attribute.Key]string{"authchain.result": "unavailable", "authchain.strategy": "bearer", "authchain.reason": "token verifier unavailable", "authchain.status_code": "503"},
			[]event{skipped, {authntrace.EventName, map[attribute.Key]string{"authchain.strategy": "bearer", "authchain.outcome": "failed", "authchain.reason": "token verifier unavailable"}},
				{"exception", map[attribute.Key]string{"exception.type": "*errors.errorString", "exception.message": "connection refused"}}},
			sdktrace.Status{Code: codes.Error, Description: "unavailable: token verifier unavailable"}, 1},
		{"", map[attribute.Key]string{"authchain.result": "unauthenticated", "authchain.strategy": "chain", "authchain.reason": "no identity presented", "authchain.status_code": "401"},
			[]event{skipped, {authntrace.EventName, map[attribute.Key]string{"authchain.strategy": "bearer", "authchain.outcome": "not-applicable", "authchain.reason": "no bearer token"}}},
			sdktrace.Status{Code: codes.Error, Description: "unauthenticated: no identity presented"}, 0},
	}
	for _, tt := range tests {
		t.Run("token="+tt.token, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			var seen trace.SpanContext
			a, err := authntrace.Wrap(testChain(t, &seen), tp)
			if err != nil {
				t.Fatal(err)
			}
			ctx, server := tp.Tracer("test").Start(context.Background(), "GET /")
			_, _, _ = a.Authenticate(request(ctx, tt.token))
			server.End()

			spans := rec.Ended()
			if len(spans) != 2 {
				t.Fatalf("recorded %d spans, want 2", len(spans))
			}
			s := spans[0]
			if s.Name() != authntrace.SpanName || s.SpanKind() != trace.SpanKindInternal || s.InstrumentationScope().Name != authntrace.ScopeName {
				t.Errorf("span %q kind %v scope %q", s.Name(), s.SpanKind(), s.InstrumentationScope().Name)
			}
			if s.Parent().SpanID() != server.SpanContext().SpanID() || s.SpanContext().TraceID() != server.SpanContext().TraceID() {
				t.Error("the span does not nest under the server span")
			}
			if seen.SpanID() != s.SpanContext().SpanID() {
				t.Error("the strategies did not get the span in the request's context")
			}
			if diff := cmp.Diff(tt.attrs, attrs(s.Attributes())); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
			var events []event
			for _, e := range s.Events() {
				events = append(events, event{e.Name, attrs(e.Attributes)})
			}
			if diff := cmp.Diff(tt.events, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if s.Status() != tt.status {
				t.Errorf("status = %+v, want %+v", s.Status(), tt.status)
			}
			all := fmt.Sprintf("%s %v %v %v", s.Name(), s.Attributes(), s.Events(), s.Status())
			for _, never := range []string{"alice", "team-alpha", "uid-alice", "team-ns", "key-name", "JTI", tokenSecret} {
				if strings.Contains(all, never) {
					t.Errorf("the span records %q: %s", never, all)
				}
			}
		})
	}
}

// TestWrapNoopProvider: with a provider that records nothing, the answer
// passes through and the request keeps its context.
func TestWrapNoopProvider(t *testing.T) {
	var seen trace.SpanContext
	chain := testChain(t, &seen)
	a, err := authntrace.Wrap(chain, noop.NewTracerProvider())
	if err != nil {
		t.Fatal(err)
	}
	p, tr, err := a.Authenticate(request(context.Background(), "key"))
	if err != nil || p.User.Name != "alice" || len(tr) != 2 || seen.IsValid() {
		t.Errorf("got %v %v %v %v", p.User.Name, tr, err, seen.IsValid())
	}
	_, _, err = a.Authenticate(request(context.Background(), "bad"))
	if authn.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("err = %v", err)
	}
}

func TestWrapRefusesNil(t *testing.T) {
	var seen trace.SpanContext
	var nilProvider *sdktrace.TracerProvider
	if _, err := authntrace.Wrap(nil, noop.NewTracerProvider()); err == nil {
		t.Error("nil authenticator accepted")
	}
	if _, err := authntrace.Wrap(testChain(t, &seen), nil); err == nil {
		t.Error("nil provider accepted")
	}
	if _, err := authntrace.Wrap(testChain(t, &seen), nilProvider); err == nil {
		t.Error("nil *TracerProvider accepted")
	}
}

func TestTraceID(t *testing.T) {
	if got := authntrace.TraceID(context.Background()); got != "" {
		t.Errorf("TraceID without a span = %q", got)
	}
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "x")
	defer span.End()
	if got, want := authntrace.TraceID(ctx), span.SpanContext().TraceID().String(); got != want || len(got) != 32 {
		t.Errorf("TraceID = %q, want %q", got, want)
	}
}
