package bearer

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokentest"
)

// Attacks on the token cache's key (GMAC then AES) and on the cache that
// uses it: framings that might share a message, buffers that might keep a
// token, concurrent callers that might see one another's keys or
// verdicts, and the two kinds of verdict.

// TestAttack11_FramingNeverShared: inputs an attacker might line up so
// that two framings concatenate to the same bytes (a token swallowing an
// audience, a token ending in bytes that read as a length or a count,
// empty audiences, repeated audiences) all key apart. Only nil and an
// empty list, both "no audience", may share a key.
func TestAttack11_FramingNeverShared(t *testing.T) {
	_, _, keys := testMACKeys(t)
	m := newTokenMAC(keys)
	be := func(n uint64) string { return string(binary.BigEndian.AppendUint64(nil, n)) }
	type input struct {
		token     string
		audiences []string
	}
	inputs := []input{
		{"abc", nil},
		{"abc", []string{""}},
		{"abc", []string{"", ""}},
		{"ab", []string{"c"}},
		{"a", []string{"bc"}},
		{"a", []string{"b", "c"}},
		{"", []string{"abc"}},
		{"", []string{"", "abc"}},
		// The token carries the framing of ("a", ["b"]) after its own bytes.
		{"a" + be(1) + be(1) + "b", nil},
		{"a", []string{"b"}},
		// A token whose tail reads as "count 1, length 1, b".
		{"a" + be(1) + be(1), []string{"b"}},
		// An audience that reads as a further framed audience.
		{"a", []string{"b" + be(1) + "c"}},
		{"a", []string{"b", "c" + be(0)}},
		{"a\x00", []string{"b"}},
		{"a", []string{"\x00b"}},
		{"a", []string{"b", "b"}},
		{"b", []string{"a"}},
		{"a", []string{"c", "b"}},
	}
	seen := map[cacheKey]input{}
	for _, in := range inputs {
		k := m.key(in.token, in.audiences)
		if prev, ok := seen[k]; ok {
			t.Errorf("(%q, %q) and (%q, %q) share a cache key", in.token, in.audiences, prev.token, prev.audiences)
		}
		seen[k] = in
	}
	if m.key("abc", nil) != m.key("abc", []string{}) {
		t.Error("nil and an empty audience list, both no audience, key apart")
	}
}

// TestAttack11_LongTokenThenShort: a token far beyond the pooled buffer
// keys as the reference construction says, leaves no piece of itself in
// the state, and the state then keys a short token right: an oversized
// message neither breaks nor poisons the pooled state.
func TestAttack11_LongTokenThenShort(t *testing.T) {
	k1, k2, keys := testMACKeys(t)
	m := newTokenMAC(keys)
	long := randomToken(t, 3*maxPooledFrame+7)
	auds := []string{strings.Repeat("a", maxPooledFrame)}
	if got, want := m.key(long, auds), referenceMAC(t, k1, k2, macMessage(long, auds)); got != want {
		t.Errorf("long token: key %x, want %x", got, want)
	}
	if holdsPieceOf(macStateDump(m), long) {
		t.Error("the pooled state keeps a piece of the long token")
	}
	short := randomToken(t, 20)
	if got, want := m.key(short, testAudiences), referenceMAC(t, k1, k2, macMessage(short, testAudiences)); got != want {
		t.Errorf("short token after a long one: key %x, want %x", got, want)
	}
	if holdsPieceOf(macStateDump(m), short) || holdsPieceOf(macStateDump(m), long) {
		t.Error("the pooled state keeps a piece of a token")
	}
}

