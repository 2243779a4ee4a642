package authnconfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
)

// attackSecret is the content of secret files the attacks below point a
// configuration at; no error may quote it.
const attackSecret = "ATTACKSECRETVALUE-0123456789abcdefghijklmnopqrstuv"

// validCIDRs is a configuration that loads: the attacks change one thing.
const validCIDRs = header + "spec:\n  strategies:\n  - forwarded:\n      trust: {cidrs: [10.0.0.0/8]}\n"

func sharedSecretConfig(file string) string {
	return header + "spec:\n  strategies:\n  - forwarded:\n      trust:\n        sharedSecret: {header: X-Proxy-Secret, secretFile: " + file + "}\n"
}

// parseReturns runs Parse and fails the test if it has not returned after
// a generous wait, which only a blocked read explains; unblock releases
// whatever blocked it, so that the goroutine ends.
func parseReturns(t *testing.T, data string, unblock func(), opts ...ParseOption) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Parse([]byte(data), opts...)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Error("Parse is blocked: a file reference made loading hang")
		if unblock != nil {
			unblock()
		}
		return <-done
	}
}

// TestAttack9FIFOSecretFile points a secret file at a FIFO that no one
// writes: loading must refuse it, not wait for a writer forever (a reload
// would then hold its lock for good).
func TestAttack9FIFOSecretFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "secret")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	unblock := func() {
		// A writer that opens and closes gives the blocked reader EOF.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
	err := parseReturns(t, sharedSecretConfig("secret"), unblock, WithDir(dir))
	if err == nil {
		t.Fatal("a FIFO was accepted as a secret file")
	}
}

// TestAttack9SpecialSecretFiles points secret files at endless devices, a
// directory and a symlink to a device: each is refused, without reading
// more than MaxFileBytes.
func TestAttack9SpecialSecretFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"/dev/zero", "/dev/urandom", "link", "sub", "/proc/self/mem"} {
		t.Run(f, func(t *testing.T) {
			if err := parseReturns(t, sharedSecretConfig(f), nil, WithDir(dir)); err == nil {
				t.Errorf("%s accepted as a secret file", f)
			}
		})
	}
}

