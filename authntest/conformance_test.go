package authntest

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
)

// recorder is a runner that records which checks failed instead of
// failing the test, so that a test can prove the suite catches a broken
// strategy, and which check catches it.
type recorder struct {
	name     string
	mu       *sync.Mutex
	failures map[string][]string // check → messages
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, failures: map[string][]string{}}
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures[r.name] = append(r.failures[r.name], fmt.Sprintf(format, args...))
}

func (r *recorder) Logf(string, ...any) {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// Run runs check in its own goroutine, as testing does, so that Fatalf
// ends only the check.
func (r *recorder) Run(name string, check func(t suiteT)) {
	sub := &recorder{name: name, mu: r.mu, failures: r.failures}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(sub)
	}()
	<-done
}

// failed returns the checks that failed, sorted.
func (r *recorder) failed() []string {
	var out []string
	for k := range r.failures {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// apiKeys maps the test keys to their users.
var apiKeys = map[string]string{"key-alice-0123456789": "alice"}

const badKey = "key-mallory-9876543210"

// apiKeyStrategy is the API-key strategy of a strategy author, built right
// or with one of the mistakes the suite must catch.
type apiKeyStrategy struct {
	// canonicalOnly deletes only X-Api-Key and declares nothing; reading
	// with Header.Get, it also takes the first of two keys.
	canonicalOnly bool
	echo          bool // quotes the key in its Reason
	echoCause     bool // wraps an error quoting the key, for logs
	fallThrough   bool // skips an unknown key
	leak          chan struct{}
}

func (s *apiKeyStrategy) Name() string { return "apikey" }

func (s *apiKeyStrategy) Headers() []string {
	if s.canonicalOnly {
		return nil
	}
	return []string{"X-Api-Key"}
}

func (s *apiKeyStrategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	if s.leak != nil {
		go func() { <-s.leak }()
	}
	var key string
	if s.canonicalOnly {
		key = r.Header.Get("X-Api-Key")
		r.Header.Del("X-Api-Key")
	} else {
		var err error
		if key, err = authn.TakeHeader(r.Header, "X-Api-Key", 256); err != nil {
			return authn.Reject(err.Error())
		}
	}
	if key == "" {
		return authn.Skip("no API key")
	}
	user, ok := apiKeys[key]
	switch {
	case !ok && s.fallThrough:
		return authn.Skip("unknown API key")
	case !ok && s.echo:
		return authn.Reject("unknown API key " + key)
	case !ok && s.echoCause:
		d := authn.Reject("unknown API key")
		d.Cause = errors.New("no such key " + key)
		return d
	case !ok:
		return authn.Reject("unknown API key")
	}
	p := sofar
	p.User = authn.User{Name: user}
	return authn.Contribute(p, "API key")
}

func apiKeySuite() Config {
	return Config{
		Good: Credential{Name: "alice's key", Request: []RequestOption{WithHeader("X-Api-Key", "key-alice-0123456789")}},
		Bad: []Credential{
			{Name: "unknown key", Request: []RequestOption{WithHeader("X-Api-Key", badKey)}},
			{Name: "two keys", Request: []RequestOption{WithHeader("X-Api-Key", "key-alice-0123456789"), WithHeader("X-Api-Key", badKey)}},
		},
		Headers: []string{"X-Api-Key"},
		Secrets: []string{"key-alice-0123456789", badKey},
	}
}

func TestConformanceAPIKey(t *testing.T) {
	Conformance(t, &apiKeyStrategy{}, apiKeySuite())
}

// TestConformanceCatches runs the suite against strategies with one
// mistake each and checks that exactly the check for that mistake fails,
// with a message that says what to do.
func TestConformanceCatches(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy *apiKeyStrategy
		failed   []string
		message  string
	}{
		{"correct", &apiKeyStrategy{}, nil, ""},
		{"deletes only the canonical spelling", &apiKeyStrategy{canonicalOnly: true}, []string{"RefusesBad/two keys", "StripsEverySpelling"}, `"X_Api_Key" reached the handler`},
		{"echoes the key in its reason", &apiKeyStrategy{echo: true}, []string{"NoSecretInOutput"}, "is in Decision.Reason of apikey"},
		{"quotes the key in an error for logs", &apiKeyStrategy{echoCause: true}, []string{"NoSecretInOutput"}, "is in the error's Cause"},
		{"falls through on an unknown key", &apiKeyStrategy{fallThrough: true}, []string{"RefusesBad/unknown key"}, "fell through"},
		{"leaks a goroutine", &apiKeyStrategy{leak: make(chan struct{})}, []string{"NoGoroutineLeak"}, "left goroutines running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.strategy.leak != nil {
				defer close(tc.strategy.leak)
			}
			rec := newRecorder()
			conformance(rec, tc.strategy, apiKeySuite())
			if got := rec.failed(); !slices.Equal(got, tc.failed) {
				t.Fatalf("failed checks = %q, want %q; messages: %q", got, tc.failed, rec.failures)
			}
			if tc.message == "" {
				return
			}
			check := tc.failed[len(tc.failed)-1]
			all := strings.Join(rec.failures[check], "\n")
			if !strings.Contains(all, tc.message) {
				t.Errorf("%s failed with %q, want a message containing %q", check, all, tc.message)
			}
		})
	}
}

