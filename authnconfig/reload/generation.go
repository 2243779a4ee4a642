package reload

import (
	"sync"
	"sync/atomic"

	"github.com/authchain/authchain/authnconfig"
)

// generation is one built configuration and the requests running on it.
// Once retired (no longer current), it is closed when its last request
// ends, or at once when none runs.
type generation struct {
	built *authnconfig.Built // nil for the stand-in after Stop
	hash  string
	// fingerprint covers the referenced files too (fingerprintOf).
	fingerprint string

	inflight  atomic.Int64
	retired   atomic.Bool
	closeOnce sync.Once
	isClosed  atomic.Bool
}

// release ends one request on g.
func (g *generation) release() {
	if g.inflight.Add(-1) == 0 && g.retired.Load() {
		g.close()
	}
}

// retire marks g as no longer current. The caller has already swapped it
// out, so a request that takes g from now on sees that and lets it go;
// whichever of retire and the last release sees no request closes it.
func (g *generation) retire() {
	g.retired.Store(true)
	if g.inflight.Load() == 0 {
		g.close()
	}
}

func (g *generation) close() {
	g.closeOnce.Do(func() {
		g.isClosed.Store(true)
		if g.built != nil {
			g.built.Close()
		}
	})
}

// closed reports whether g has been closed.
func (g *generation) closed() bool { return g.isClosed.Load() }
