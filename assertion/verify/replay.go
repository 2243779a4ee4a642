package verify

import (
	"errors"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// errReplayCacheFull is the cause of the 503 an assertion gets when the
// replay cache holds only unexpired jtis.
var errReplayCacheFull = errors.New("verify: replay cache full of unexpired assertions")

// replayCache remembers the jti of each accepted assertion until it
// expires. When full it forgets only expired jtis, oldest first: an
// unexpired one is never pushed out, since whoever could make the minting
// service send enough fresh assertions would otherwise replay a stolen one
// within its lifetime. A full cache refuses new assertions instead.
type replayCache struct {
	mu    sync.Mutex
	size  int
	skew  time.Duration
	jtis  *lru.Cache[string, time.Time] // jti → expiry
	clock func() time.Time
}

func newReplayCache(size int, skew time.Duration, clock func() time.Time) (*replayCache, error) {
	jtis, err := lru.New[string, time.Time](size)
	if err != nil {
		return nil, err
	}
	return &replayCache{size: size, skew: skew, jtis: jtis, clock: clock}, nil
}

// add records jti, which expires at exp; replayed reports that it was
// there already, and err that the cache is full of unexpired jtis.
func (c *replayCache) add(jti string, exp time.Time) (replayed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.jtis.Peek(jti); ok {
		return true, nil
	}
	if c.jtis.Len() >= c.size {
		now := c.clock()
		for {
			k, until, ok := c.jtis.GetOldest()
			// Until the verifier's skew has passed too, it would still
			// accept the assertion.
			if !ok || !now.After(until.Add(c.skew)) {
				break
			}
			c.jtis.Remove(k)
		}
		if c.jtis.Len() >= c.size {
			return false, errReplayCacheFull
		}
	}
	c.jtis.Add(jti, exp)
	return false, nil
}
