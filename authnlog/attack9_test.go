package authnlog_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authnlog"
)

// topLevelKeys returns the keys of a text record's key=value pairs that
// stand outside quotes.
func topLevelKeys(line string) []string {
	var keys []string
	inQuote, escaped, start := false, false, 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) {
			c := line[i]
			switch {
			case escaped:
				escaped = false
				continue
			case c == '\\' && inQuote:
				escaped = true
				continue
			case c == '"':
				inQuote = !inQuote
				continue
			case c != ' ' || inQuote:
				continue
			}
		}
		if k, _, ok := strings.Cut(line[start:i], "="); ok {
			keys = append(keys, k)
		}
		start = i + 1
	}
	return keys
}

// TestAttack9TextInjection sends X-Forwarded-User values that would forge
// a record in the text format: a line break, ANSI escapes, fake key=value
// pairs. Every request makes exactly one line, with no escape byte, and
// no key appears twice.
func TestAttack9TextInjection(t *testing.T) {
	fwd, err := strategies.Forwarded(strategies.InsecureTrustAnyPeer())
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(fwd)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"alice\nlevel=ERROR msg=forged user=root",
		"alice level=ERROR msg=forged user=root",
		"alice\" user=\"root",
		"alice\x1b[2K\rroot",
		"alice\u2028level=ERROR",
		"alice\u0085user=root",
		"alice\t user=root",
	} {
		var buf bytes.Buffer
		a, err := authnlog.Wrap(chain, slog.New(slog.NewTextHandler(&buf, nil)))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-User", name)
		_, _, _ = a.Authenticate(r)
		out := buf.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Errorf("%q: %d lines: %q", name, strings.Count(out, "\n"), out)
			continue
		}
		if strings.ContainsAny(out, "\x1b\r") || strings.Contains(out, "\u2028") || strings.Contains(out, "\u0085") {
			t.Errorf("%q: a control character reached the log: %q", name, out)
		}
		seen := map[string]bool{}
		for _, k := range topLevelKeys(strings.TrimSuffix(out, "\n")) {
			if seen[k] {
				t.Errorf("%q: key %s twice in %q", name, k, out)
			}
			seen[k] = true
		}
	}
}
