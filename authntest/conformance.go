package authntest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// Credential is one way of presenting a credential to the strategy under
// test: what to add to a request, and what the chain had already
// established when the strategy runs.
type Credential struct {
	// Name labels the credential in subtest names and failure messages.
	Name string
	// Request adds the credential to a request (headers, a bearer token, a
	// client certificate, a peer), after Config.Request.
	Request []RequestOption
	// Sofar, if not nil, is the Principal the chain holds when the strategy
	// runs, such as an Actor a token strategy proved: the suite puts a
	// strategy that contributes it right before the one under test. It
	// replaces what Config.Before established.
	Sofar *authn.Principal
}

// Config tells Conformance how to present credentials to a strategy and
// what the strategy must keep secret.
type Config struct {
	// Good is a credential the strategy accepts (Contributed). Leave it
	// zero (no Name) only for a strategy that never contributes, such as
	// one that only refuses what it sees.
	Good Credential
	// Bad are credentials the strategy must refuse (Rejected or Failed):
	// give one of every kind the strategy can tell apart.
	Bad []Credential
	// Request is applied to every request the suite sends, the bare one
	// included: a trusted peer, say.
	Request []RequestOption
	// Before and After are strategies the chain runs before and after the
	// one under test, such as the strategy that forwards the subject a
	// ServiceAccount strategy reads, or one that supplies the effective
	// user a strategy of actors leaves unset.
	Before, After []authn.Strategy
	// Headers are the header names, and prefixes followed by "*", the
	// strategy reads. The suite sends each under spellings generated from
	// the name (see Conformance) and checks that none reaches a handler.
	Headers []string
	// Secrets are strings (tokens, shared secrets, header values) that must
	// appear in no output: Decision reasons and details, the trace, the
	// error, the problem response and its headers, what an observer
	// receives, the Principal included, and the request headers the
	// observer and handler see; nor may a long piece of one, pieces that
	// together cover half of it, another letter case of it, or its base64
	// or hex encoding (see Conformance). Each must be at least
	// MinSecretLen bytes long.
	Secrets []string
}

// MinSecretLen is the length below which Conformance refuses a secret: a
// short one ("Bearer", "401") shows in the library's own text, and the
// suite would blame the strategy for it.
const MinSecretLen = 8

// SeedEnv names the environment variable that sets the seed of the random
// header spellings StripsEverySpelling sends, a decimal integer. Without
// it the seed is random; Conformance logs it, and a failure names it, so
// that AUTHNTEST_SEED=N go test … replays a run.
const SeedEnv = "AUTHNTEST_SEED"

// validate reports what makes c unusable for s, before any request.
func (c Config) validate(s authn.Strategy) error {
	if s == nil {
		return errors.New("Conformance needs a strategy")
	}
	if c.Good.Name == "" && (c.Good.Request != nil || c.Good.Sofar != nil) {
		return errors.New("the good credential needs a Name")
	}
	if len(c.Bad) == 0 && c.Good.Name == "" {
		return errors.New("Conformance needs a good or a bad credential")
	}
	for i, secret := range c.Secrets {
		if len(secret) < MinSecretLen {
			return fmt.Errorf("Config.Secrets[%d] is %d bytes long, shorter than MinSecretLen (%d): "+
				"a secret that short shows in ordinary text, so the suite cannot tell a leak from the library's own words; "+
				"give the strategy longer secrets", i, len(secret), MinSecretLen)
		}
	}
	return nil
}

// seed returns the seed of the random spellings: SeedEnv's, or a random one.
func seed() (uint64, error) {
	v := os.Getenv(SeedEnv)
	if v == "" {
		return rand.Uint64(), nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a decimal seed", SeedEnv, v)
	}
	return n, nil
}

// FollowerName is the user the permissive strategy the suite puts after
// the one under test contributes: a request that ends as this user fell
// through a refusal.
const FollowerName = "authntest-follower"

