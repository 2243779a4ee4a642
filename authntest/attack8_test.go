package authntest

// Adversarial tests of Conformance: strategies that are unsafe in ways the
// suite could be fooled by. Each test builds the API-key strategy of
// conformance_test.go with one trick and says whether the suite catches it
// (it must fail at least one check).

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authchain/authchain/authn"
)

// trickyKeys is the API-key strategy with one unsafe trick.
type trickyKeys struct {
	trick string
	mu    sync.Mutex
	seen  map[[sha256.Size]byte]bool
	// inFlight counts concurrent calls, for the "concurrent" trick.
	inFlight atomic.Int32
}

func (*trickyKeys) Name() string { return "apikey" }

func (s *trickyKeys) Headers() []string {
	if s.trick == "enumerated spellings" {
		return nil
	}
	return []string{"X-Api-Key"}
}

// suiteSpellings are exactly the spellings the suite sends.
var suiteSpellings = []string{"X-Api-Key", "x-api-key", "X-API-KEY", "X_Api_Key", "x_api_key"}

func (s *trickyKeys) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	var key string
	if s.trick == "enumerated spellings" {
		// Reads the canonical header strictly and deletes the spellings
		// its author thought of, declaring nothing.
		vs := r.Header["X-Api-Key"]
		n := 0
		for _, sp := range suiteSpellings {
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
	if s.trick == "concurrent" {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for range 50 {
			runtime.Gosched()
		}
		if n > 1 || s.inFlight.Load() > 1 {
			// A shared scratch buffer, say: under load it answers for
			// another request's key.
			p := sofar
			p.User = authn.User{Name: "alice"}
			return authn.Contribute(p, "API key")
		}
	}
	user, ok := apiKeys[key]
	if ok {
		p := sofar
		p.User = authn.User{Name: user}
		if s.trick == "hands the key to the handler" {
			r.Header["X-Authenticated-Key"] = []string{key}
		}
		return authn.Contribute(p, "API key")
	}
	switch s.trick {
	case "split secret":
		half := len(key) / 2
		return authn.Reject("unknown API key starting " + key[:half]).WithDetail("ending " + key[half:])
	case "base64 secret":
		return authn.Reject("unknown API key").WithDetail("key " + base64.StdEncoding.EncodeToString([]byte(key)))
	case "hex secret":
		return authn.Reject("unknown API key").WithDetail("key " + hex.EncodeToString([]byte(key)))
	case "falls through the second time":
		// A negative cache whose hit is answered "not mine".
		d := sha256.Sum256([]byte(key))
		s.mu.Lock()
		again := s.seen[d]
		if s.seen == nil {
			s.seen = map[[sha256.Size]byte]bool{}
		}
		s.seen[d] = true
		s.mu.Unlock()
		if again {
			return authn.Skip("known bad key")
		}
	}
	return authn.Reject("unknown API key")
}

// suiteCatches runs the suite on s and fails t if no check failed.
func suiteCatches(t *testing.T, s authn.Strategy, c Config, why string) {
	t.Helper()
	rec := newRecorder()
	conformance(rec, s, c)
	if len(rec.failed()) == 0 {
		t.Errorf("Conformance passed a strategy that %s", why)
	}
}

// TestAttack8ConformanceCatchesStrippingOnlyTheSuitesSpellings: a strategy
// that deletes the five spellings the suite sends, and declares nothing,
// leaves "x-Api_KEY" (mixed case and separators) for the handler.
func TestAttack8ConformanceCatchesStrippingOnlyTheSuitesSpellings(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "enumerated spellings"}, apiKeySuite(),
		"strips only the spellings the suite sends, so x-Api_KEY reaches the handler")
}

// TestAttack8ConformanceCatchesASecretSplitAcrossReasonAndDetail: half the
// key in the Reason (the response body), the other half in the Detail.
func TestAttack8ConformanceCatchesASecretSplitAcrossReasonAndDetail(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "split secret"}, apiKeySuite(),
		"puts half of a bad key in the response body and the other half in the trace")
}

// TestAttack8ConformanceCatchesABase64Secret: the key base64-encoded in the
// Detail (trace and logs).
func TestAttack8ConformanceCatchesABase64Secret(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "base64 secret"}, apiKeySuite(),
		"logs a bad key base64-encoded")
}

// TestAttack8ConformanceCatchesAHexSecret: the key hex-encoded in the Detail.
func TestAttack8ConformanceCatchesAHexSecret(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "hex secret"}, apiKeySuite(),
		"logs a bad key hex-encoded")
}

// TestAttack8ConformanceCatchesFallingThroughOnTheSecondRequest: a negative
// cache answered "not applicable" on a hit: the first refusal is real, every
// later one falls through to the strategies after it.
func TestAttack8ConformanceCatchesFallingThroughOnTheSecondRequest(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "falls through the second time"}, apiKeySuite(),
		"refuses a bad key once and lets it fall through every later time")
}

// TestAttack8ConformanceCatchesAStrategyUnsafeOnlyUnderConcurrency: a
// strategy that answers for the wrong key only while another call is in
// flight.
func TestAttack8ConformanceCatchesAStrategyUnsafeOnlyUnderConcurrency(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "concurrent"}, apiKeySuite(),
		"accepts a bad key whenever two requests overlap")
}

// TestAttack8ConformanceCatchesAKeyHandedToTheHandler: the strategy copies
// the verified key into another request header, so the handler (and an
// observer) holds the secret.
func TestAttack8ConformanceCatchesAKeyHandedToTheHandler(t *testing.T) {
	suiteCatches(t, &trickyKeys{trick: "hands the key to the handler"}, apiKeySuite(),
		"copies the key into X-Authenticated-Key for the handler")
}

// TestAttack8ConformancePassesTheHonestStrategy: the tricks above are the
// only reason the suite fails them.
func TestAttack8ConformancePassesTheHonestStrategy(t *testing.T) {
	rec := newRecorder()
	conformance(rec, &trickyKeys{}, apiKeySuite())
	if f := rec.failed(); len(f) != 0 {
		t.Errorf("the honest strategy failed %q: %q", f, rec.failures)
	}
}

// TestAttack8ConformanceSendsTheSpellingARealServerDelivers: behind Go's
// HTTP server, a client's "x_api_key" or "X_API_KEY" reaches a strategy as
// "X_api_key" (textproto canonicalises letters after '-', not after '_').
// Of the spellings the suite sends, only the canonical one is a key a real
// server hands over; the one an attacker would actually get through is not
// among them.
func TestAttack8ConformanceSendsTheSpellingARealServerDelivers(t *testing.T) {
	keys := make(chan []string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var seen []string
		for k := range r.Header {
			if authn.HeaderNameEqual(k, "X-Api-Key") {
				seen = append(seen, k)
			}
		}
		keys <- seen
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nx_api_key: v\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(conn)
	seen := <-keys
	if len(seen) != 1 {
		t.Fatalf("server delivered %q", seen)
	}
	if !slices.Contains(spellings("X-Api-Key"), seen[0]) {
		t.Errorf("a real server delivers %q; the suite sends only %q", seen[0], spellings("X-Api-Key"))
	}
}
