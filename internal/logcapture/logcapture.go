// Package logcapture points every logger of a test process at one buffer
// and searches it for secrets, so that a test can show that no token sent
// during a run reaches any log: the test's own slog logger, the slog
// default logger, the standard log package, and klog, which client-go
// logs through.
package logcapture

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/internal/ascii"
	"k8s.io/klog/v2"
)

// Capture is the buffer every logger writes to until the test ends.
type Capture struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	logger *slog.Logger
}

// Write appends p; it is safe for concurrent use.
func (c *Capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

// String returns everything captured so far, klog's buffers flushed.
func (c *Capture) String() string {
	klog.Flush()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// Logger returns a JSON slog logger that writes to the capture at every
// level.
func (c *Capture) Logger() *slog.Logger { return c.logger }

// TextLogger returns a text slog logger that writes to the capture at
// every level.
func (c *Capture) TextLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c, &slog.HandlerOptions{Level: slog.Level(-100)}))
}

// All points the slog default logger, the standard log package and klog
// (at verbosity 9, its legacy and contextual loggers alike) at a new
// Capture until t ends, and fails t unless a line written through each
// reaches it. A test that calls All must not run in parallel with others
// that change those loggers.
func All(t testing.TB) *Capture {
	t.Helper()
	c, stop, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return c
}

// Start is All for a whole test binary (TestMain): it returns the capture
// and the function that restores the loggers, or an error if a logger's
// output does not reach the capture.
func Start() (*Capture, func(), error) {
	c := &Capture{}
	// klog.V(n) reaches slog at level -n: let everything through.
	c.logger = slog.New(slog.NewJSONHandler(c, &slog.HandlerOptions{Level: slog.Level(-100)}))

	prevSlog, prevLogWriter, prevLogFlags := slog.Default(), log.Writer(), log.Flags()
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	if err := klogFlags.Set("v", "9"); err != nil {
		return nil, nil, err
	}
	slog.SetDefault(c.logger) // also sends the log package to it
	klog.SetSlogLogger(c.logger)
	klog.LogToStderr(false)
	klog.SetOutput(c)
	stop := func() {
		klog.Flush()
		klog.ClearLogger()
		klog.SetOutput(os.Stderr)
		klog.LogToStderr(true)
		_ = klogFlags.Set("v", "0")
		slog.SetDefault(prevSlog)
		log.SetOutput(prevLogWriter)
		log.SetFlags(prevLogFlags)
	}

	canaries := map[string]func(string){
		"slog":  func(m string) { slog.Info(m) },
		"log":   func(m string) { log.Print(m) },
		"klog":  func(m string) { klog.Info(m) },
		"klogV": func(m string) { klog.V(6).Info(m) },
		"klogr": func(m string) { klog.Background().Info(m) },
	}
	for name, write := range canaries {
		write("capture canary " + name)
	}
	out := c.String()
	for name := range canaries {
		if !strings.Contains(out, fmt.Sprintf("capture canary %s\"", name)) {
			stop()
			return nil, nil, fmt.Errorf("logcapture: %s output does not reach the capture:\n%s", name, out)
		}
	}
	return c, stop, nil
}

// MinSecretForm is the shortest form of a secret Check searches for:
// shorter ones ("abc") match ordinary log text.
const MinSecretForm = 12

// Secrets collects the secrets a run sent; it is safe for concurrent use.
type Secrets struct {
	mu   sync.Mutex
	seen map[string]bool
}

// Add records v, a header value or key; "" is ignored.
func (s *Secrets) Add(v string) {
	if v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[v] = true
}

// Len returns how many secrets were added.
func (s *Secrets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// Check fails t for every form of every secret found in out, in any ASCII
// letter case: the value as it is, the credential after an auth scheme
// ("Bearer x" gives "x"), and each dot-separated part of a JWS. Forms
// shorter than MinSecretForm are skipped. It fails t if nothing was
// searched for, and logs what it searched.
func (s *Secrets) Check(t testing.TB, out string) {
	t.Helper()
	found, checked, skipped := s.Find(out)
	for _, form := range found {
		t.Errorf("the logs hold %q, a secret the run sent", form)
	}
	if checked == 0 {
		t.Fatal("logcapture: no secret to look for: the collection is broken")
	}
	t.Logf("searched %d bytes of logs for %d forms of %d secrets (%d forms shorter than %d bytes skipped)", len(out), checked, s.Len(), skipped, MinSecretForm)
}

// Find returns the forms of the secrets (see Check) found in out, and how
// many forms it searched for and skipped as too short.
func (s *Secrets) Find(out string) (found []string, checked, skipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	folded := ascii.Lower(out)
	for v := range s.seen {
		for _, form := range forms(v) {
			if len(form) < MinSecretForm {
				skipped++
				continue
			}
			checked++
			if strings.Contains(folded, ascii.Lower(form)) {
				found = append(found, form)
			}
		}
	}
	return found, checked, skipped
}

func forms(v string) []string {
	out := []string{v}
	if _, cred, ok := strings.Cut(v, " "); ok {
		v = strings.TrimSpace(cred)
		out = append(out, v)
	}
	if parts := strings.Split(v, "."); len(parts) == 3 {
		out = append(out, parts...)
	}
	return out
}