// Conformance runs the suite every authn.Strategy must pass, each check a
// subtest of t:
//
//   - NotApplicable: on a request without its credential (only
//     Config.Request), the strategy answers authn.NotApplicable.
//   - RefusesBad/NAME: each bad credential, presented three times in a row
//     through a chain with a permissive strategy after it (one that makes
//     every request FollowerName), is Rejected or Failed every time, and the
//     chain answers an error every time: a refusal never falls through, not
//     even once a cache has seen the credential.
//   - AcceptsGood: the good credential, if given, is Contributed.
//   - StripsEverySpelling: each of Config.Headers (a prefix completed with
//     "Authntest") is sent, once and twice, beside the bare and the good
//     credential, under every spelling generated from its name: canonical,
//     lower and upper case; those three with '_' for '-'; the form a Go
//     server delivers for the '_' form (textproto.CanonicalMIMEHeaderKey,
//     X_api_key for X-Api-Key); three whose words mix lower, title and upper
//     case and whose separators mix '-' and '_' (x-Api_KEY, X_API-key,
//     X-api_Key); one whose letters alternate case (x_ApI-kEy); and four
//     more, unlike those, each letter's case and each separator drawn at
//     random (seeded by SeedEnv, or at random and logged). After each, no
//     header matching the name (authn.HeaderNameEqual, or
//     authn.HeaderNameHasPrefix for a prefix) is left after
//     Chain.Authenticate, nor reaches a chiadapter observer or handler. A
//     strategy passes by listing its headers through authn.HeaderReader, so
//     the chain strips them; deleting a list of spellings does not pass.
//   - NoSecretInOutput: for the bare, good and every bad request, no
//     string of Config.Secrets shows in a Decision's Reason or Detail, the
//     Trace (%v, %+v, JSON), the error (%v, %+v, JSON, its message and
//     Cause), the Principal, the body or headers chiadapter answers with,
//     what a chiadapter.WithObserver observer receives (%v, %+v, JSON), or
//     the request headers (name and value) left after Chain.Authenticate
//     and seen by the observer and the handler. A secret shows if one of
//     these holds, in any ASCII letter case, the secret, a piece of it of
//     max(8, len/2) bytes or more, or its base64 (standard or URL-safe,
//     padded or not) or hex encoding; or if pieces of 4 bytes or more of
//     a secret the request carries, found across all of that request's
//     outputs together (in any ASCII letter case), cover at least half of
//     it, not counting pieces that the outputs of the same request, with
//     every secret in its header values and query replaced by as many
//     bytes of a character the secret lacks, hold too (the library's and
//     the strategy's own words: "Bearer", a header name). A secret the
//     request does not carry (one the strategy stores) is searched only
//     whole, in pieces of max(8, len/2) bytes and encoded.
//   - ConcurrentUse: many goroutines send the bare, good and bad requests
//     through one chain, and the bad ones also through the chain with the
//     permissive follower, all at once, and every answer equals the one a
//     lone request got (meaningful under -race). Every answer to a bad
//     credential, each of many presentations, is a refusal by the strategy
//     (Rejected or Failed), and through the follower chain an error: a
//     strategy that stops refusing a credential it has seen often, such as
//     a lockout answered NotApplicable, fails (unless RefusesBad already
//     failed for that credential).
//   - NoGoroutineLeak: no goroutine started while the suite ran is still
//     running at its end (goleak, ignoring those that ran before).
//
// The chain is Config.Before, the Sofar strategy if a credential has one,
// s, then Config.After. Conformance fails t, running no check, if c is
// unusable (a secret shorter than MinSecretLen, say), or if the chain cannot
// be built. It must not run beside parallel tests that start goroutines.
func Conformance(t *testing.T, s authn.Strategy, c Config) {
	t.Helper()
	conformance(testingRunner{t}, s, c)
}

// suiteT is what the checks need of a *testing.T, so that tests of the
// suite can record which check failed.
type suiteT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// runner runs a check as a subtest.
type runner interface {
	suiteT
	Run(name string, check func(t suiteT))
}

type testingRunner struct{ *testing.T }

func (r testingRunner) Run(name string, check func(t suiteT)) {
	r.T.Run(name, func(t *testing.T) { check(t) })
}

// suite is one run of Conformance.
type suite struct {
	s        authn.Strategy
	c        Config
	chain    *authn.Chain
	follower *authn.Chain
	// seed and rng draw the random spellings.
	seed uint64
	rng  *rand.Rand
	// refusalFailed holds the bad credentials RefusesBad failed on, which
	// ConcurrentUse does not report again.
	refusalFailed map[*Credential]bool
}

type sofarKey struct{}

