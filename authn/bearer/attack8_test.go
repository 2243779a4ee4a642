package bearer_test

// Adversarial tests of the exported token cache, Source and Bind: input
// collisions, clocks that go backwards, cancelled and misbehaving
// verifiers, forwarded tokens in odd spellings, and a custom token
// strategy trying to override what the chain established.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/strategies"
)

// countingVerify answers valid for every token and counts its calls.
type countingVerify struct{ calls atomic.Int64 }

func (c *countingVerify) verify(_ context.Context, token string, aud []string) (bearer.Verdict[string], error) {
	c.calls.Add(1)
	return bearer.Verdict[string]{Value: strings.Join(append([]string{token}, aud...), "|")}, nil
}

func TestAttack8CacheKeysDoNotCollideAcrossTokenAudienceBoundary(t *testing.T) {
	var v countingVerify
	c, err := bearer.NewCache(v.verify)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []struct {
		token string
		aud   []string
	}{
		{"a", []string{"bc"}},
		{"ab", []string{"c"}},
		{"abc", nil},
		{"abc", []string{""}},
		{"abc", []string{"", ""}},
		{"a", []string{"b", "c"}},
		{"a", []string{"bc", ""}},
		{"a", []string{"", "bc"}},
	}
	for _, in := range inputs {
		got, err := c.Get(context.Background(), in.token, in.aud)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Join(append([]string{in.token}, in.aud...), "|"); got.Value != want {
			t.Errorf("Get(%q, %q) = verdict of %q: two inputs share a cache entry", in.token, in.aud, got.Value)
		}
	}
	if n := v.calls.Load(); n != int64(len(inputs)) {
		t.Errorf("%d verifications for %d distinct inputs", n, len(inputs))
	}
}

func TestAttack8CacheAudienceOrderIsPartOfTheKey(t *testing.T) {
	var v countingVerify
	c, err := bearer.NewCache(v.verify)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Get(context.Background(), "tok", []string{"x", "y"})
	b, _ := c.Get(context.Background(), "tok", []string{"y", "x"})
	if a.Value == b.Value || v.calls.Load() != 2 {
		t.Errorf("audiences in another order reused a verdict made for the first order (doc: hashed in the order given)")
	}
}

// stepClock is a settable clock.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// flipVerify answers invalid until good is set, then valid.
type flipVerify struct {
	good  atomic.Bool
	calls atomic.Int64
}

func (f *flipVerify) verify(context.Context, string, []string) (bearer.Verdict[string], error) {
	f.calls.Add(1)
	if f.good.Load() {
		return bearer.Verdict[string]{Value: "ok"}, nil
	}
	return bearer.Verdict[string]{Invalid: "unknown token"}, nil
}

