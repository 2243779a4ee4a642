package authntest

// Second adversarial review of the suite's fixes: the generated spellings,
// repeated refusals, the secret forms, and Golden's strict want.json.

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
)

// cheat8b is the API-key strategy of conformance_test.go with one trick
// the fixed suite should still catch.
type cheat8b struct {
	trick string
	mu    sync.Mutex
	fails map[[sha256.Size]byte]int
}

func (*cheat8b) Name() string { return "apikey" }

func (s *cheat8b) Headers() []string {
	if s.trick == "documented spellings" {
		return nil
	}
	return []string{"X-Api-Key"}
}

func (s *cheat8b) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	var key string
	if s.trick == "documented spellings" {
		// The author read the suite's documentation and deletes exactly
		// the spellings it lists, declaring nothing.
		vs := r.Header["X-Api-Key"]
		n := 0
		for _, sp := range spellings("X-Api-Key") {
			n += len(r.Header[sp])
			delete(r.Header, sp)
		}
		if n > 1 {
			return authn.Reject("repeated API key")
		}
		if len(vs) == 1 {
			key = vs[0]
		}
	} else {
		var err error
		if key, err = authn.TakeHeader(r.Header, "X-Api-Key", 256); err != nil {
			return authn.Reject(err.Error())
		}
	}
	if key == "" {
		return authn.Skip("no API key")
	}
	if user, ok := apiKeys[key]; ok {
		p := sofar
		p.User = authn.User{Name: user}
		return authn.Contribute(p, "API key")
	}
	switch s.trick {
	case "split in three":
		a, b := len(key)/3, 2*len(key)/3
		d := authn.Reject("unknown API key starting " + key[:a]).WithDetail("then " + key[a:b])
		d.Cause = errors.New("ending " + key[b:])
		return d
	case "upper case":
		return authn.Reject("unknown API key").WithDetail("key " + strings.ToUpper(key))
	case "lockout":
		// Locks a key out after three failures, answering "not mine",
		// so the strategies after it decide.
		h := sha256.Sum256([]byte(key))
		s.mu.Lock()
		if s.fails == nil {
			s.fails = map[[sha256.Size]byte]int{}
		}
		s.fails[h]++
		n := s.fails[h]
		s.mu.Unlock()
		if n > refusalRepeats {
			return authn.Skip("key locked out")
		}
	}
	return authn.Reject("unknown API key")
}

// TestAttack8bConformanceCatchesASecretSplitInThree: the fix finds a
// secret split in two (each half is a piece of len/2). Split in three,
// across Reason, Detail and Cause, each piece is shorter than len/2 and
// than 8 bytes, so the whole key reaches the logs unflagged.
func TestAttack8bConformanceCatchesASecretSplitInThree(t *testing.T) {
	suiteCatches(t, &cheat8b{trick: "split in three"}, apiKeySuite(),
		"writes a bad key in thirds across Reason, Detail and Cause")
}

// TestAttack8bConformanceCatchesAnUpperCasedSecret: a key of letters,
// upper-cased in the Detail, is none of the searched forms, and no piece
// of len/2 survives the case change.
func TestAttack8bConformanceCatchesAnUpperCasedSecret(t *testing.T) {
	const lettered = "key-mallory-abcdefghijk"
	c := apiKeySuite()
	c.Bad = []Credential{{Name: "lettered key", Request: []RequestOption{WithHeader("X-Api-Key", lettered)}}}
	c.Secrets = []string{"key-alice-0123456789", lettered}
	suiteCatches(t, &cheat8b{trick: "upper case"}, c, "writes a bad key upper-cased in its Detail")
}

// TestAttack8bConformanceCatchesDeletingTheDocumentedSpellings: the
// spellings are generated, but from the name alone and the same on every
// run, and the documentation lists them. An author who deletes exactly
// those and declares nothing passes, while "x-api-KEY" from a real client
// reaches the handler.
func TestAttack8bConformanceCatchesDeletingTheDocumentedSpellings(t *testing.T) {
	// A spelling code writes, not one Go's server produces: a variable, so
	// that the header map keeps it as given.
	spelling := "x-api-KEY"
	if r := (&http.Request{Header: http.Header{spelling: {"k"}}}); true {
		(&cheat8b{trick: "documented spellings"}).Authenticate(r, authn.Principal{})
		if _, left := r.Header[spelling]; !left {
			t.Fatal("the cheat deletes x-api-KEY; the attack needs a spelling it leaves")
		}
	}
	suiteCatches(t, &cheat8b{trick: "documented spellings"}, apiKeySuite(),
		"deletes only the documented spellings and declares no header")
}