func conformance(t runner, s authn.Strategy, c Config) {
	t.Helper()
	leaks := goleak.IgnoreCurrent()
	// Errorf and return rather than Fatalf, so that a test of the suite may
	// call it on its own goroutine.
	if err := c.validate(s); err != nil {
		t.Errorf("authntest: Conformance: %v", err)
		return
	}
	seed, err := seed()
	if err != nil {
		t.Errorf("authntest: Conformance: %v", err)
		return
	}
	t.Logf("authntest: random header spellings from seed %d (%s=%d replays them)", seed, SeedEnv, seed)
	su := &suite{s: s, c: c, seed: seed, rng: rand.New(rand.NewPCG(seed, seed)), refusalFailed: map[*Credential]bool{}}
	var strategies []authn.Strategy
	strategies = append(strategies, c.Before...)
	if c.Good.Sofar != nil || hasSofar(c.Bad) {
		strategies = append(strategies, authn.StrategyFunc("authntest-sofar", func(r *http.Request, _ authn.Principal) authn.Decision {
			if p, ok := r.Context().Value(sofarKey{}).(authn.Principal); ok {
				return authn.Contribute(p, "credential's sofar")
			}
			return authn.Skip("no sofar")
		}))
	}
	strategies = append(strategies, s)
	strategies = append(strategies, c.After...)
	if su.chain, err = authn.NewChain(strategies...); err != nil {
		t.Fatalf("authntest: building the chain %v: %v", names(strategies), err)
	}
	follow := authn.StrategyFunc("authntest-follower", func(_ *http.Request, sofar authn.Principal) authn.Decision {
		p := sofar
		p.User = authn.User{Name: FollowerName}
		p.Synthetic = false
		return authn.Contribute(p, "permissive follower")
	})
	if su.follower, err = authn.NewChain(append(strategies, follow)...); err != nil {
		t.Fatalf("authntest: building the chain with a follower: %v", err)
	}

	t.Run("NotApplicable", su.notApplicable)
	for i := range su.c.Bad {
		bad := &su.c.Bad[i]
		t.Run("RefusesBad/"+bad.Name, func(t suiteT) { su.refusesBad(t, bad) })
	}
	t.Run("AcceptsGood", su.acceptsGood)
	t.Run("StripsEverySpelling", su.stripsEverySpelling)
	t.Run("NoSecretInOutput", su.noSecretInOutput)
	t.Run("ConcurrentUse", su.concurrentUse)
	t.Run("NoGoroutineLeak", func(t suiteT) {
		if err := goleak.Find(leaks); err != nil {
			t.Errorf("strategy %q left goroutines running after the suite's requests returned; "+
				"a strategy must not start goroutines that outlive Authenticate:\n%v", s.Name(), err)
		}
	})
}

func hasSofar(cs []Credential) bool {
	for _, c := range cs {
		if c.Sofar != nil {
			return true
		}
	}
	return false
}

func names(ss []authn.Strategy) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s != nil {
			out[i] = s.Name()
		}
	}
	return out
}

// request builds the request for cred, or the bare request for nil.
func (su *suite) request(cred *Credential) *http.Request {
	r := NewRequest(su.c.Request...)
	if cred == nil {
		return r
	}
	for _, o := range cred.Request {
		if o != nil {
			o(r)
		}
	}
	if cred.Sofar != nil {
		r = r.WithContext(context.WithValue(r.Context(), sofarKey{}, *cred.Sofar))
	}
	return r
}

// entry returns the trace entry of the strategy under test.
func (su *suite) entry(tr authn.Trace) (authn.TraceEntry, bool) {
	for _, e := range tr {
		if e.Strategy == su.s.Name() {
			return e, true
		}
	}
	return authn.TraceEntry{}, false
}

func (su *suite) notApplicable(t suiteT) {
	t.Helper()
	_, tr, _ := su.chain.Authenticate(su.request(nil))
	e, ok := su.entry(tr)
	switch {
	case !ok:
		t.Errorf("strategy %q did not run on a request without its credential; an earlier strategy stopped the chain: %+v", su.s.Name(), tr)
	case e.Outcome != authn.NotApplicable:
		t.Errorf("strategy %q answered %s (reason %q) on a request without its credential; want not-applicable, "+
			"so that a chain can hold strategies for other credentials", su.s.Name(), e.Outcome, e.Reason)
	}
}

// refusalRepeats is how often RefusesBad presents each bad credential: a
// strategy must refuse it every time, not only while a cache is cold.
const refusalRepeats = 3

