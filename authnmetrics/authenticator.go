package authnmetrics

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/nilcheck"
)

// The result label of the authentication metrics.
const (
	ResultSuccess         = "success"
	ResultRejected        = "rejected"        // authn.ErrRejected (401)
	ResultUnauthenticated = "unauthenticated" // authn.ErrUnauthenticated (401)
	ResultForbidden       = "forbidden"       // authn.ErrForbidden (403)
	ResultUnavailable     = "unavailable"     // authn.ErrUnavailable (503)
	ResultError           = "error"           // any other error (500)
)

// results lists every result label value, in the order of resultIndex.
var results = [...]string{ResultSuccess, ResultRejected, ResultUnauthenticated, ResultForbidden, ResultUnavailable, ResultError}

// StrategyOther is the strategy label of an attempt whose deciding
// strategy is not among the names the wrapped Authenticator listed.
const StrategyOther = "other"

// Authenticator returns a, counted: every Authenticate adds one to
// authchain_authentication_attempts_total and observes its duration in
// authchain_authentication_duration_seconds. It answers as a does and
// leaves the request as a leaves it.
//
// The strategy label is the strategy that decided: on success the last
// one in Principal.Via, on error the Strategy of the *authn.Error
// ("chain" when the chain found no identity). It only ever takes a name a
// listed when wrapped, through a Strategies() []string method such as
// *authn.Chain's, or "chain"; anything else is StrategyOther, so no value a
// custom Authenticator puts in an error can become a label. Names are read
// once, here; the returned Authenticator lists them in turn. Authenticator panics if a is nil, as a chain without an
// authenticator is a bug.
func (m *Metrics) Authenticator(a authn.Authenticator) authn.Authenticator {
	if nilcheck.IsNil(a) {
		panic("authnmetrics: Authenticator: authenticator is nil")
	}
	names := []string{"chain", StrategyOther}
	if lister, ok := a.(interface{ Strategies() []string }); ok {
		for _, n := range lister.Strategies() {
			if validLabelName(n) {
				names = append(names, n)
			}
		}
	}
	c := &counted{inner: a, names: names[2:], attempts: make(map[string]*[len(results)]prometheus.Counter, len(names))}
	for _, n := range names {
		var row [len(results)]prometheus.Counter
		for i, res := range results {
			row[i] = m.attempts.WithLabelValues(res, n)
		}
		c.attempts[n] = &row
	}
	for i, res := range results {
		c.durations[i] = m.duration.WithLabelValues(res)
	}
	return c
}

// counted is the Authenticator that Metrics.Authenticator returns. Its
// counters are looked up at construction, so a request pays for a map
// look-up and two atomic updates.
type counted struct {
	inner authn.Authenticator
	// names are the strategy names a listed, as Strategies returns them.
	names     []string
	attempts  map[string]*[len(results)]prometheus.Counter
	durations [len(results)]prometheus.Observer
}

func (c *counted) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	start := time.Now()
	p, t, err := c.inner.Authenticate(r)
	elapsed := time.Since(start)
	res, strategy := classify(p, err)
	row, ok := c.attempts[strategy]
	if !ok {
		row = c.attempts[StrategyOther]
	}
	row[res].Inc()
	c.durations[res].Observe(elapsed.Seconds())
	return p, t, err
}

// Strategies returns the strategy names the wrapped Authenticator listed,
// so that a second wrapper (another registry's) labels them too.
func (c *counted) Strategies() []string { return append([]string(nil), c.names...) }

// classify returns the index in results of an Authenticate outcome and
// the strategy that decided ("" if unknown). The usual answers, nil and
// an *authn.Error itself, cost no allocation.
func classify(p authn.Principal, err error) (int, string) {
	if err == nil {
		if len(p.Via) == 0 {
			return 0, ""
		}
		return 0, p.Via[len(p.Via)-1]
	}
	aerr, _ := err.(*authn.Error)
	if aerr == nil {
		var wrapped *authn.Error
		if errors.As(err, &wrapped) {
			aerr = wrapped
		}
	}
	if aerr == nil {
		return kindIndex(err), ""
	}
	return kindIndex(aerr.Kind), aerr.Strategy
}

// kindIndex maps an error kind (authn.ErrRejected, …), or an error
// wrapping one, to its index in results.
func kindIndex(kind error) int {
	switch kind {
	case nil:
		return 5
	case authn.ErrRejected:
		return 1
	case authn.ErrUnauthenticated:
		return 2
	case authn.ErrForbidden:
		return 3
	case authn.ErrUnavailable:
		return 4
	}
	switch {
	case errors.Is(kind, authn.ErrRejected):
		return 1
	case errors.Is(kind, authn.ErrUnauthenticated):
		return 2
	case errors.Is(kind, authn.ErrForbidden):
		return 3
	case errors.Is(kind, authn.ErrUnavailable):
		return 4
	}
	return 5
}

// validLabelName reports whether name has the syntax authn.NewChain
// requires of strategy names: 1 to 63 bytes of lower-case letters,
// digits, '-', '_' and '.', starting and ending with a letter or digit.
func validLabelName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}
