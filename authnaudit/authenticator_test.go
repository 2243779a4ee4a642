package authnaudit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnaudit"
	"github.com/authchain/authchain/authntrace"
)

const tokenSecret = "s3cr3t-value-that-must-not-show"

var (
	received = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	decided  = received.Add(1500 * time.Microsecond)
)

// testClock answers received, then decided, then received again.
func testClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%2 == 1 {
			return received
		}
		return decided
	}
}

// testChain reads "Authorization: Bearer KIND-SECRET": "key" resolves
// alice through ServiceAccount team/key with a bound token, "synthetic"
// a stand-in for team/bot, "human" bob directly, "bad" is rejected and
// "down" fails.
func testChain(t testing.TB) *authn.Chain {
	t.Helper()
	s := authn.StrategyFunc("bearer", func(r *http.Request, sofar authn.Principal) authn.Decision {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return authn.Skip("no bearer token")
		}
		switch kind, _, _ := strings.Cut(tok, "-"); kind {
		case "key":
			sofar.User = authn.User{Name: "alice", UID: "u-1", Email: "alice@example.com", Groups: []string{"dev"}, Extra: map[string][]string{"scopes": {"read"}}}
			sofar.Actor = &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "sa-1"}
			sofar.Credential = &authn.Credential{Type: "jwt", ID: "JTI=abc", Pod: &authn.BoundObject{Name: "pod-a", UID: "p-1"}, Node: &authn.BoundObject{Name: "node-a"}}
			return authn.Contribute(sofar, "token verified")
		case "synthetic":
			sofar.User = authn.User{Name: authn.SyntheticNamePrefix + "team-bot"}
			sofar.Actor = &authn.ServiceAccount{Namespace: "team", Name: "bot"}
			sofar.Synthetic = true
			return authn.Contribute(sofar, "no creator")
		case "human":
			sofar.User = authn.User{Name: "bob", Groups: []string{"ops"}}
			return authn.Contribute(sofar, "forwarded")
		case "down":
			return authn.Fail("token verifier unavailable", errors.New("dial "+tokenSecret))
		}
		return authn.Reject("token refused").WithDetail("issuer not trusted")
	})
	c, err := authn.NewChain(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/things?access_token="+tokenSecret, nil)
	r.RemoteAddr = "198.51.100.7:4321"
	r.Header.Set("User-Agent", "kubectl/v1.35")
	r.Header.Set("X-Request-Id", "req-42")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token+"-"+tokenSecret)
	}
	return r
}

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// audit runs one request through Wrap and returns the event as JSON
// decoded into a map, with its auditID checked and removed.
func audit(t *testing.T, r *http.Request, opts ...authnaudit.Option) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	sink := authnaudit.NewJSONLines(&buf)
	a, err := authnaudit.Wrap(testChain(t), sink, append([]authnaudit.Option{authnaudit.WithClock(testClock())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = a.Authenticate(r)
	if sink.Err() != nil {
		t.Fatal(sink.Err())
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Fatalf("want one line, got:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), tokenSecret) {
		t.Fatalf("the event holds the token:\n%s", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if id, _ := got["auditID"].(string); !uuid.MatchString(id) {
		t.Errorf("auditID %q is not a random UUID", id)
	}
	delete(got, "auditID")
	return got
}

func common(stage string) map[string]any {
	return map[string]any{
		"kind": "Event", "apiVersion": "audit.authchain.dev/v1alpha1", "level": "Metadata", "stage": stage,
		"requestURI": "/api/things", "verb": "post", "sourceIPs": []any{"198.51.100.7"}, "userAgent": "kubectl/v1.35",
		"requestReceivedTimestamp": "2026-01-02T03:04:05.123456Z", "stageTimestamp": "2026-01-02T03:04:05.124956Z",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func trace(outcome, reason, detail string) []any {
	e := map[string]any{"strategy": "bearer", "outcome": outcome, "reason": reason}
	if detail != "" {
		e["detail"] = detail
	}
	return []any{e}
}

// TestWrapEvents checks the whole event of each kind of decision.
func TestWrapEvents(t *testing.T) {
	tests := map[string]map[string]any{
		"key": with(common("RequestReceived"),
			"user", map[string]any{"username": "system:serviceaccount:team:key", "uid": "sa-1", "extra": map[string]any{
				"authentication.kubernetes.io/credential-id": []any{"JTI=abc"},
				"authentication.kubernetes.io/pod-name":      []any{"pod-a"},
				"authentication.kubernetes.io/pod-uid":       []any{"p-1"},
				"authentication.kubernetes.io/node-name":     []any{"node-a"},
			}},
			"impersonatedUser", map[string]any{"username": "alice", "uid": "u-1", "groups": []any{"dev"}, "extra": map[string]any{"scopes": []any{"read"}}},
			"annotations", map[string]any{"authchain.dev/result": "authenticated", "authchain.dev/strategy": "bearer", "authchain.dev/reason": "token verified",
				"authchain.dev/via": "bearer", "authchain.dev/credential-type": "jwt", "authchain.dev/request-id": "req-42"},
			"trace", trace("contributed", "token verified", "")),
		"synthetic": with(common("RequestReceived"),
			"user", map[string]any{"username": "system:serviceaccount:team:bot"},
			"impersonatedUser", map[string]any{"username": "system-serviceaccount-team-bot"},
			"annotations", map[string]any{"authchain.dev/result": "authenticated", "authchain.dev/strategy": "bearer", "authchain.dev/reason": "no creator",
				"authchain.dev/via": "bearer", "authchain.dev/synthetic": "true", "authchain.dev/request-id": "req-42"},
			"trace", trace("contributed", "no creator", "")),
		"human": with(common("RequestReceived"),
			"user", map[string]any{"username": "bob", "groups": []any{"ops"}},
			"annotations", map[string]any{"authchain.dev/result": "authenticated", "authchain.dev/strategy": "bearer", "authchain.dev/reason": "forwarded",
				"authchain.dev/via": "bearer", "authchain.dev/request-id": "req-42"},
			"trace", trace("contributed", "forwarded", "")),
		"bad": with(common("ResponseStarted"),
			"user", map[string]any{},
			"responseStatus", map[string]any{"status": "Failure", "code": float64(401), "reason": "Unauthorized", "message": "token refused"},
			"annotations", map[string]any{"authchain.dev/result": "rejected", "authchain.dev/strategy": "bearer", "authchain.dev/reason": "token refused",
				"authchain.dev/detail": "issuer not trusted", "authchain.dev/request-id": "req-42"},
			"trace", trace("rejected", "token refused", "issuer not trusted")),
		"down": with(common("ResponseStarted"),
			"user", map[string]any{},
			"responseStatus", map[string]any{"status": "Failure", "code": float64(503), "reason": "ServiceUnavailable", "message": "token verifier unavailable"},
			"annotations", map[string]any{"authchain.dev/result": "unavailable", "authchain.dev/strategy": "bearer", "authchain.dev/reason": "token verifier unavailable",
				"authchain.dev/request-id": "req-42"},
			"trace", trace("failed", "token verifier unavailable", "")),
		"": with(common("ResponseStarted"),
			"user", map[string]any{},
			"responseStatus", map[string]any{"status": "Failure", "code": float64(401), "reason": "Unauthorized", "message": "no identity presented"},
			"annotations", map[string]any{"authchain.dev/result": "unauthenticated", "authchain.dev/strategy": "chain", "authchain.dev/reason": "no identity presented",
				"authchain.dev/request-id": "req-42"},
			"trace", trace("not-applicable", "no bearer token", "")),
	}
	for token, want := range tests {
		t.Run("token="+token, func(t *testing.T) {
			got := audit(t, request(token))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWrapPassesAnswerOn: the wrapped answer is returned unchanged, and the
// sink's copy of the user is its own.
func TestWrapPassesAnswerOn(t *testing.T) {
	var got authnaudit.Event
	a, err := authnaudit.Wrap(testChain(t), authnaudit.SinkFunc(func(e authnaudit.Event) { got = e }))
	if err != nil {
		t.Fatal(err)
	}
	p, tr, err := a.Authenticate(request("key"))
	want, wantTrace, _ := testChain(t).Authenticate(request("key"))
	if err != nil || !cmp.Equal(want, p) || !cmp.Equal(wantTrace, tr) {
		t.Fatalf("answer changed: %v %v %v", p, tr, err)
	}
	got.ImpersonatedUser.Groups[0] = "changed"
	got.ImpersonatedUser.Extra["scopes"][0] = "changed"
	if p.User.Groups[0] != "dev" || p.User.Extra["scopes"][0] != "read" {
		t.Error("the sink shares the Principal's slices")
	}
	_, _, err = a.Authenticate(request("bad"))
	if authn.StatusCode(err) != http.StatusUnauthorized {
		t.Errorf("err = %v", err)
	}
}

// TestWrapRequestID: the id is read from the configured header, and
// dropped when it breaks the name rule or is too long.
func TestWrapRequestID(t *testing.T) {
	tests := []struct {
		name   string
		header string
		value  string
		opts   []authnaudit.Option
		want   string
	}{
		{"default header", "X-Request-Id", "abc-123", nil, "abc-123"},
		{"other header", "X-Correlation-Id", "corr-7", []authnaudit.Option{authnaudit.WithRequestIDHeader("x-correlation-id")}, "corr-7"},
		{"other header ignores the default", "X-Request-Id", "abc", []authnaudit.Option{authnaudit.WithRequestIDHeader("X-Correlation-Id")}, ""},
		{"turned off", "X-Request-Id", "abc", []authnaudit.Option{authnaudit.WithRequestIDHeader("")}, ""},
		{"control character", "X-Request-Id", "abc\u0085forged", nil, ""},
		{"longest", "X-Request-Id", strings.Repeat("a", authnaudit.MaxIDLength), nil, strings.Repeat("a", authnaudit.MaxIDLength)},
		{"too long", "X-Request-Id", strings.Repeat("a", authnaudit.MaxIDLength+1), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request("human")
			r.Header.Del("X-Request-Id")
			r.Header.Set(tt.header, tt.value)
			got := audit(t, r, tt.opts...)
			id, _ := got["annotations"].(map[string]any)["authchain.dev/request-id"].(string)
			if id != tt.want {
				t.Errorf("request id = %q, want %q", id, tt.want)
			}
		})
	}
}

func TestWithRequestIDHeaderRefuses(t *testing.T) {
	for _, name := range []string{"Authorization", "authorization", "Cookie", "Proxy-Authorization", "X-Forwarded-User", "X-Forwarded-Access-Token", "X-Remote-Extra-Scopes", "bad name", "X:Y"} {
		if _, err := authnaudit.Wrap(testChain(t), authnaudit.SinkFunc(func(authnaudit.Event) {}), authnaudit.WithRequestIDHeader(name)); err == nil {
			t.Errorf("WithRequestIDHeader(%q) accepted", name)
		}
	}
}

func TestWrapTraceID(t *testing.T) {
	type key struct{}
	traceID := func(ctx context.Context) string { s, _ := ctx.Value(key{}).(string); return s }
	for value, want := range map[string]string{
		"4bf92f3577b34da6a3ce929d0e0e4736": "4bf92f3577b34da6a3ce929d0e0e4736",
		"":                                 "",
		"bad\nid":                          "",
		strings.Repeat("f", 129):           "",
	} {
		r := request("human")
		r = r.WithContext(context.WithValue(r.Context(), key{}, value))
		got := audit(t, r, authnaudit.WithTraceID(traceID))
		id, _ := got["annotations"].(map[string]any)["authchain.dev/trace-id"].(string)
		if id != want {
			t.Errorf("trace id for %q = %q, want %q", value, id, want)
		}
	}
}

// TestWrapUserAgent: cut to MaxUserAgentLength at a character boundary,
// dropped when it breaks the name rule.
func TestWrapUserAgent(t *testing.T) {
	long := strings.Repeat("a", authnaudit.MaxUserAgentLength-1) + "éé"
	for ua, want := range map[string]string{
		"curl/8.0":        "curl/8.0",
		long:              long[:authnaudit.MaxUserAgentLength-1],
		"evil\r\nforged":  "",
		"tab\there":       "",
		"":                "",
		"\u202eevil-bidi": "",
	} {
		r := request("human")
		r.Header.Set("User-Agent", ua)
		got, _ := audit(t, r)["userAgent"].(string)
		if got != want {
			t.Errorf("userAgent for %q = %q, want %q", ua, got, want)
		}
	}
}

func TestWrapPeer(t *testing.T) {
	for addr, want := range map[string]any{
		"[2001:db8::1]:443": []any{"2001:db8::1"},
		"192.0.2.1":         []any{"192.0.2.1"},
		"not an address":    nil,
		"":                  nil,
	} {
		r := request("human")
		r.RemoteAddr = addr
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got := audit(t, r)["sourceIPs"]; !cmp.Equal(got, want) {
			t.Errorf("sourceIPs for %q = %v, want %v", addr, got, want)
		}
	}
}

func TestWrapRefuses(t *testing.T) {
	sink := authnaudit.SinkFunc(func(authnaudit.Event) {})
	var nilChain *authn.Chain
	var nilSink *authnaudit.JSONLines
	for name, err := range map[string]error{
		"nil authenticator": second(authnaudit.Wrap(nil, sink)),
		"nil *Chain":        second(authnaudit.Wrap(nilChain, sink)),
		"nil sink":          second(authnaudit.Wrap(testChain(t), nil)),
		"nil *JSONLines":    second(authnaudit.Wrap(testChain(t), nilSink)),
		"nil SinkFunc":      second(authnaudit.Wrap(testChain(t), authnaudit.SinkFunc(nil))),
		"nil clock":         second(authnaudit.Wrap(testChain(t), sink, authnaudit.WithClock(nil))),
	} {
		if err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func second(_ *authnaudit.Authenticator, err error) error { return err }

type failingWriter struct{ writes int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("disk full")
}

// TestJSONLines: concurrent events give whole lines; a failed write stops
// the sink and is reported.
func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	sink := authnaudit.NewJSONLines(&buf)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			sink.Audit(authnaudit.Event{Kind: authnaudit.Kind, AuditID: strings.Repeat("x", i)})
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 || sink.Err() != nil {
		t.Fatalf("%d lines, err %v", len(lines), sink.Err())
	}
	for _, l := range lines {
		var e authnaudit.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Kind != "Event" {
			t.Errorf("line %q: %v", l, err)
		}
	}

	fw := &failingWriter{}
	bad := authnaudit.NewJSONLines(fw)
	bad.Audit(authnaudit.Event{})
	bad.Audit(authnaudit.Event{})
	if bad.Err() == nil || fw.writes != 1 {
		t.Errorf("Err = %v after %d writes", bad.Err(), fw.writes)
	}
}

// TestEventTimestamps: UTC with microseconds, and read back.
func TestEventTimestamps(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 999, time.FixedZone("x", 3600))
	b, err := json.Marshal(authnaudit.Event{RequestReceivedTimestamp: at, StageTimestamp: at})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"requestReceivedTimestamp":"2026-01-02T02:04:05.000000Z","stageTimestamp":"2026-01-02T02:04:05.000000Z"`)) {
		t.Errorf("json = %s", b)
	}
	var e authnaudit.Event
	if err := json.Unmarshal(b, &e); err != nil || !e.StageTimestamp.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("read back %v, %v", e.StageTimestamp, err)
	}
}

// TestWrapUnderAuthntrace: wrapped by authntrace, an event records the id
// of the trace its span belongs to.
func TestWrapUnderAuthntrace(t *testing.T) {
	var got authnaudit.Event
	audited, err := authnaudit.Wrap(testChain(t), authnaudit.SinkFunc(func(e authnaudit.Event) { got = e }), authnaudit.WithTraceID(authntrace.TraceID))
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	traced, err := authntrace.Wrap(audited, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = traced.Authenticate(request("human"))
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if want := spans[0].SpanContext().TraceID().String(); got.Annotations[authnaudit.AnnotationTraceID] != want {
		t.Errorf("trace id = %q, want %q", got.Annotations[authnaudit.AnnotationTraceID], want)
	}
}