// TestConformanceNamesTheCheckForEachTrick pins which check catches each
// trick of attack8_test.go, and that its message says which spelling,
// presentation or form of the secret gave the strategy away.
func TestConformanceNamesTheCheckForEachTrick(t *testing.T) {
	for _, tc := range []struct {
		trick   string
		failed  []string
		message string
	}{
		{"enumerated spellings", []string{"StripsEverySpelling"}, `"X_api_key" reached the handler`},
		{"split secret", []string{"NoSecretInOutput"}, "a 11-byte piece (bytes 0 to 11), is in Decision.Reason of apikey"},
		{"base64 secret", []string{"NoSecretInOutput"}, "base64 (standard), is in Decision.Detail of apikey"},
		{"hex secret", []string{"NoSecretInOutput"}, "hex, is in Decision.Detail of apikey"},
		{"falls through the second time", []string{"RefusesBad/unknown key"}, `bad credential "unknown key", presentation 2 of 3`},
		{"hands the key to the handler", []string{"NoSecretInOutput"}, "verbatim, is in header X-Authenticated-Key of the request the handler saw"},
	} {
		t.Run(tc.trick, func(t *testing.T) {
			rec := newRecorder()
			conformance(rec, &trickyKeys{trick: tc.trick}, apiKeySuite())
			if got := rec.failed(); !slices.Equal(got, tc.failed) {
				t.Fatalf("failed checks = %q, want %q; messages: %q", got, tc.failed, rec.failures)
			}
			if all := strings.Join(rec.failures[tc.failed[0]], "\n"); !strings.Contains(all, tc.message) {
				t.Errorf("%s failed with %q, want a message containing %q", tc.failed[0], all, tc.message)
			}
		})
	}
}

// TestConformanceNamesTheCheckForEachSecondTrick pins which check catches
// each trick of attack8b_test.go and what its message says.
func TestConformanceNamesTheCheckForEachSecondTrick(t *testing.T) {
	const lettered = "key-mallory-abcdefghijk"
	for _, tc := range []struct {
		trick   string
		failed  []string
		message string
	}{
		{"split in three", []string{"NoSecretInOutput"}, "cover 22 of its 22 bytes, spread over Decision.Reason of apikey, Decision.Detail of apikey"},
		{"upper case", []string{"NoSecretInOutput"}, "verbatim in another letter case, is in Decision.Detail of apikey"},
		{"documented spellings", []string{"StripsEverySpelling"}, "reached the handler"},
		{"lockout", []string{"ConcurrentUse"}, `credential "unknown key" through the chain with a permissive follower, presented again and again, was not refused every time`},
	} {
		t.Run(tc.trick, func(t *testing.T) {
			c := apiKeySuite()
			if tc.trick == "upper case" {
				c.Bad = []Credential{{Name: "lettered key", Request: []RequestOption{WithHeader("X-Api-Key", lettered)}}}
				c.Secrets = []string{"key-alice-0123456789", lettered}
			}
			rec := newRecorder()
			conformance(rec, &cheat8b{trick: tc.trick}, c)
			if got := rec.failed(); !slices.Equal(got, tc.failed) {
				t.Fatalf("failed checks = %q, want %q; messages: %q", got, tc.failed, rec.failures)
			}
			if all := strings.Join(rec.failures[tc.failed[0]], "\n"); !strings.Contains(all, tc.message) {
				t.Errorf("%s failed with %q, want a message containing %q", tc.failed[0], all, tc.message)
			}
		})
	}
}

// TestConformanceRefusesAShortSecret: a secret shorter than MinSecretLen
// fails the suite up front, with a message saying why, and runs no check.
func TestConformanceRefusesAShortSecret(t *testing.T) {
	c := apiKeySuite()
	c.Secrets = append(c.Secrets, "1234567")
	rec := newRecorder()
	conformance(rec, &apiKeyStrategy{}, c)
	if got := rec.failed(); !slices.Equal(got, []string{""}) {
		t.Fatalf("failed checks = %q, want only the suite itself; messages: %q", got, rec.failures)
	}
	if msg := rec.failures[""][0]; !strings.Contains(msg, "Config.Secrets[2] is 7 bytes long, shorter than MinSecretLen (8)") {
		t.Errorf("message %q does not say which secret is too short", msg)
	}
}

// TestConformanceSeedFromTheEnvironment: SeedEnv sets the seed of the
// random spellings; a value that is no seed fails the suite up front.
func TestConformanceSeedFromTheEnvironment(t *testing.T) {
	t.Setenv(SeedEnv, "42")
	if got, err := seed(); err != nil || got != 42 {
		t.Errorf("seed() = %d, %v; want 42 from %s", got, err, SeedEnv)
	}
	// The same seed sends the same random spellings, and a failure says
	// how to replay it.
	t.Setenv(SeedEnv, "7")
	var runs [2]string
	for i := range runs {
		rec := newRecorder()
		conformance(rec, &cheat8b{trick: "documented spellings"}, apiKeySuite())
		runs[i] = strings.Join(rec.failures["StripsEverySpelling"], "\n")
	}
	if runs[0] != runs[1] || !strings.Contains(runs[0], "random spellings from seed 7; AUTHNTEST_SEED=7 replays them") {
		t.Errorf("with seed 7, the runs failed with %q and %q", runs[0], runs[1])
	}
	t.Setenv(SeedEnv, "forty-two")
	rec := newRecorder()
	conformance(rec, &apiKeyStrategy{}, apiKeySuite())
	if msg := strings.Join(rec.failures[""], "\n"); !strings.Contains(msg, `AUTHNTEST_SEED="forty-two" is not a decimal seed`) {
		t.Errorf("failures %q, want one naming the bad seed", rec.failures)
	}
}
