package reload

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/authchain/authchain/authnconfig"
)

// watch reloads the file after each quiet spell that follows a change in
// its directory, until the context ends; it then puts the stopped
// stand-in in effect and retires the last chain.
func (a *Authenticator) watch(w *fsnotify.Watcher) {
	defer close(a.done)
	defer a.stopServing()
	defer w.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	events, errs := w.Events, w.Errors
	for {
		select {
		case <-a.ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				// The watcher gave up: keep serving the chain in effect
				// until the end, without reloads.
				a.cfg.log.Error("authchain configuration watch ended; the configuration in effect stays", "file", a.path)
				events, errs = nil, nil
				continue
			}
			// Any change in the directory may be the file's: a rename onto
			// it, or a ConfigMap's ..data link swapped. An unchanged file
			// is not reloaded.
			if ev.Op != fsnotify.Chmod {
				timer.Reset(a.cfg.debounce)
			}
		case err, ok := <-errs:
			if !ok {
				events, errs = nil, nil
				continue
			}
			// Events may have been lost (an overflow): read the file again.
			a.cfg.log.Error("authchain configuration watch", "file", a.path, "error", err)
			timer.Reset(a.cfg.debounce)
		case <-timer.C:
			_ = a.reload(false)
		}
	}
}

// stopServing puts the stopped stand-in in effect and retires the chain.
func (a *Authenticator) stopServing() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cur.Swap(&generation{hash: a.cur.Load().hash}).retire()
}

// reload reads and builds the file and swaps its chain in. Unless force,
// a configuration whose file and referenced files are those in effect is
// left alone.
func (a *Authenticator) reload(force bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx.Err() != nil {
		return errors.New("reload: stopped")
	}
	data, err := readConfig(a.path)
	var cfg *authnconfig.ChainConfiguration
	if err == nil {
		cfg, err = a.parse(data)
	}
	if err == nil {
		if !force && fingerprintOf(data, cfg) == a.cur.Load().fingerprint {
			return nil
		}
		var g *generation
		if g, err = a.build(data, cfg); err == nil {
			a.cur.Swap(g).retire()
			a.watchFiles(cfg)
			a.cfg.log.Info("authchain configuration reloaded", "file", a.path, "hash", g.hash)
			for _, o := range a.cfg.observers {
				o.ConfigApplied(g.hash)
				o.ConfigReloaded(nil)
			}
			return nil
		}
	}
	a.cfg.log.Error("authchain configuration refused; the previous one stays in effect",
		"file", a.path, "hash", a.cur.Load().hash, "errors", problems(err))
	for _, o := range a.cfg.observers {
		o.ConfigReloaded(err)
	}
	return err
}

// parse parses the configuration data, reading the files it refers to.
func (a *Authenticator) parse(data []byte) (*authnconfig.ChainConfiguration, error) {
	cfg, err := authnconfig.Parse(data, authnconfig.WithDir(filepath.Dir(a.path)))
	if err != nil {
		return nil, a.inFile(err)
	}
	return cfg, nil
}

// build builds and syncs the configuration parsed from data.
func (a *Authenticator) build(data []byte, cfg *authnconfig.ChainConfiguration) (*generation, error) {
	built, err := cfg.Build(a.ctx, a.deps)
	if err != nil {
		return nil, a.inFile(err)
	}
	if !a.waitSynced(built) {
		built.Close()
		return nil, fmt.Errorf("reload: %s: the chain's caches and key sets did not sync within %s", a.path, a.cfg.readyTimeout)
	}
	return &generation{built: built, hash: hashOf(data), fingerprint: fingerprintOf(data, cfg)}, nil
}

// watchFiles watches the directories of the files cfg refers to, so that
// a rotated secret or key file reloads the configuration as an edit of
// the file itself does. A directory that cannot be watched is logged: its
// files are then read again only by a reload for another cause.
func (a *Authenticator) watchFiles(cfg *authnconfig.ChainConfiguration) {
	for _, f := range cfg.Files() {
		dir := filepath.Dir(f)
		if err := a.watcher.Add(dir); err != nil {
			a.cfg.log.Error("authchain configuration: cannot watch a referenced file's directory", "file", a.path, "dir", dir, "error", err)
		}
	}
}

// inFile names the file in an *authnconfig.Error, as authnconfig.Load does.
func (a *Authenticator) inFile(err error) error {
	var e *authnconfig.Error
	if errors.As(err, &e) {
		e.File = a.path
	}
	return err
}

// waitSynced waits until built has synced, the ready timeout passes or
// the context ends, and reports whether it synced.
func (a *Authenticator) waitSynced(built *authnconfig.Built) bool {
	if built.Synced() {
		return true
	}
	deadline := time.NewTimer(a.cfg.readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
			if built.Synced() {
				return true
			}
		}
	}
}

// problems lists err's problems, one per field path when it is an
// *authnconfig.Error.
func problems(err error) []string {
	var e *authnconfig.Error
	if errors.As(err, &e) {
		out := make([]string, len(e.Errors))
		for i, fe := range e.Errors {
			out[i] = fe.Error()
		}
		return out
	}
	return []string{err.Error()}
}