func (su *suite) refusesBad(t suiteT, bad *Credential) {
	t.Helper()
	for n := 1; n <= refusalRepeats; n++ {
		p, tr, err := su.follower.Authenticate(su.request(bad))
		e, ok := su.entry(tr)
		if !ok {
			t.Errorf("bad credential %q, presentation %d of %d: strategy %q did not run; an earlier strategy stopped the chain: %+v",
				bad.Name, n, refusalRepeats, su.s.Name(), tr)
			su.refusalFailed[bad] = true
			return
		}
		refused := e.Outcome == authn.Rejected || e.Outcome == authn.Failed
		if !refused {
			t.Errorf("bad credential %q, presentation %d of %d: strategy %q answered %s (reason %q); want rejected or failed "+
				"every time: a refusal must stop the chain, never fall through to the strategies after it",
				bad.Name, n, refusalRepeats, su.s.Name(), e.Outcome, e.Reason)
		}
		fellThrough := err == nil || p.User.Name == FollowerName
		if fellThrough {
			t.Errorf("bad credential %q, presentation %d of %d, fell through: a chain with a permissive strategy after %q "+
				"authenticated it as %q (error %v)", bad.Name, n, refusalRepeats, su.s.Name(), p.User.Name, err)
		}
		if !refused || fellThrough {
			su.refusalFailed[bad] = true
			return // one presentation's failure says it all
		}
	}
}

func (su *suite) acceptsGood(t suiteT) {
	t.Helper()
	if !su.hasGood() {
		t.Logf("no good credential given: strategy %q is not expected to contribute", su.s.Name())
		return
	}
	_, tr, err := su.chain.Authenticate(su.request(&su.c.Good))
	e, ok := su.entry(tr)
	switch {
	case !ok:
		t.Errorf("good credential %q: strategy %q did not run; an earlier strategy stopped the chain: %v", su.c.Good.Name, su.s.Name(), err)
	case e.Outcome != authn.Contributed:
		t.Errorf("good credential %q: strategy %q answered %s (reason %q, detail %q); want contributed",
			su.c.Good.Name, su.s.Name(), e.Outcome, e.Reason, e.Detail)
	}
}

// stripValue is the value the suite sends under a header's spellings.
const stripValue = "authntest-stripped-value"

// randomSpellingsPerHeader is how many random spellings StripsEverySpelling
// adds to the generated ones.
const randomSpellingsPerHeader = 4

func (su *suite) stripsEverySpelling(t suiteT) {
	t.Helper()
	for _, pattern := range su.c.Headers {
		name, prefix := strings.CutSuffix(pattern, "*")
		if prefix {
			name += "Authntest"
		}
		matches := func(k string) bool {
			if prefix {
				return authn.HeaderNameHasPrefix(k, strings.TrimSuffix(pattern, "*"))
			}
			return authn.HeaderNameEqual(k, name)
		}
		// leaks lists, per place, the spellings found there, once each.
		var leaks []string
		leak := func(where string, left []string) {
			if left == nil {
				return
			}
			msg := fmt.Sprintf("%q reached %s", left[0], where)
			if !slices.Contains(leaks, msg) {
				leaks = append(leaks, msg)
			}
		}
		all := append(spellings(name), randomSpellings(name, su.rng, randomSpellingsPerHeader)...)
		for _, base := range su.creds()[:su.bases()] {
			for _, sp := range all {
				for _, repeat := range []int{1, 2} {
					build := func() *http.Request {
						r := su.request(base)
						for range repeat {
							r.Header[sp] = append(r.Header[sp], stripValue)
						}
						return r
					}
					r := build()
					_, _, _ = su.chain.Authenticate(r)
					leak("the request after Chain.Authenticate", leftover(r.Header, matches))
					res := su.serve(build())
					leak("the chiadapter observer", leftover(res.observed, matches))
					leak("the handler", leftover(res.handled, matches))
				}
			}
		}
		if leaks != nil {
			t.Errorf("header %s, sent in other spellings beside the bare and the good request: %s. "+
				"The chain strips only the headers strategies declare: implement authn.HeaderReader "+
				"(Headers() []string) listing %q, and read it with authn.TakeHeader, which removes every spelling "+
				"(random spellings from seed %d; %s=%d replays them)",
				pattern, strings.Join(leaks, "; "), pattern, su.seed, SeedEnv, su.seed)
		}
	}
}

// leftover returns a header of h that matches, or nil.
func leftover(h http.Header, matches func(string) bool) []string {
	for k, vs := range h {
		if matches(k) {
			return append([]string{k}, vs...)
		}
	}
	return nil
}

