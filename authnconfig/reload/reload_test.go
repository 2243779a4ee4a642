package reload

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/internal/tokentest"
)

var _ Observer = (*authnmetrics.Metrics)(nil)

const header = "apiVersion: authchain.dev/v1alpha1\nkind: ChainConfiguration\n"

// trusting is a configuration that believes X-Forwarded-User from peers
// in cidr.
func trusting(cidr string) string {
	return header + `spec:
  strategies:
  - forwarded:
      trust:
        cidrs: [` + cidr + `]
`
}

// invalid has three problems, each with its own field path.
const invalid = header + `spec:
  strategies:
  - forwarded:
      trust:
        cidrs: [not-a-cidr]
  - jwt:
      issuer: https://issuer.example
      discovery: {}
  - annotation:
      maxHops: 0
      requireLabels: {app: key}
`

// event is what an Observer was told.
type event struct {
	applied string
	err     error
	reload  bool
}

type recorder struct{ events chan event }

func newRecorder() *recorder { return &recorder{events: make(chan event, 1024)} }

func (r *recorder) ConfigApplied(hash string) { r.events <- event{applied: hash} }
func (r *recorder) ConfigReloaded(err error)  { r.events <- event{err: err, reload: true} }

// next returns the next event; the timeout only keeps a broken watcher
// from hanging the test.
func (r *recorder) next(t *testing.T) event {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no reload seen")
		return event{}
	}
}

// user authenticates a request from peer 10.1.2.3 as alice and returns
// the user name, or "" when refused.
func user(a *Authenticator) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:41000"
	r.Header.Set("X-Forwarded-User", "alice")
	p, _, err := a.Authenticate(r)
	if err != nil {
		return ""
	}
	return p.User.Name
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// start watches path with a recorder and a short debounce, and stops the
// watcher when the test ends, checking that no goroutine is left.
func start(t *testing.T, path string, opts ...Option) (*Authenticator, *recorder) {
	t.Helper()
	tokentest.VerifyNoLeaks(t)
	rec := newRecorder()
	opts = append([]Option{WithObserver(rec), WithDebounce(20 * time.Millisecond)}, opts...)
	a, err := Watch(context.Background(), path, authnconfig.Deps{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	if e := rec.next(t); e.applied != hashOf(mustRead(t, path)) {
		t.Fatalf("first event %+v; want the file's hash applied", e)
	}
	return a, rec
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wantSwap waits for the reload of path's current content.
func wantSwap(t *testing.T, a *Authenticator, rec *recorder, path string) {
	t.Helper()
	want := hashOf(mustRead(t, path))
	if e := rec.next(t); e.applied != want {
		t.Fatalf("event %+v; want %s applied", e, want)
	}
	if e := rec.next(t); !e.reload || e.err != nil {
		t.Fatalf("event %+v; want a successful reload", e)
	}
	if a.Hash() != want {
		t.Fatalf("Hash() = %s; want %s", a.Hash(), want)
	}
}

// TestValidChangeSwaps: a valid file written in place is put in effect
// for the next request.
func TestValidChangeSwaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, rec := start(t, path)
	if got := user(a); got != "alice" {
		t.Fatalf("before: user %q; want alice", got)
	}
	write(t, path, trusting("192.168.0.0/16"))
	wantSwap(t, a, rec, path)
	if got := user(a); got != "" {
		t.Fatalf("after: user %q; want the peer refused by the new trust", got)
	}
}

// TestInvalidChangeKeepsOld: an invalid file leaves the chain in effect
// and is reported with every problem and its field path, to the
// observer and the logger.
func TestInvalidChangeKeepsOld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	var logs syncBuffer
	a, rec := start(t, path, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	old := a.Hash()
	write(t, path, invalid)
	e := rec.next(t)
	var cerr *authnconfig.Error
	if !e.reload || !errors.As(e.err, &cerr) {
		t.Fatalf("event %+v; want a failed reload with an *authnconfig.Error", e)
	}
	paths := []string{"spec.strategies[0].forwarded.trust.cidrs[0]", "spec.strategies[1].jwt.audiences", "spec.strategies[2].annotation.maxHops"}
	if len(cerr.Errors) != len(paths) {
		t.Fatalf("errors %v; want %d", cerr.Errors, len(paths))
	}
	for i, p := range paths {
		if cerr.Errors[i].Field != p {
			t.Errorf("error %d at %s; want %s", i, cerr.Errors[i].Field, p)
		}
		if !strings.Contains(logs.String(), p) {
			t.Errorf("log does not name %s:\n%s", p, logs.String())
		}
	}
	if cerr.File != path {
		t.Errorf("File = %q; want %q", cerr.File, path)
	}
	if a.Hash() != old || user(a) != "alice" {
		t.Fatalf("hash %s, user %q; want the old chain (%s) in effect", a.Hash(), user(a), old)
	}
	// A valid file afterwards is taken.
	write(t, path, trusting("192.168.0.0/16"))
	wantSwap(t, a, rec, path)
}

// TestRenameReplace: an editor's write to a temporary file renamed onto
// the configuration is seen.
func TestRenameReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, rec := start(t, path)
	tmp := filepath.Join(dir, ".chain.yaml.swp")
	write(t, tmp, trusting("192.168.0.0/16"))
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	wantSwap(t, a, rec, path)
	if got := user(a); got != "" {
		t.Fatalf("user %q; want refused", got)
	}
}

// TestConfigMapSwap: a Kubernetes ConfigMap volume's update, which
// points ..data at a new directory by renaming a link, is seen.
func TestConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	mkConfigMapVersion := func(name, content string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name, "chain.yaml"), content)
	}
	mkConfigMapVersion("..2026_01", trusting("10.0.0.0/8"))
	if err := os.Symlink("..2026_01", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "chain.yaml")
	if err := os.Symlink(filepath.Join("..data", "chain.yaml"), path); err != nil {
		t.Fatal(err)
	}
	a, rec := start(t, path)
	mkConfigMapVersion("..2026_02", trusting("192.168.0.0/16"))
	if err := os.Symlink("..2026_02", filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..2026_01")); err != nil {
		t.Fatal(err)
	}
	wantSwap(t, a, rec, path)
	if got := user(a); got != "" {
		t.Fatalf("user %q; want refused", got)
	}
}