// TestAttack11_ConcurrentCallersKeepTheirOwn: many goroutines keying and
// getting distinct tokens at once through one cache (its pool of MAC
// states shared) each get their own token's key and verdict, never
// another's; run with -race.
func TestAttack11_ConcurrentCallersKeepTheirOwn(t *testing.T) {
	k1, k2, keys := testMACKeys(t)
	// The verdict names the token it was computed for, so a crossed
	// answer shows; the test's tokens are not secrets.
	verify := func(_ context.Context, token string, aud []string) (Verdict[string], error) {
		if strings.HasPrefix(token, "bad") {
			return Verdict[string]{Invalid: "refused"}, nil
		}
		return Verdict[string]{Value: token + "|" + strings.Join(aud, ",")}, nil
	}
	c := mustTokenCache(t, testCacheConfig(tokentest.NewClock()), verify)
	c.macs = sync.Pool{New: func() any { return newTokenMAC(keys) }}

	const workers, rounds = 32, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Lengths differ per worker; some messages outgrow the pooled
			// buffer (a token at MaxLength and a long audience).
			n := 10 + w*97
			aud := []string{fmt.Sprintf("aud-%d", w%4)}
			if w%8 == 0 {
				n = MaxLength - 10
				aud[0] += strings.Repeat("x", 2000)
			}
			token := strings.Repeat(string(rune('a'+w%26)), n) + fmt.Sprint(w)
			if w%3 == 0 {
				token = "bad" + token
			}
			want := referenceMAC(t, k1, k2, macMessage(token, aud))
			for range rounds {
				if got := c.key(token, aud); got != want {
					errs <- fmt.Errorf("worker %d: key %x, want %x", w, got, want)
					return
				}
				v, err := c.Get(context.Background(), token, aud)
				if err != nil {
					errs <- err
					return
				}
				switch {
				case strings.HasPrefix(token, "bad") && (v.Invalid != "refused" || v.Value != ""):
					errs <- fmt.Errorf("worker %d: invalid token answered %+v", w, v)
					return
				case !strings.HasPrefix(token, "bad") && (v.Invalid != "" || v.Value != token+"|"+aud[0]):
					errs <- fmt.Errorf("worker %d: got another request's verdict (%.20q)", w, v.Value)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAttack11_VerdictKindsApart: an invalid verdict for a token answers
// neither another token nor the same token for other audiences; a valid
// one for the same token and audiences then replaces it, and neither kind
// is answered once the other superseded it.
func TestAttack11_VerdictKindsApart(t *testing.T) {
	clock := tokentest.NewClock()
	invalid := map[string]bool{"tok-x|a": true}
	var mu sync.Mutex
	verify := func(_ context.Context, token string, aud []string) (Verdict[string], error) {
		mu.Lock()
		defer mu.Unlock()
		if invalid[token+"|"+strings.Join(aud, ",")] {
			return Verdict[string]{Invalid: "refused"}, nil
		}
		return Verdict[string]{Value: "ok:" + token}, nil
	}
	c := mustTokenCache(t, testCacheConfig(clock), verify)
	get := func(token string, aud ...string) Verdict[string] {
		t.Helper()
		v, err := c.Get(t.Context(), token, aud)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get("tok-x", "a"); v.Invalid == "" {
		t.Fatalf("tok-x for a: %+v, want invalid", v)
	}
	if v := get("tok-x", "b"); v.Invalid != "" || v.Value != "ok:tok-x" {
		t.Errorf("tok-x for b answered from tok-x for a: %+v", v)
	}
	if v := get("tok-y", "a"); v.Invalid != "" || v.Value != "ok:tok-y" {
		t.Errorf("tok-y answered from tok-x: %+v", v)
	}
	// The invalid verdict expires; the token is now valid.
	mu.Lock()
	delete(invalid, "tok-x|a")
	mu.Unlock()
	clock.Advance(c.failureTTL)
	if v := get("tok-x", "a"); v.Invalid != "" {
		t.Fatalf("tok-x for a after the refusal expired: %+v", v)
	}
	if _, ok := c.invalid.Get(c.key("tok-x", []string{"a"})); ok {
		t.Error("the expired refusal is still stored beside the valid verdict")
	}
	// And valid becomes invalid again: the stored valid verdict must go.
	c.store(c.key("tok-x", []string{"a"}), Verdict[string]{Invalid: "revoked"})
	if v := get("tok-x", "a"); v.Invalid != "revoked" {
		t.Errorf("tok-x for a after a refusal was stored: %+v, want the refusal", v)
	}
}

// TestAttack11_BindKeepsCallerServiceAccount: bearer.Bind given a
// ServiceAccount the caller keeps (a custom strategy's cached value) never
// writes to it, neither when it takes the Attributes of an Actor
// established before nor when a handler edits the Actor it returned.
func TestAttack11_BindKeepsCallerServiceAccount(t *testing.T) {
	held := &authn.ServiceAccount{Namespace: "team", Name: "bot", UID: "uid-1"}
	sofar := authn.Principal{Actor: &authn.ServiceAccount{
		Namespace: "team", Name: "bot", UID: "uid-1", Attributes: map[string]string{"role": "admin"},
	}}
	d := Bind(sofar, held, authn.User{}, &authn.Credential{Type: "custom"}, "verified")
	if d.Outcome != authn.Contributed || d.Principal.Actor == nil {
		t.Fatalf("Bind: %+v", d)
	}
	if held.Attributes != nil {
		t.Errorf("Bind gave the caller's ServiceAccount the request's Attributes %v", held.Attributes)
	}
	d.Principal.Actor.Name, d.Principal.Actor.UID = "edited", "edited"
	if held.Name != "bot" || held.UID != "uid-1" || held.Attributes != nil {
		t.Errorf("a handler's edit of the Actor reached the caller's ServiceAccount: %+v", *held)
	}
	// Without an earlier Actor, the next request from the same held value
	// gets it unedited.
	d2 := Bind(authn.Principal{}, held, authn.User{}, &authn.Credential{Type: "custom"}, "verified")
	if a := d2.Principal.Actor; a == nil || a == held || a.Name != "bot" || a.UID != "uid-1" {
		t.Errorf("second Bind: Actor %+v, want a copy of the held ServiceAccount", a)
	}
}
