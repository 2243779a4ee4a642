package authchain_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/internal/logcapture"
)

// TestGoldenLogsHoldNoSecret runs every golden case through a chain wrapped
// by authnlog while all log output of the process is captured
// (logcapture.All: the authnlog logger, the slog default logger, the
// standard log package, and klog, which client-go's informers log through,
// at verbosity 9). It then searches the capture for every secret a case
// sent: each value of Authorization, X-Forwarded-Access-Token and the
// shared-secret header, each token the request templates minted, and the
// configured shared secret and binding key. The cases' want.json are
// checked as in TestGolden, so the logging wrapper is shown not to change
// an answer.
func TestGoldenLogsHoldNoSecret(t *testing.T) {
	capture := logcapture.All(t)
	tokens := newTokenKeys(t)
	var secrets logcapture.Secrets
	minted := func(a, b, c string) (string, error) {
		tok, err := tokens.mint(a, b, c)
		secrets.Add(tok)
		return tok, err
	}
	tampered := func(tok, claims string) (string, error) {
		out, err := tamper(tok, claims)
		secrets.Add(out)
		return out, err
	}
	cases := 0
	authntest.Golden(t, "testdata/*.txtar", func(t testing.TB, c authntest.GoldenCase) authn.Authenticator {
		chain, cfg := goldenChain(t, c, tokens, false)
		secrets.Add(goldenProxySecret)
		secrets.Add(goldenBindingKey)
		secretHeaders := []string{bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader}
		for _, s := range cfg.Spec.Strategies {
			if f := s.Forwarded; f != nil && f.Trust.SharedSecret != nil {
				secretHeaders = append(secretHeaders, f.Trust.SharedSecret.Header)
			}
		}
		logged, err := authnlog.Wrap(chain, capture.Logger())
		if err != nil {
			t.Fatal(err)
		}
		cases++
		return authn.AuthenticatorFunc(func(r *http.Request) (authn.Principal, authn.Trace, error) {
			// Before the chain strips them, in whatever spelling.
			for name, values := range r.Header {
				for _, h := range secretHeaders {
					if strings.EqualFold(name, h) {
						for _, v := range values {
							secrets.Add(v)
						}
					}
				}
			}
			return logged.Authenticate(r)
		})
	},
		authntest.WithRequestFuncs(template.FuncMap{"token": minted, "tamper": tampered}),
		authntest.WithRedactedHeaders(bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader),
	)
	out := capture.String()
	files, _ := filepath.Glob("testdata/*.txtar")
	if cases != len(files) {
		t.Fatalf("ran %d cases of %d", cases, len(files))
	}
	if records := strings.Count(out, `"msg":"authenticated"`) + strings.Count(out, `"msg":"refused"`); records != cases {
		t.Errorf("captured %d authnlog records for %d cases", records, cases)
	}
	secrets.Check(t, out)
}
