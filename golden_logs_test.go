package authchain_test

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"

	"k8s.io/klog/v2"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/authntest"
)

// TestGoldenLogsHoldNoSecret runs every golden case through a chain wrapped
// by authnlog while all log output of the process is captured: the
// authnlog logger, the slog default logger, the standard log package, and
// klog (which client-go's informers log through) at verbosity 9. It then
// searches the capture for every secret a case sent: each value of
// Authorization, X-Forwarded-Access-Token and the shared-secret header, the
// credential after its scheme, each part of a JWS, each token the request
// templates minted, and the configured shared secret and binding key. The
// cases' want.json are checked as in TestGolden, so the logging wrapper is
// shown not to change an answer.
func TestGoldenLogsHoldNoSecret(t *testing.T) {
	capture := captureAllLogs(t)
	tokens := newTokenKeys(t)
	var secrets secretSet
	minted := func(mint func(string, string, string) (string, error)) func(string, string, string) (string, error) {
		return func(a, b, c string) (string, error) {
			tok, err := mint(a, b, c)
			secrets.add(tok)
			return tok, err
		}
	}
	tampered := func(tok, claims string) (string, error) {
		out, err := tamper(tok, claims)
		secrets.add(out)
		return out, err
	}
	logger := slog.New(slog.NewJSONHandler(capture, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cases := 0
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		chain, cfg := goldenChain(t, c, tokens)
		secrets.add(cfg.TrustSecret)
		secrets.add(cfg.BindingKey)
		secretHeaders := []string{bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader}
		if cfg.TrustSecretHeader != "" {
			secretHeaders = append(secretHeaders, cfg.TrustSecretHeader)
		}
		logged, err := authnlog.Wrap(chain, logger)
		if err != nil {
			t.Fatal(err)
		}
		cases++
		return authn.AuthenticatorFunc(func(r *http.Request) (authn.Principal, authn.Trace, error) {
			// Before the chain strips them.
			for name, values := range r.Header {
				for _, h := range secretHeaders {
					if strings.EqualFold(name, h) {
						for _, v := range values {
							secrets.add(v)
						}
					}
				}
			}
			return logged.Authenticate(r)
		})
	},
		authntest.WithRequestFuncs(template.FuncMap{"token": minted(tokens.mint), "tamper": tampered}),
		authntest.WithRedactedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader),
	)
	klog.Flush()
	out := capture.String()

	files, _ := filepath.Glob("testdata/*.txtar")
	if cases != len(files) {
		t.Fatalf("ran %d cases of %d", cases, len(files))
	}
	if records := strings.Count(out, `"msg":"authenticated"`) + strings.Count(out, `"msg":"refused"`); records != cases {
		t.Errorf("captured %d authnlog records for %d cases", records, cases)
	}
	checked, skipped := 0, 0
	for _, s := range secrets.list() {
		for _, form := range secretForms(s) {
			if len(form) < minSecretForm {
				skipped++
				continue
			}
			checked++
			if strings.Contains(foldASCII(out), foldASCII(form)) {
				t.Errorf("the logs hold %q, a secret a case sent", form)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no secret to look for: the collection is broken")
	}
	t.Logf("searched %d bytes of logs for %d forms of %d secrets (%d forms shorter than %d bytes skipped)", len(out), checked, len(secrets.list()), skipped, minSecretForm)
}

// minSecretForm is the shortest form searched for: shorter ones ("abc")
// match ordinary log text.
const minSecretForm = 12

// secretForms returns how a secret header value can show in a log: as it
// is, the credential after an auth scheme ("Bearer x" gives "x"), and each
// dot-separated part of a JWS.
func secretForms(v string) []string {
	forms := []string{v}
	if _, cred, ok := strings.Cut(v, " "); ok {
		forms = append(forms, strings.TrimSpace(cred))
		v = strings.TrimSpace(cred)
	}
	if parts := strings.Split(v, "."); len(parts) == 3 {
		forms = append(forms, parts...)
	}
	return forms
}

func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// secretSet collects the secrets of a run.
type secretSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *secretSet) add(v string) {
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

func (s *secretSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.seen))
	for v := range s.seen {
		out = append(out, v)
	}
	return out
}

// logCapture is a writer every logger of the process is pointed at.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// captureAllLogs points the slog default logger, the standard log package
// and klog at one capture until t ends, and proves each reaches it.
func captureAllLogs(t *testing.T) *logCapture {
	t.Helper()
	c := &logCapture{}
	// klog.V(n) reaches slog at level -n: let everything through.
	logger := slog.New(slog.NewJSONHandler(c, &slog.HandlerOptions{Level: slog.Level(-100)}))

	prevSlog, prevLogWriter, prevLogFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(logger) // also sends the log package to logger
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	if err := klogFlags.Set("v", "9"); err != nil {
		t.Fatal(err)
	}
	klog.SetSlogLogger(logger)
	klog.LogToStderr(false)
	klog.SetOutput(c)
	t.Cleanup(func() {
		klog.Flush()
		klog.ClearLogger()
		klog.SetOutput(os.Stderr)
		klog.LogToStderr(true)
		_ = klogFlags.Set("v", "0")
		slog.SetDefault(prevSlog)
		log.SetOutput(prevLogWriter)
		log.SetFlags(prevLogFlags)
	})

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
	klog.Flush()
	for name := range canaries {
		if !strings.Contains(c.String(), fmt.Sprintf("capture canary %s\"", name)) {
			t.Fatalf("%s output does not reach the capture:\n%s", name, c.String())
		}
	}
	return c
}
