package assertion_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
)

// recorder is a RoundTripper that keeps the requests it is given.
type recorder struct{ sent []*http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.sent = append(r.sent, req)
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
}

// body reports whether it was closed.
type body struct {
	io.Reader
	closed bool
}

func (b *body) Close() error { b.closed = true; return nil }

// inbound are identity headers a handler may have copied from the request
// it serves, under spellings a client could choose.
var inbound = map[string]string{
	"X-Forwarded-User":         "mallory",
	"x_forwarded_groups":       "admins",
	"X-Forwarded-Email":        "m@example.com",
	"X-Forwarded-Access-Token": "stolen-token-0123456789",
	"X-Remote-Extra-Scopes":    "all",
	"Impersonate-User":         "admin",
	"X-Pomerium-Jwt-Assertion": "x",
	"AUTHCHAIN_ASSERTION":      "forged",
	"Authchain-Assertion":      "forged",
}

func outgoing(t testing.TB, ctx context.Context, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range inbound {
		req.Header[k] = []string{v}
	}
	req.Header.Set("Authorization", "Bearer workload-token")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	return req
}

// The Transport sends a copy without any inbound identity header, in any
// spelling, with one fresh assertion for the origin; the caller's request
// is unchanged, and Authorization and X-Forwarded-For are kept.
func TestTransportStripsAndAttaches(t *testing.T) {
	s, _ := newSigner(t)
	rec := &recorder{}
	tr, err := assertion.NewTransport(s, assertion.WithBase(rec))
	if err != nil {
		t.Fatal(err)
	}
	req := outgoing(t, authn.NewContext(context.Background(), alice()), "https://Runner.example.com:8443/run")
	before := req.Header.Clone()
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if len(rec.sent) != 1 {
		t.Fatalf("sent %d requests", len(rec.sent))
	}
	sent := rec.sent[0]
	for k := range sent.Header {
		if _, copied := inbound[k]; copied && !strings.EqualFold(k, assertion.AssertionHeader) {
			t.Errorf("%s forwarded", k)
		}
	}
	if vs := sent.Header.Values(assertion.AssertionHeader); len(vs) != 1 || vs[0] == "forged" {
		t.Fatalf("assertion header %q", vs)
	}
	if n := len(sent.Header); n != 3 {
		t.Errorf("sent headers %v, want Authorization, X-Forwarded-For and the assertion", sent.Header)
	}
	_, payload := segments(t, sent.Header.Get(assertion.AssertionHeader))
	if payload["aud"] != "https://runner.example.com:8443" || payload["sub"] != "alice@example.com" {
		t.Errorf("aud %v sub %v", payload["aud"], payload["sub"])
	}
	if sent.Header.Get("Authorization") != "Bearer workload-token" || sent.Header.Get("X-Forwarded-For") != "10.0.0.1" {
		t.Errorf("kept headers changed: %v", sent.Header)
	}
	if len(req.Header) != len(before) || req.Header.Get("Authchain-Assertion") != "forged" {
		t.Errorf("the caller's request was modified: %v", req.Header)
	}
}

func TestTransportAudience(t *testing.T) {
	s, _ := newSigner(t)
	ctx := authn.NewContext(context.Background(), alice())
	for name, tt := range map[string]struct {
		opt  assertion.TransportOption
		want string
	}{
		"fixed":    {assertion.WithAudience("runner"), "runner"},
		"per path": {assertion.WithAudienceFunc(func(r *http.Request) string { return "svc" + r.URL.Path }), "svc/run"},
	} {
		rec := &recorder{}
		tr, err := assertion.NewTransport(s, assertion.WithBase(rec), tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.RoundTrip(outgoing(t, ctx, "https://runner.example.com/run")); err != nil {
			t.Fatal(err)
		}
		if _, p := segments(t, rec.sent[0].Header.Get(assertion.AssertionHeader)); p["aud"] != tt.want {
			t.Errorf("%s: aud %v, want %s", name, p["aud"], tt.want)
		}
	}
	rec := &recorder{}
	tr, err := assertion.NewTransport(s, assertion.WithBase(rec), assertion.WithAudienceFunc(func(*http.Request) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.RoundTrip(outgoing(t, ctx, "https://runner.example.com")); !errors.Is(err, assertion.ErrInvalidAudience) || len(rec.sent) != 0 {
		t.Errorf("an invalid audience: %v, %d sent", err, len(rec.sent))
	}
}

// Without a Principal the request is not sent, and its body is closed;
// InsecureAllowNoPrincipal sends it stripped and without an assertion.
func TestTransportNoPrincipal(t *testing.T) {
	s, _ := newSigner(t)
	rec := &recorder{}
	tr, err := assertion.NewTransport(s, assertion.WithBase(rec))
	if err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{
		"none": context.Background(),
		"zero": authn.NewContext(context.Background(), authn.Principal{}),
	} {
		req := outgoing(t, ctx, "https://runner.example.com")
		b := &body{Reader: strings.NewReader("x")}
		req.Body = b
		if _, err := tr.RoundTrip(req); !errors.Is(err, assertion.ErrNoPrincipal) {
			t.Errorf("%s: %v", name, err)
		}
		if !b.closed {
			t.Errorf("%s: body not closed", name)
		}
	}
	if len(rec.sent) != 0 {
		t.Fatalf("sent %d requests without a principal", len(rec.sent))
	}
	anon, err := assertion.NewTransport(s, assertion.WithBase(rec), assertion.InsecureAllowNoPrincipal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.RoundTrip(outgoing(t, context.Background(), "https://runner.example.com")); err != nil {
		t.Fatal(err)
	}
	if h := rec.sent[0].Header; len(h) != 2 || h.Get("Authorization") == "" {
		t.Errorf("anonymous call sent %v", h)
	}
}

func TestNewTransportRefuses(t *testing.T) {
	s, _ := newSigner(t)
	for name, opts := range map[string][]assertion.TransportOption{
		"nil base":       {assertion.WithBase(nil)},
		"empty audience": {assertion.WithAudience("")},
		"nil func":       {assertion.WithAudienceFunc(nil)},
		"both":           {assertion.WithAudience("a"), assertion.WithAudienceFunc(func(*http.Request) string { return "b" })},
		"nil option":     {nil},
	} {
		if tr, err := assertion.NewTransport(s, opts...); err == nil {
			t.Errorf("%s: built %v", name, tr)
		}
	}
	if tr, err := assertion.NewTransport(nil); err == nil {
		t.Errorf("no signer: built %v", tr)
	}
}

// A request built without a header map gets one.
func TestTransportNilHeader(t *testing.T) {
	s, _ := newSigner(t)
	rec := &recorder{}
	tr, err := assertion.NewTransport(s, assertion.WithBase(rec))
	if err != nil {
		t.Fatal(err)
	}
	req := outgoing(t, authn.NewContext(context.Background(), alice()), "https://runner.example.com")
	req.Header = nil
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if rec.sent[0].Header.Get(assertion.AssertionHeader) == "" {
		t.Error("no assertion sent")
	}
}