// TestWatchRefusesInvalid: the first file must be valid.
func TestWatchRefusesInvalid(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, invalid)
	_, err := Watch(context.Background(), path, authnconfig.Deps{})
	var cerr *authnconfig.Error
	if !errors.As(err, &cerr) || len(cerr.Errors) != 3 {
		t.Fatalf("err %v; want an *authnconfig.Error with 3 errors", err)
	}
}

// TestContextEndStops: when the context ends the watcher ends, leaving
// no goroutine, and later requests answer 503.
func TestContextEndStops(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := Watch(ctx, path, authnconfig.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-a.done
	if _, _, err := a.Authenticate(httptest.NewRequest("GET", "/", nil)); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("err %v; want authentication stopped", err)
	}
	if err := a.Reload(); err == nil {
		t.Fatal("Reload after the end: no error")
	}
	a.Stop()
}

// TestRequestsFinishOnTheirChain: a retired chain is closed only once the
// last request that started on it ends, and never gains a request.
func TestRequestsFinishOnTheirChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, _ := start(t, path)
	running := a.acquire()
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if running.closed() {
		t.Fatal("the old chain was closed under a running request")
	}
	if g := a.acquire(); g == running {
		t.Fatal("a new request took the retired chain")
	} else {
		g.release()
	}
	running.release()
	if !running.closed() {
		t.Fatal("the old chain was not closed after its last request")
	}
}

// TestConcurrentReloads: under -race, requests racing many reloads never
// run on a closed chain, and every retired chain is closed.
func TestConcurrentReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, trusting("10.0.0.0/8"))
	a, _ := start(t, path)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		retired = map[*generation]bool{}
	)
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := a.acquire()
				if g.closed() {
					t.Error("a request ran on a closed chain")
				}
				mu.Lock()
				retired[g] = true
				mu.Unlock()
				if user(a) != "alice" {
					t.Error("a request was refused during reloads")
				}
				g.release()
			}
		})
	}
	for range 20 {
		if err := a.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	current := a.cur.Load()
	for g := range retired {
		if g != current && !g.closed() {
			t.Error("a retired chain was left open")
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnsyncedChainIsNotPutInEffect: a chain whose key set cannot be
// fetched is not put in effect: the first fails Watch, a later one fails
// its reload and the chain in effect stays.
func TestUnsyncedChainIsNotPutInEffect(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	sink := tokentest.NewCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	unreachable := header + `spec:
  strategies:
  - jwt:
      issuer: ` + sink.Server.URL + `
      discovery: {}
      audiences: [` + tokentest.Audience + `]
`
	path := filepath.Join(t.TempDir(), "chain.yaml")
	write(t, path, unreachable)
	deps := authnconfig.Deps{HTTPClient: sink.Server.Client()}
	if _, err := Watch(context.Background(), path, deps, WithReadyTimeout(50*time.Millisecond)); err == nil || !strings.Contains(err.Error(), "did not sync") {
		t.Fatalf("Watch = %v; want the chain refused for not syncing", err)
	}

	write(t, path, trusting("10.0.0.0/8"))
	a, err := Watch(context.Background(), path, deps, WithReadyTimeout(50*time.Millisecond), WithObserver(nil), WithObserver((*authnmetrics.Metrics)(nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	old := a.Hash()
	write(t, path, unreachable)
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "did not sync") {
		t.Fatalf("Reload = %v; want the chain refused for not syncing", err)
	}
	if a.Hash() != old || user(a) != "alice" {
		t.Fatal("the chain in effect was replaced by one that had not synced")
	}
}

// TestSecretRotationElsewhereReloads: a secret file in another directory,
// as a Secret volume beside a ConfigMap volume is, is watched too; rotating
// it puts the new secret in effect, with the same published hash (the
// configuration file did not change), and the old one stops working.
func TestSecretRotationElsewhereReloads(t *testing.T) {
	dir, secrets := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "chain.yaml")
	secret := filepath.Join(secrets, "secret")
	old, rotated := strings.Repeat("O", 40), strings.Repeat("R", 40)
	write(t, secret, old)
	write(t, path, header+`spec:
  strategies:
  - forwarded:
      trust:
        sharedSecret: {header: X-Proxy-Secret, secretFile: `+secret+`}
`)
	a, rec := start(t, path)
	if withSecret(a, old) != "alice" {
		t.Fatal("the first secret is not in effect")
	}
	write(t, secret, rotated)
	wantSwap(t, a, rec, path)
	if withSecret(a, rotated) != "alice" || withSecret(a, old) == "alice" {
		t.Error("after the rotation the new secret must work and the old one must not")
	}
}
