package reload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/internal/regularfile"
)

// Authenticator authenticates each request with the chain of the
// configuration in effect when the request starts, and keeps the request
// on that chain until it ends. A chain no longer in effect is closed
// (authnconfig.Built.Close) when its last request ends. Build it with
// Watch; it is safe for concurrent use.
type Authenticator struct {
	path string
	deps authnconfig.Deps
	cfg  config

	cur atomic.Pointer[generation]
	// mu makes reloads one at a time.
	mu sync.Mutex

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// watcher watches the file's directory and those of the files it
	// refers to.
	watcher *fsnotify.Watcher
}

var _ authn.Authenticator = (*Authenticator)(nil)

// Watch loads the configuration file at path, builds its chain with deps
// (authnconfig.ChainConfiguration.Build) and waits for it to sync, then
// watches the file's directory, and those of the files it refers to
// (authnconfig.ChainConfiguration.Files), and reloads the file when it or
// one of them changes, until ctx ends or Stop is called. It returns the first load's error: an
// *authnconfig.Error when the file is invalid. The chains it builds run
// their background work under ctx, and each, the first and every
// reload's, gets deps whole, its observers included.
func Watch(ctx context.Context, path string, deps authnconfig.Deps, opts ...Option) (*Authenticator, error) {
	if ctx == nil {
		return nil, errors.New("reload: Watch: nil context")
	}
	cfg := config{debounce: 250 * time.Millisecond, readyTimeout: 30 * time.Second, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	if cfg.debounce < 0 || cfg.readyTimeout <= 0 {
		return nil, errors.New("reload: Watch: the debounce must not be negative and the ready timeout must be positive")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reload: Watch: %w", err)
	}
	a := &Authenticator{path: abs, deps: deps, cfg: cfg, done: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(ctx)

	// Watch before the first read, so that a change between the two is
	// not missed.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		a.cancel()
		return nil, fmt.Errorf("reload: Watch: %w", err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		_ = w.Close()
		a.cancel()
		return nil, fmt.Errorf("reload: Watch: %w", err)
	}
	a.watcher = w
	data, err := readConfig(abs)
	var parsed *authnconfig.ChainConfiguration
	if err == nil {
		parsed, err = a.parse(data)
	}
	if err == nil {
		var g *generation
		if g, err = a.build(data, parsed); err == nil {
			a.cur.Store(g)
			a.watchFiles(parsed)
			for _, o := range cfg.observers {
				o.ConfigApplied(g.hash)
			}
			cfg.log.Info("authchain configuration in effect", "file", abs, "hash", g.hash)
		}
	}
	if err != nil {
		_ = w.Close()
		a.cancel()
		return nil, err
	}
	go a.watch(w)
	return a, nil
}

// Authenticate runs the chain in effect on r.
func (a *Authenticator) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	g := a.acquire()
	defer g.release()
	if g.built == nil {
		return authn.Principal{}, nil, &authn.Error{Strategy: "chain", Kind: authn.ErrUnavailable, Reason: "authentication has stopped"}
	}
	return g.built.Chain.Authenticate(r)
}

// acquire returns the current generation with one more request on it. A
// generation taken just as it was swapped out is let go and the new one
// taken, so that a retired generation never gains a request.
func (a *Authenticator) acquire() *generation {
	for {
		g := a.cur.Load()
		g.inflight.Add(1)
		if a.cur.Load() == g {
			return g
		}
		g.release()
	}
}

// Strategies lists the strategies of the chain in effect, as
// authn.Chain.Strategies does. authnmetrics.Metrics.Authenticator reads it
// once, when it wraps a: strategies added by a later reload are counted as
// "other".
func (a *Authenticator) Strategies() []string {
	g := a.acquire()
	defer g.release()
	if g.built == nil {
		return nil
	}
	return g.built.Chain.Strategies()
}

// Hash identifies the configuration in effect: the first 16 hex digits of
// the SHA-256 of its file.
func (a *Authenticator) Hash() string { return a.cur.Load().hash }

// Reload reads the file now, as a change to it would, and rebuilds the
// chain even if the file is unchanged (a file it refers to may have
// changed). It returns the reload's error; the observers and the logger
// are told as for any reload.
func (a *Authenticator) Reload() error {
	return a.reload(true)
}

// Stop stops watching and waits for the watcher to end. The chain in
// effect is closed once its last request ends; later requests answer 503.
// Stop may be called more than once.
func (a *Authenticator) Stop() {
	a.cancel()
	<-a.done
}

// hashOf is a configuration's hash: the first 16 hex digits of the
// SHA-256 of its file.
func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// fingerprintOf identifies a configuration for the watcher: its file and
// the files it refers to. Unlike hashOf, it is never published, since it
// covers secrets.
func fingerprintOf(data []byte, cfg *authnconfig.ChainConfiguration) string {
	sum := sha256.Sum256(append(append([]byte(cfg.FilesDigest()), 0), data...))
	return hex.EncodeToString(sum[:])
}

// readConfig reads the configuration file, refusing one larger than
// authnconfig.MaxFileBytes and anything but a regular file: a FIFO renamed
// onto it would block the reload, and with it Stop.
func readConfig(path string) ([]byte, error) {
	data, err := regularfile.Read(path, authnconfig.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	return data, nil
}
