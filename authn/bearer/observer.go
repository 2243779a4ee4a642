package bearer

import (
	"errors"

	"github.com/authchain/authchain/internal/nilcheck"
)

// CacheObserver is told what a Cache does, for metrics (the authnmetrics
// package implements it). Its methods run on the request path, so they
// must be quick and safe for concurrent use. They learn only outcomes:
// never a token, a key or a verdict.
type CacheObserver interface {
	// CacheRequest reports one Get: hit is true when a stored verdict
	// answered it, false otherwise (a verification, a wait for one, a
	// refusal by WithAdmission or a caller whose context had ended).
	CacheRequest(hit bool)
	// FetchStarted reports that a verification began; FetchDone follows
	// when it ends.
	FetchStarted()
	// FetchDone reports that a verification ended: ok is true when it
	// returned a verdict (valid or invalid) or an error wrapping
	// ErrNotApplicable, false when it returned any other error or
	// panicked.
	FetchDone(ok bool)
}

// ErrNotApplicable is for a VerifyFunc that is handed a token it has no
// business with, such as a JWT of another issuer: it returns an error
// wrapping ErrNotApplicable, which the cache does not store, as it stores
// no error, and reports to its observer as a verification that ended ok
// rather than one that failed.
var ErrNotApplicable = errors.New("token is not this verifier's")

// WithObserver has o told of every Get and every verification. Without
// it nothing is reported and nothing is paid. o must not be nil (nor a nil
// pointer).
func WithObserver(o CacheObserver) CacheOption {
	return func(c *cacheConfig) {
		if nilcheck.IsNil(o) {
			c.errorf("WithObserver(nil)")
			return
		}
		c.observer = o
	}
}