func TestAttack8CacheNegativeVerdictEndsAfterItsTTL(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &stepClock{t: start}
	var f flipVerify
	c, err := bearer.NewCache(f.verify, bearer.WithClock(clock.now), bearer.WithTTL(time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid == "" {
		t.Fatal("want invalid first")
	}
	f.good.Store(true) // the ServiceAccount was created a moment later
	for i := range 100 {
		clock.set(start.Add(time.Duration(i) * 100 * time.Millisecond)) // hits never extend it
		_, _ = c.Get(context.Background(), "tok", nil)
	}
	clock.set(start.Add(10*time.Second + time.Nanosecond))
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid != "" {
		t.Errorf("a refusal outlived its 10s TTL although hit in between: a good token refused for ever")
	}
}

// TestAttack8CacheClockGoingBackwardsDoesNotExtendARefusal: a refusal is
// stored, then the clock steps back an hour (NTP correction, a VM
// restored). The refusal must not be reused for an hour and ten seconds.
func TestAttack8CacheClockGoingBackwardsDoesNotExtendARefusal(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &stepClock{t: start}
	var f flipVerify
	c, err := bearer.NewCache(f.verify, bearer.WithClock(clock.now), bearer.WithTTL(time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Get(context.Background(), "tok", nil)
	f.good.Store(true)
	clock.set(start.Add(-time.Hour))
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid != "" {
		t.Errorf("after the clock stepped back 1h, a 10s refusal is still served (until the clock catches up): " +
			"the TTL must bound reuse however the clock moves")
	}
}

// TestAttack8CacheClockGoingBackwardsDoesNotExtendAnAcceptance: the same
// for a valid verdict: a revoked token keeps authenticating.
func TestAttack8CacheClockGoingBackwardsDoesNotExtendAnAcceptance(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &stepClock{t: start}
	var f flipVerify
	f.good.Store(true)
	c, err := bearer.NewCache(f.verify, bearer.WithClock(clock.now), bearer.WithTTL(time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Get(context.Background(), "tok", nil)
	f.good.Store(false) // revoked
	clock.set(start.Add(-time.Hour))
	if v, _ := c.Get(context.Background(), "tok", nil); v.Invalid == "" {
		t.Errorf("after the clock stepped back 1h, a 1m acceptance is still served: a revoked token lives an hour longer")
	}
}

func TestAttack8CacheCancelledCallerDoesNotPoisonJoiners(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var verifyCtxErr atomic.Value
	var calls atomic.Int64
	c, err := bearer.NewCache(func(ctx context.Context, _ string, _ []string) (bearer.Verdict[string], error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		if ctx.Err() != nil {
			verifyCtxErr.Store(ctx.Err())
		}
		return bearer.Verdict[string]{Value: "ok"}, nil
	}, bearer.WithTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := c.Get(ctxA, "tok", nil); errA <- err }()
	<-started
	type res struct {
		v   bearer.Verdict[string]
		err error
	}
	resB := make(chan res, 1)
	go func() { v, err := c.Get(context.Background(), "tok", nil); resB <- res{v, err} }()
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	b := <-resB
	if b.err != nil || b.v.Value != "ok" {
		t.Errorf("a joiner got %+v, %v after the first caller cancelled: its cancellation was shared", b.v, b.err)
	}
	if e := verifyCtxErr.Load(); e != nil {
		t.Errorf("the shared verification saw the first caller's cancellation: %v", e)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d verifications, want 1 shared", n)
	}
}

func TestAttack8CachePanicQuotingTheTokenNeitherLeaksNorSticks(t *testing.T) {
	const token = "secret-token-0123456789"
	var calls atomic.Int64
	c, err := bearer.NewCache(func(_ context.Context, tok string, _ []string) (bearer.Verdict[string], error) {
		if calls.Add(1) == 1 {
			panic("verifier choked on " + tok)
		}
		return bearer.Verdict[string]{Value: "ok"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(context.Background(), token, nil)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("panicking verifier: error %v (must exist and not quote the token)", err)
	}
	if v, err := c.Get(context.Background(), token, nil); err != nil || v.Value != "ok" {
		t.Errorf("after a panic the next call got %+v, %v: the panic stuck", v, err)
	}
}

func TestAttack8CacheGoexitInVerifierIsBoundedAndForgotten(t *testing.T) {
	var calls atomic.Int64
	c, err := bearer.NewCache(func(context.Context, string, []string) (bearer.Verdict[string], error) {
		if calls.Add(1) == 1 {
			runtime.Goexit() // t.FailNow in a test double, say
		}
		return bearer.Verdict[string]{Value: "ok"}, nil
	}, bearer.WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), "tok", nil); err == nil {
		t.Error("a verifier that exited its goroutine produced a verdict")
	}
	if v, err := c.Get(context.Background(), "tok", nil); err != nil || v.Value != "ok" {
		t.Errorf("after a Goexit the next call got %+v, %v", v, err)
	}
}

func TestAttack8CacheRefusesNonsenseOptions(t *testing.T) {
	verify := func(context.Context, string, []string) (bearer.Verdict[int], error) {
		return bearer.Verdict[int]{}, nil
	}
	for name, opts := range map[string][]bearer.CacheOption{
		"nil option":       {nil},
		"size 0":           {bearer.WithSize(0, 1)},
		"invalid size -1":  {bearer.WithSize(1, -1)},
		"negative TTL":     {bearer.WithTTL(-time.Second, 0)},
		"negative inv TTL": {bearer.WithTTL(0, -1)},
		"zero timeout":     {bearer.WithTimeout(0)},
		"negative timeout": {bearer.WithTimeout(-1)},
		"nil admission":    {bearer.WithAdmission(nil)},
		"nil clock":        {bearer.WithClock(nil)},
	} {
		if _, err := bearer.NewCache(verify, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := bearer.NewCache[int](nil); err == nil {
		t.Error("nil verify accepted")
	}
}

func newSource(t *testing.T) bearer.Source {
	t.Helper()
	trust, err := strategies.TrustPeerCIDRs("192.0.2.10/32")
	if err != nil {
		t.Fatal(err)
	}
	src, err := bearer.AlsoFromForwardedAccessToken(trust)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

var oddSpellings = []string{
	"x-forwarded-access-token", "X-FORWARDED-ACCESS-TOKEN", "X_Forwarded_Access_Token",
	"x_forwarded_access_token", "x-Forwarded_access-TOKEN", "X-Forwarded-Access_Token",
}

func TestAttack8UntrustedForwardedTokenInOddSpellingsIsDroppedUnread(t *testing.T) {
	src := newSource(t)
	for _, sp := range oddSpellings {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "203.0.113.7:1234"
		r.Header[sp] = []string{"attacker-token"}
		tok, reason := src.Token(r)
		if tok != "" || reason != "" {
			t.Errorf("%s from an untrusted peer: token %q reason %q, want dropped unread", sp, tok, reason)
		}
		for k := range r.Header {
			if authn.HeaderNameEqual(k, bearer.ForwardedAccessTokenHeader) {
				t.Errorf("%s from an untrusted peer left %q on the request", sp, k)
			}
		}
	}
}

func TestAttack8TrustedForwardedTokenInOddSpellingIsRefused(t *testing.T) {
	src := newSource(t)
	for _, sp := range oddSpellings {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.10:1234"
		r.Header[sp] = []string{"proxy-token"}
		tok, reason := src.Token(r)
		if tok != "" || reason == "" || strings.Contains(reason, "proxy-token") {
			t.Errorf("%s from the proxy: token %q reason %q, want refused without quoting", sp, tok, reason)
		}
	}
	// Canonical plus an odd spelling: never pick one.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.10:1234"
	r.Header["X-Forwarded-Access-Token"] = []string{"a"}
	r.Header["X_Forwarded_Access_Token"] = []string{"b"}
	if tok, reason := src.Token(r); tok != "" || reason == "" {
		t.Errorf("two spellings from the proxy: token %q reason %q", tok, reason)
	}
}

func TestAttack8ForwardedTokenRefusesHeaderReadingTrust(t *testing.T) {
	trust, err := strategies.TrustSharedSecret("X-Proxy-Secret", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bearer.AlsoFromForwardedAccessToken(trust); err == nil {
		t.Error("a trust policy that reads request headers was accepted")
	}
	if _, err := bearer.AlsoFromForwardedAccessToken(nil); err == nil {
		t.Error("nil trust accepted")
	}
}

func TestAttack8PresentedNeverQuotesAToken(t *testing.T) {
	src := newSource(t)
	for _, h := range []http.Header{
		{"Authorization": {"Bearer tok-en with space"}},
		{"Authorization": {"Bearer good-token-1", "Bearer good-token-2"}},
		{"Authorization": {"Bearer good-token-1"}, "X-Forwarded-Access-Token": {"good-token-2"}},
		{"Authorization": {"Bearer " + strings.Repeat("A", bearer.MaxLength+1)}},
		{"Authorization": {"bearer tok\x00en"}},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.10:1234"
		r.Header = h
		_, d, ok := src.Presented(r, authn.Principal{})
		if ok || d.Outcome != authn.Rejected {
			t.Errorf("%q: outcome %v ok %v, want rejected", h, d.Outcome, ok)
		}
		for _, piece := range []string{"tok-en", "good-token", "AAAA", "tok\x00en"} {
			if strings.Contains(d.Reason, piece) {
				t.Errorf("reason %q quotes the token", d.Reason)
			}
		}
	}
}

func TestAttack8BindTokenUserCannotReplaceForwardedHuman(t *testing.T) {
	sofar := authn.Principal{User: authn.User{Name: "alice"}}
	cred := &authn.Credential{Type: "custom"}
	if d := bearer.Bind(sofar, nil, authn.User{Name: "bob"}, cred, "ok"); d.Outcome != authn.Rejected {
		t.Errorf("a token for bob replaced forwarded alice: %v", d.Outcome)
	}
	if d := bearer.Bind(sofar, nil, authn.User{Name: "Alice"}, cred, "ok"); d.Outcome != authn.Rejected {
		t.Errorf("a token for Alice joined forwarded alice: %v", d.Outcome)
	}
	sa := &authn.ServiceAccount{Namespace: "ns", Name: "a", UID: "u"}
	if d := bearer.Bind(sofar, sa, authn.User{}, cred, "ok"); d.Outcome != authn.Rejected {
		t.Errorf("a ServiceAccount token replaced forwarded alice: %v", d.Outcome)
	}
}

func TestAttack8BindTokenCannotJoinAnotherForwardedServiceAccount(t *testing.T) {
	sofar := authn.Principal{User: authn.User{Name: "system:serviceaccount:ns:a"}}
	cred := &authn.Credential{Type: "custom"}
	for _, sa := range []authn.ServiceAccount{
		{Namespace: "ns", Name: "b"}, {Namespace: "ns2", Name: "a"}, {Namespace: "ns:a", Name: ""},
		{Namespace: "", Name: "ns:a"}, {Namespace: "NS", Name: "a"},
	} {
		if d := bearer.Bind(sofar, &sa, authn.User{}, cred, "ok"); d.Outcome != authn.Rejected {
			t.Errorf("token for %s/%s joined forwarded ns/a: %v", sa.Namespace, sa.Name, d.Outcome)
		}
	}
	// A user token naming the forwarded subject is not a way around it.
	for _, name := range []string{"system:serviceaccount:ns:a", "SYSTEM:serviceaccount:ns:a"} {
		if d := bearer.Bind(sofar, nil, authn.User{Name: name}, cred, "ok"); d.Outcome != authn.Rejected {
			t.Errorf("user token %q joined the forwarded ServiceAccount: %v", name, d.Outcome)
		}
	}
	// An Actor established earlier: a different uid is another incarnation.
	withActor := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "ns", Name: "a", UID: "u1"}}
	if d := bearer.Bind(withActor, &authn.ServiceAccount{Namespace: "ns", Name: "a", UID: "u2"}, authn.User{}, cred, "ok"); d.Outcome != authn.Rejected {
		t.Errorf("token of another incarnation joined the Actor: %v", d.Outcome)
	}
	if d := bearer.Bind(withActor, nil, authn.User{Name: "bob"}, cred, "ok"); d.Outcome != authn.Rejected {
		t.Errorf("a user token joined an established Actor: %v", d.Outcome)
	}
}

func TestAttack8BindDoesNotShareTheCallersActorAttributes(t *testing.T) {
	attrs := map[string]string{"role": "read"}
	sofar := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "ns", Name: "a", Attributes: attrs}}
	d := bearer.Bind(sofar, &authn.ServiceAccount{Namespace: "ns", Name: "a", UID: "u", Attributes: map[string]string{"role": "admin"}}, authn.User{}, &authn.Credential{Type: "x"}, "ok")
	if d.Outcome != authn.Contributed {
		t.Fatalf("outcome %v", d.Outcome)
	}
	if got := d.Principal.Actor.Attributes["role"]; got != "read" {
		t.Errorf("the token's own attributes (role=%s) replaced those the chain established", got)
	}
}
