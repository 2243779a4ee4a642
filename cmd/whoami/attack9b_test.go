package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttack9bPrintConfigNeverQuotesSecrets: -print-config names the
// binding key by its path and never prints or quotes its content, whether
// it succeeds or refuses the key (white space, Unicode space around it).
func TestAttack9bPrintConfigNeverQuotesSecrets(t *testing.T) {
	dir := t.TempDir()
	const secret = "s3cr3t-binding-key-material"
	for name, content := range map[string]string{
		"clean":         secret,
		"newline":       secret + "\n",
		"leading space": " " + secret,
		"NBSP":          secret + "\u00a0",
		"CRLF":          secret + "\r\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, code := printConfigRun(t, "-binding-key-file", path)
		if strings.Contains(out, secret) || strings.Contains(stderr, secret) {
			t.Errorf("%s: the key's content was printed (exit %d)", name, code)
		}
		if code == 0 && !strings.Contains(out, path) {
			t.Errorf("%s: printed configuration does not reference %s", name, path)
		}
	}
}

// TestAttack9bPrintConfigTrustCIDREdges: -print-config prints "the
// chain configuration whoami would serve"; for CIDRs whoami refuses to
// serve with (wider than the floor, no mask, a zone, white space) it must
// refuse too, rather than exit 0 with a file -config then refuses.
func TestAttack9bPrintConfigTrustCIDREdges(t *testing.T) {
	for _, cidr := range []string{"0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96", "10.0.0.1", "fe80::1%eth0/64", "10.0.0.0/33", " 10.0.0.0/8"} {
		_, _, code := printConfigRun(t, "-trust-cidr", cidr)
		if code == 0 {
			t.Errorf("-print-config -trust-cidr %q printed a configuration", cidr)
		}
	}
}
