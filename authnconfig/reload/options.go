package reload

import (
	"log/slog"
	"time"

	"github.com/authchain/authchain/internal/nilcheck"
)

// Option configures Watch.
type Option func(*config)

type config struct {
	observers    []Observer
	log          *slog.Logger
	debounce     time.Duration
	readyTimeout time.Duration
}

// WithObserver adds an observer of the reloads; it may be given more than
// once. A nil observer is ignored.
func WithObserver(o Observer) Option {
	return func(c *config) {
		if !nilcheck.IsNil(o) {
			c.observers = append(c.observers, o)
		}
	}
}

// WithLogger logs each reload: an info record when a configuration is put
// in effect, an error record listing every problem when one is refused.
// The default logs nothing.
func WithLogger(log *slog.Logger) Option {
	return func(c *config) { c.log = log }
}

// WithDebounce sets how long the directory must be quiet after a change
// before the file is read again (default 250ms), so that a file written in
// several steps is read once, whole.
func WithDebounce(d time.Duration) Option {
	return func(c *config) { c.debounce = d }
}

// WithReadyTimeout bounds how long a new chain's ServiceAccount cache and
// discovered key sets may take to sync (default 30s). A chain that has not
// synced by then is not put in effect: the first one fails Watch, a later
// one fails its reload.
func WithReadyTimeout(d time.Duration) Option {
	return func(c *config) { c.readyTimeout = d }
}