// served is what chiadapter.Authenticate did with one request.
type served struct {
	observed, handled http.Header
	observation       []any
	rec               *httptest.ResponseRecorder
}

// serve sends r through chiadapter.Authenticate over the chain.
func (su *suite) serve(r *http.Request) served {
	var res served
	mw := chiadapter.Authenticate(su.chain, chiadapter.WithObserver(func(r *http.Request, p authn.Principal, tr authn.Trace, err error) {
		res.observed = r.Header.Clone()
		res.observation = []any{p, tr, err}
	}))
	res.rec = httptest.NewRecorder()
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.handled = r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	})).ServeHTTP(res.rec, r)
	return res
}

func (su *suite) hasGood() bool { return su.c.Good.Name != "" }

// bases is how many of creds are the bare request and the good one.
func (su *suite) bases() int {
	if su.hasGood() {
		return 2
	}
	return 1
}

// creds returns nil (the bare request), the good credential if there is
// one, and every bad credential.
func (su *suite) creds() []*Credential {
	out := []*Credential{nil}
	if su.hasGood() {
		out = append(out, &su.c.Good)
	}
	for i := range su.c.Bad {
		out = append(out, &su.c.Bad[i])
	}
	return out
}

func credName(c *Credential) string {
	if c == nil {
		return "bare request"
	}
	return "credential " + fmt.Sprintf("%q", c.Name)
}

// outcome is what one request came to, for comparing concurrent runs.
type outcome struct {
	Principal authn.Principal
	Status    int
	Decision  authn.Outcome
}

// job is one request ConcurrentUse sends: a credential through a chain.
type job struct {
	cred     *Credential
	follower bool // through the chain with a permissive follower
}

func (j job) String() string {
	if j.follower {
		return credName(j.cred) + " through the chain with a permissive follower"
	}
	return credName(j.cred)
}

func (su *suite) outcome(j job) outcome {
	chain := su.chain
	if j.follower {
		chain = su.follower
	}
	p, tr, err := chain.Authenticate(su.request(j.cred))
	o := outcome{Principal: p, Status: http.StatusOK}
	if err != nil {
		o.Status = authn.StatusCode(err)
	}
	if e, ok := su.entry(tr); ok {
		o.Decision = e.Outcome
	}
	return o
}

// Concurrency of ConcurrentUse: goroutines, and rounds of every job each.
const (
	concurrentGoroutines = 8
	concurrentRounds     = 16
)

func (su *suite) concurrentUse(t suiteT) {
	t.Helper()
	var jobs []job
	for _, c := range su.creds() {
		jobs = append(jobs, job{cred: c})
	}
	for _, c := range su.creds()[su.bases():] {
		jobs = append(jobs, job{cred: c, follower: true})
	}
	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	// mustRefuse checks that an answer to a bad credential is a refusal, on
	// every presentation: comparing with a lone answer made after a lockout
	// would agree with the fall-through.
	bad := su.creds()[su.bases():]
	mustRefuse := func(j job, o outcome) {
		if !slices.Contains(bad, j.cred) || su.refusalFailed[j.cred] {
			return
		}
		refused := o.Decision == authn.Rejected || o.Decision == authn.Failed
		if refused && (!j.follower || o.Status != http.StatusOK && o.Principal.User.Name != FollowerName) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf("%s, presented again and again, was not refused every time: strategy %q answered %s "+
			"and the chain status %d as %q; a refusal must not end after some presentations (a lockout answered "+
			"not-applicable falls through to the strategies after it): keep rejecting",
			j, su.s.Name(), o.Decision, o.Status, o.Principal.User.Name))
	}
	want := make([]outcome, len(jobs))
	for i, j := range jobs {
		want[i] = su.outcome(j)
		mustRefuse(j, want[i])
	}
	for g := range concurrentGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range concurrentRounds {
				for k := range jobs {
					i := (k + g + round) % len(jobs)
					got := su.outcome(jobs[i])
					mustRefuse(jobs[i], got)
					if diff := cmp.Diff(want[i], got, ComparePrincipals()); diff != "" {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%s answered differently under concurrent use (-alone +concurrent):\n%s", jobs[i], diff))
						mu.Unlock()
					}
				}
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	for i, f := range failures {
		if i == 3 {
			t.Errorf("… and %d more", len(failures)-3)
			break
		}
		t.Errorf("%s", f)
	}
}