// TestAttack8bConformanceCatchesALockoutThatFallsThrough: RefusesBad
// presents a bad key three times. A strategy that locks a key out after
// three failures by answering NotApplicable lets the permissive follower
// authenticate the fourth attempt. ConcurrentUse sends the bad key through
// the follower chain, but compares each answer with a lone one made after
// the lockout (the follower's user), so it agrees with the fall-through.
func TestAttack8bConformanceCatchesALockoutThatFallsThrough(t *testing.T) {
	s := &cheat8b{trick: "lockout"}
	suiteCatches(t, s, apiKeySuite(), "falls through to the next strategy from the fourth presentation of a bad key on")
	// The fall-through is real: the follower chain authenticates the key.
	c, err := authn.NewChain(s, authn.StrategyFunc("anyone", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "anyone"}
		return authn.Contribute(p, "permissive")
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRequest(WithHeader("X-Api-Key", badKey))
	if p, _, err := c.Authenticate(r); err == nil {
		t.Logf("after the suite, a bad key authenticates as %q through a permissive follower", p.User.Name)
	}
}

// TestAttack8bConformanceDoesNotBlameTheStrategyForLibraryText: a secret
// that is short or common ("Bearer", "401") is found in what the library
// itself writes (the WWW-Authenticate challenge, the problem body's
// status), and the suite reports a leak by a strategy that never saw it.
// Such a secret should be refused up front as too short to search for.
func TestAttack8bConformanceDoesNotBlameTheStrategyForLibraryText(t *testing.T) {
	for _, secret := range []string{"Bearer", "401"} {
		c := apiKeySuite()
		c.Secrets = append(c.Secrets, secret)
		rec := newRecorder()
		conformance(rec, &apiKeyStrategy{}, c)
		for _, msg := range rec.failures["NoSecretInOutput"] {
			if strings.Contains(msg, "response header") || strings.Contains(msg, "the response body") {
				t.Errorf("secret %q: the suite blames the strategy for the library's own text: %.200s", secret, msg)
				break
			}
		}
	}
}

// TestAttack8bConformanceHonestStrategyStillPasses: the fixes add no false
// positive for the honest strategy and its real secrets, repeated.
func TestAttack8bConformanceHonestStrategyStillPasses(t *testing.T) {
	c := apiKeySuite()
	c.Secrets = append(c.Secrets, c.Secrets...)
	rec := newRecorder()
	conformance(rec, &apiKeyStrategy{}, c)
	if f := rec.failed(); len(f) != 0 {
		t.Errorf("honest strategy failed %v: %v", f, rec.failures)
	}
}

// TestAttack8bSpellingsAreAllOneNameAndCoverGoForms: every generated
// spelling, of a one-word name, a name with digits and a completed
// prefix, is the same header (authn.HeaderNameEqual) and spellings hold
// the form Go's server delivers.
func TestAttack8bSpellingsAreAllOneNameAndCoverGoForms(t *testing.T) {
	for _, name := range []string{"Authorization", "X-B3-TraceId", "X-Remote-Extra-Authntest", "x_api_key", "X-Api-Key"} {
		sp := spellings(name)
		// A one-word name has no separator to vary.
		if want := min(8, 4+4*strings.Count(strings.ReplaceAll(name, "_", "-"), "-")); len(sp) < want {
			t.Errorf("%s: only %d spellings: %q", name, len(sp), sp)
		}
		for _, s := range sp {
			if !authn.HeaderNameEqual(s, name) {
				t.Errorf("%s: spelling %q is another header", name, s)
			}
		}
		under := strings.ReplaceAll(strings.ToLower(name), "-", "_")
		if goForm := http.CanonicalHeaderKey(under); !slices.Contains(sp, goForm) && strings.Contains(name, "-") {
			t.Errorf("%s: the form a Go server delivers, %q, is not sent", name, goForm)
		}
	}
}

// TestAttack8bGoldenRefusesRepeatedWantMembers: the fix refuses a section
// given twice because "a reader sees the first and a runner could check
// the last". A member given twice in want.json, or in two letter cases
// (encoding/json matches names case-insensitively), is the same trick one
// level down: the reader sees "status": 401, the runner checks 200.
func TestAttack8bGoldenRefusesRepeatedWantMembers(t *testing.T) {
	want := string(goldenWant(t, "X-Api-Key: k\n"))
	for name, lying := range map[string]string{
		"status twice":       strings.Replace(want, "{", `{"status": 401, `, 1),
		"Status and status":  strings.Replace(want, "{", `{"Status": 401, `, 1),
		"STATUS after first": strings.Replace(want, "{", `{"STATUS": 401, `, 1),
	} {
		if ok, _, _ := runGoldenChild(t, []byte("-- request --\nX-Api-Key: k\n-- want.json --\n"+lying), false); ok {
			t.Errorf("%s: Golden passed a want.json whose first status says 401 for a 200", name)
		}
	}
}
