package reload

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authchain/authchain/authnconfig"
)

// sharedSecretChain trusts X-Forwarded-User on requests carrying the
// secret of the file "secret" beside the configuration.
const sharedSecretChain = header + `spec:
  strategies:
  - forwarded:
      trust:
        sharedSecret: {header: X-Proxy-Secret, secretFile: secret}
`

func withSecret(a *Authenticator, secret string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Proxy-Secret", secret)
	r.Header.Set("X-Forwarded-User", "alice")
	p, _, err := a.Authenticate(r)
	if err != nil {
		return ""
	}
	return p.User.Name
}

// TestAttack9ReloadSecretRotation rotates a leaked shared secret in the
// watched directory. The watcher sees the change and reloads, but a
// configuration file whose bytes did not change is left alone, so the
// leaked secret keeps working until someone edits the configuration or
// calls Reload. It must stop working after the reload the change starts.
func TestAttack9ReloadSecretRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.yaml")
	leaked, fresh := strings.Repeat("L", 40), strings.Repeat("F", 40)
	write(t, filepath.Join(dir, "secret"), leaked)
	write(t, path, sharedSecretChain)
	a, _ := start(t, path)
	if withSecret(a, leaked) != "alice" {
		t.Fatal("the first secret is not in effect")
	}
	write(t, filepath.Join(dir, "secret"), fresh)
	// What the watcher does after any change in the directory.
	if err := a.reload(false); err != nil {
		t.Fatal(err)
	}
	if withSecret(a, fresh) != "alice" {
		t.Error("the rotated secret is not in effect after the reload its change started")
	}
	if withSecret(a, leaked) == "alice" {
		t.Error("the leaked secret still works after it was rotated in the watched directory")
	}
}

// TestAttack9ReloadFIFO renames a FIFO onto the configuration file: a
// reload must not wait for a writer forever, holding the reload lock and
// leaving Stop blocked.
func TestAttack9ReloadFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, err := Watch(context.Background(), path, authnconfig.Deps{}, WithDebounce(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Rename(fifo, path); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Reload() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a FIFO was loaded as the configuration")
		}
	case <-time.After(10 * time.Second):
		t.Error("Reload is blocked reading a FIFO; Stop and every later reload would wait for it")
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		<-done
	}
	if user(a) != "alice" {
		t.Error("the chain in effect was lost")
	}
}

// TestAttack9ReloadFlipping flips the file between valid chains and
// invalid files as fast as reloads go, with requests in flight: a request
// is never refused, never sees a stopped chain, and the chain in effect
// is always the last valid one.
func TestAttack9ReloadFlipping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, _ := start(t, path)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if user(a) != "alice" {
					t.Error("a request was refused while the file flipped")
					return
				}
			}
		})
	}
	contents := []string{invalid, trusting("10.1.0.0/16"), "", "apiVersion: [", trusting("10.0.0.0/8"), header + "spec: {}\n"}
	for i := range 60 {
		c := contents[i%len(contents)]
		write(t, path, c)
		err := a.Reload()
		if (err == nil) != strings.Contains(c, "cidrs: [10.") {
			t.Errorf("reload of %q: err %v", c, err)
		}
	}
	close(stop)
	wg.Wait()
	if got, want := a.Hash(), hashOf([]byte(trusting("10.0.0.0/8"))); got != want {
		t.Errorf("hash %s in effect; want the last valid file's %s", got, want)
	}
}

// TestAttack9ReloadAfterStop: after Stop, requests get 503 rather than a
// closed chain or a panic, and reloads are refused.
func TestAttack9ReloadAfterStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, _ := start(t, path)
	a.Stop()
	a.Stop()
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:41000"
	r.Header.Set("X-Forwarded-User", "alice")
	if _, _, err := a.Authenticate(r); err == nil {
		t.Error("a stopped Authenticator authenticated a request")
	}
	if err := a.Reload(); err == nil {
		t.Error("a stopped Authenticator reloaded")
	}
	if len(a.Strategies()) != 0 {
		t.Error("a stopped Authenticator lists strategies")
	}
}