// TestAttack9KeySpellings tries to smuggle a field past strict decoding:
// another case, a repeated key, a merge key, an alias bomb. Each file must
// be refused.
func TestAttack9KeySpellings(t *testing.T) {
	spec := header + "spec:\n  strategies:\n  - forwarded:\n      trust: "
	bomb := header + "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	bomb += "spec:\n  strategies:\n  - forwarded:\n      trust: {cidrs: [10.0.0.0/8]}\n"
	for name, data := range map[string]string{
		"upper case":               spec + "{InsecureAnyPeer: true}\n",
		"lower case":               spec + "{insecureanypeer: true}\n",
		"camel case of the parent": header + "spec:\n  strategies:\n  - Forwarded:\n      trust: {insecureAnyPeer: true}\n",
		"repeated key":             spec + "{cidrs: [10.0.0.0/8], cidrs: [0.0.0.0/0]}\n",
		"repeated key, quoted":     spec + "{cidrs: [10.0.0.0/8], \"cidrs\": [0.0.0.0/0]}\n",
		"repeated key, escaped":    spec + "{cidrs: [10.0.0.0/8], \"\\x63idrs\": [0.0.0.0/0]}\n",
		"repeated top-level":       validCIDRs + "spec: {strategies: [{forwarded: {trust: {insecureAnyPeer: true}}}]}\n",
		"merge key, unknown":       spec + "{<<: {insecureanypeer: true}, cidrs: [10.0.0.0/8]}\n",
		"merge key, override":      header + "x: &t {cidrs: [10.0.0.0/8]}\n" + "spec:\n  strategies:\n  - forwarded:\n      trust: {<<: *t, cidrs: [0.0.0.0/0]}\n",
		"alias bomb":               bomb,
		"JSON with a case trick":   `{"apiVersion":"authchain.dev/v1alpha1","kind":"ChainConfiguration","spec":{"strategies":[{"forwarded":{"trust":{"cidrs":["10.0.0.0/8"],"Cidrs":["0.0.0.0/0"]}}}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := parseReturns(t, data, nil); err == nil {
				t.Errorf("accepted:\n%s", data)
			}
		})
	}
	if _, err := Parse([]byte(validCIDRs)); err != nil {
		t.Fatalf("the base configuration is refused: %v", err)
	}
}

// TestAttack9SecondDocument hides a second YAML document behind line
// breaks other than "\n", which YAML also honours: the first document
// alone would be loaded and the second (more rules, another trust)
// silently dropped.
func TestAttack9SecondDocument(t *testing.T) {
	second := "---\nspec: {}\n"
	for name, data := range map[string]string{
		"newline":             validCIDRs + second,
		"marker and comment":  validCIDRs + "--- # next\nspec: {}\n",
		"marker and tab":      validCIDRs + "---\tspec: {}\n",
		"document end":        validCIDRs + "...\n" + second,
		"carriage return":     strings.ReplaceAll(validCIDRs+second, "\n", "\r"),
		"CRLF":                strings.ReplaceAll(validCIDRs+second, "\n", "\r\n"),
		"next line (U+0085)":  validCIDRs + "\u0085---\u0085spec: {}\n",
		"line sep (U+2028)":   validCIDRs + "\u2028---\u2028spec: {}\n",
		"para sep (U+2029)":   validCIDRs + "\u2029---\u2029spec: {}\n",
		"BOM before a marker": validCIDRs + "\ufeff---\nspec: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(data)); err == nil {
				t.Errorf("a file with a second document was loaded from its first:\n%q", data)
			}
		})
	}
}

// TestAttack9AnyPeerByCIDR trusts every peer without the Insecure name:
// a CIDR list that covers every address is insecureAnyPeer by another
// spelling and must be refused (or need insecureAnyPeer).
func TestAttack9AnyPeerByCIDR(t *testing.T) {
	for _, cidrs := range []string{"[0.0.0.0/0, \"::/0\"]", "[\"::/0\"]", "[0.0.0.0/0]", "[\"::ffff:0.0.0.0/96\"]"} {
		t.Run(cidrs, func(t *testing.T) {
			data := header + "spec:\n  strategies:\n  - forwarded:\n      trust: {cidrs: " + cidrs + "}\n"
			cfg, err := Parse([]byte(data))
			if err != nil {
				return // refused: held
			}
			built, err := cfg.Build(context.Background(), Deps{})
			if err != nil {
				return
			}
			defer built.Close()
			p, _, err := built.Chain.Authenticate(request("203.0.113.9:1234", "X-Forwarded-User", "alice"))
			if err == nil && p.User.Name == "alice" {
				t.Errorf("cidrs %s believe X-Forwarded-User from any peer, as insecureAnyPeer does, without the Insecure name", cidrs)
			}
		})
	}
}

// TestAttack9ErrorsNeverQuoteFiles points every kind of file reference at
// a file holding a secret in a shape its check refuses: no error may quote
// the secret, nor a long piece of it.
func TestAttack9ErrorsNeverQuoteFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"plain":    attackSecret,
		"newline":  attackSecret + "\n" + attackSecret,
		"json":     `{"keys":[{"kty":"` + attackSecret + `","kid":"` + attackSecret + `"}]}`,
		"jsonbad":  `{"keys":"` + attackSecret + `"`,
		"jsonnum":  `{"keys":[{"kty":"RSA","n":"` + attackSecret + `","e":"` + attackSecret + `"}]}`,
		"pem":      "-----BEGIN CERTIFICATE-----\n" + attackSecret + "\n-----END CERTIFICATE-----\n",
		"pemkey":   "-----BEGIN PUBLIC KEY-----\nQUFBQUFBQUFBQUFBQUFBQUFB\n-----END PUBLIC KEY-----\n" + attackSecret,
		"pemtype":  "-----BEGIN " + attackSecret + "-----\nQUFB\n-----END " + attackSecret + "-----\n",
		"short":    "ATTACKSECRET",
		"utf16":    "\xff\xfe" + attackSecret,
		"jsontype": `{"keys":[{"kty":"EC","crv":"` + attackSecret + `","x":"AA","y":"AA"}]}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name := range files {
		cfgs := map[string]string{
			"sharedSecret": sharedSecretConfig(name),
			"caFile":       header + "spec:\n  strategies:\n  - forwarded:\n      trust:\n        clientCertificate: {caFile: " + name + ", names: [proxy]}\n",
			"jwksFile":     header + "spec:\n  strategies:\n  - jwt: {issuer: https://issuer.example, jwksFile: " + name + ", audiences: [app]}\n",
			"bindingKey":   header + "spec:\n  strategies:\n  - annotation: {bindingKeyFiles: [" + name + "]}\n",
		}
		for field, data := range cfgs {
			_, err := Parse([]byte(data), WithDir(dir))
			if err == nil {
				continue
			}
			msg := err.Error()
			var all []string
			all = append(all, msg)
			var ce *Error
			if errors.As(err, &ce) {
				for _, c := range ce.Unwrap() {
					all = append(all, c.Error())
				}
			}
			for _, m := range all {
				for i := 0; i+12 <= len(attackSecret); i++ {
					if strings.Contains(m, attackSecret[i:i+12]) {
						t.Errorf("%s = file %q: the error quotes the file: %s", field, name, m)
						break
					}
				}
			}
		}
	}
}

// TestAttack9RuleStringGrowth grows strings with chained string
// functions. The estimate prices them by size, so a rule that grows a
// 1 KiB value past the limit is refused at load; one that passes the
// estimate must still be stopped by the cost limit when the value it
// reads is far larger than RuleEstimatedSize (a creator name from an
// annotation, a claim), rather than build a 20 MB string per request.
func TestAttack9RuleStringGrowth(t *testing.T) {
	for _, expr := range []string{
		"principal.user.name.replace('', principal.user.name).replace('a', 'aaaaaaaaaaaaaaaaaaaa').size() > 0",
		"principal.user.name.replace('', principal.user.name).size() > 0",
		"principal.user.name.replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').size() > 0",
		"principal.user.groups.join(principal.user.name).size() > 0",
	} {
		if _, errs := compileRules(nil, principalVariable, []ValidationRule{{expr, "grown"}}); len(errs) == 0 {
			t.Errorf("%s: loads, though it grows a 1 KiB name past the cost limit", expr)
		}
	}
	expr := "principal.user.name.replace('a', 'aaaaaaaaaa').replace('a', 'aaaaaaaaaa').size() > 0"
	rules, errs := compileRules(nil, principalVariable, []ValidationRule{{expr, "grown"}})
	if len(errs) > 0 {
		return // refused at load: held
	}
	p := authn.Principal{User: authn.User{Name: strings.Repeat("a", 200<<10)}}
	if _, _, ok := evalRules(rules, map[string]any{principalVariable: principalValue(p)}); ok {
		t.Errorf("%s builds a 20 MB string from a 200 KiB name under the cost limit of %d", expr, RuleCostLimit)
	}
}

// TestAttack9RuleListGrowth does the same with a list: split and a
// comprehension over it are priced per entry at run time, so the limit
// stops it.
func TestAttack9RuleListGrowth(t *testing.T) {
	expr := "principal.user.name.replace('', principal.user.name).split('').all(c, c == 'a')"
	rules, errs := compileRules(nil, principalVariable, []ValidationRule{{expr, "grown"}})
	if len(errs) > 0 {
		return
	}
	p := authn.Principal{User: authn.User{Name: strings.Repeat("a", 1000)}}
	if _, _, ok := evalRules(rules, map[string]any{principalVariable: principalValue(p)}); ok {
		t.Errorf("a comprehension over a million entries passes under the cost limit of %d", RuleCostLimit)
	}
}

// TestAttack9RuleNullActor runs rules that read the actor of a request
// without one: each reads a field of null and must fail closed, whatever
// the operator around it.
func TestAttack9RuleNullActor(t *testing.T) {
	p := authn.Principal{User: authn.User{Name: "alice"}}
	for _, expr := range []string{
		"principal.actor.name != 'evil'",
		"!(principal.actor.name == 'evil')",
		"principal.actor.attributes['role'] != 'admin'",
		"principal.credential.audiences.all(a, a != 'x')",
		"principal.user.extra['x'] != ['y']",
	} {
		rules, errs := compileRules(nil, principalVariable, []ValidationRule{{expr, "no"}})
		if len(errs) > 0 {
			t.Errorf("%s: %v", expr, errs)
			continue
		}
		if _, _, ok := evalRules(rules, map[string]any{principalVariable: principalValue(p)}); ok {
			t.Errorf("%s holds for a Principal without actor or credential: an error was taken for true", expr)
		}
	}
}

// TestAttack9RuleTypeConfusion compares a list with a string. CEL's
// equality across types is not an error but false, so "!=" is true and a
// rule written that way lets an admin in; ValidationRule documents it and
// the form to write instead, which this test holds to.
func TestAttack9RuleTypeConfusion(t *testing.T) {
	p := authn.Principal{User: authn.User{Name: "alice", Extra: map[string][]string{"role": {"admin"}}}}
	holds := func(expr string) bool {
		t.Helper()
		rules, errs := compileRules(nil, principalVariable, []ValidationRule{{expr, "no admins"}})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", expr, errs)
		}
		_, _, ok := evalRules(rules, map[string]any{principalVariable: principalValue(p)})
		return ok
	}
	if !holds("principal.user.extra['role'] != 'admin'") {
		t.Error("CEL's cross-type != changed; update ValidationRule's documentation")
	}
	for _, expr := range []string{
		"!('admin' in principal.user.extra['role'])",
		"type(principal.user.extra['role']) == string && principal.user.extra['role'] != 'admin'",
	} {
		if holds(expr) {
			t.Errorf("%s holds for role ['admin']: the documented form lets an admin in", expr)
		}
	}
}
