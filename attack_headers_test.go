package authchain_test

// Class 1 end to end: identity headers a client sends must never reach the
// handler (nor the error writer or observer), whatever the preset, the
// spelling and the outcome; spoofs from untrusted peers are refused.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/setup"
)

const mallory = "mallory-attack-value"

// atkFamilies are identity headers of the families the README promises to
// strip, whatever the preset.
var atkFamilies = []string{
	"X-Remote-User", "X-Remote-Uid", "X-Remote-Group", "X-Remote-Extra-Scopes",
	"Impersonate-User", "Impersonate-Group", "Impersonate-Uid", "Impersonate-Extra-Scopes",
	"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username", "X-Forwarded-Access-Token",
	"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Access-Token",
	"X-Pomerium-Jwt-Assertion", "X-Pomerium-Claim-Email",
	"X-Goog-Authenticated-User-Email", "X-Goog-Authenticated-User-Id", "X-Goog-Iap-Jwt-Assertion",
	"X-Amzn-Oidc-Data", "X-Amzn-Oidc-Identity", "X-Amzn-Oidc-Accesstoken",
	"Teleport-Jwt-Assertion",
	"Cf-Access-Jwt-Assertion", "Cf-Access-Authenticated-User-Email",
	"X-Ms-Client-Principal", "X-Ms-Client-Principal-Name", "X-Ms-Token-Aad-Id-Token",
	"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name",
	"X-Authentik-Username", "X-Authentik-Groups",
}

// presetReads are the headers each preset parses (sent odd, they refuse).
var presetReads = map[string][]string{
	"oauth2-proxy": {"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Preferred-Username", "X-Forwarded-Groups"},
	"openshift":    {"X-Forwarded-User", "X-Forwarded-Email"},
	"nginx":        {"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Groups"},
	"front-proxy":  {"X-Remote-User", "X-Remote-Uid", "X-Remote-Group", "X-Remote-Extra-Scopes"},
}

var presetUser = map[string]string{
	"oauth2-proxy": "X-Forwarded-User", "openshift": "X-Forwarded-User",
	"nginx": "X-Auth-Request-User", "front-proxy": "X-Remote-User",
}

// spellings are the ways a header may be written into r.Header: as the Go
// server stores a wire name, lower case, with '_' for '-', upper case.
func spellings(h string) [][2]string {
	under := strings.ReplaceAll(h, "-", "_")
	return [][2]string{
		{h, mallory},
		{"=" + strings.ToLower(h), mallory},
		{"=" + under, mallory},
		{"=" + strings.ToUpper(under), mallory},
		{http.CanonicalHeaderKey(under), mallory},
	}
}

// foreignHeaders returns kv pairs of every family header preset does not
// read, in every spelling.
func foreignHeaders(preset string) []string {
	var kv []string
	for _, h := range atkFamilies {
		if slices.Contains(presetReads[preset], h) {
			continue
		}
		for _, s := range spellings(h) {
			kv = append(kv, s[0], s[1])
		}
	}
	return kv
}

// noMallory fails if any header seen carries the attacker's value.
func noMallory(t *testing.T, what string, seen http.Header) {
	t.Helper()
	for k, vs := range seen {
		for _, v := range vs {
			if strings.Contains(v, mallory) {
				t.Errorf("%s: the handler side saw %s: %s", what, k, v)
			}
		}
	}
}

const atkHumanCluster = `apiVersion: v1
kind: ServiceAccount
metadata: {name: placeholder, namespace: team, uid: uid-placeholder}
`

// TestAttack_ForeignIdentityHeadersStrippedOnSuccess: for every preset, a
// trusted request authenticating alice, padded with every other identity
// family in five spellings: the handler sees none of them.
func TestAttack_ForeignIdentityHeadersStrippedOnSuccess(t *testing.T) {
	for preset := range presetReads {
		t.Run(preset, func(t *testing.T) {
			cfg := atkConfig(t)
			cfg.Headers = preset
			chain := atkChain(t, cfg, atkHumanCluster)
			kv := append([]string{presetUser[preset], "alice"}, foreignHeaders(preset)...)
			res := atkDo(chain, atkRequest(atkProxy, kv...))
			wantUser(t, preset, res, "alice", "")
			noMallory(t, preset, res.seen)
		})
	}
}

// TestAttack_IdentityHeadersStrippedOn401: the same from an untrusted peer,
// including the preset's own headers: refused, and the error writer and
// observer see nothing.
func TestAttack_IdentityHeadersStrippedOn401(t *testing.T) {
	for preset := range presetReads {
		t.Run(preset, func(t *testing.T) {
			cfg := atkConfig(t)
			cfg.Headers = preset
			chain := atkChain(t, cfg, atkHumanCluster)
			var kv []string
			for _, h := range atkFamilies {
				kv = append(kv, h, mallory)
			}
			res := atkDo(chain, atkRequest(atkClient, kv...))
			wantRefused(t, preset+" untrusted", res)
			noMallory(t, preset, res.seen)
			if strings.Contains(res.body, mallory) {
				t.Errorf("problem body quotes a header value: %s", res.body)
			}
		})
	}
}

// TestAttack_IdentityHeadersStrippedOn503: a key's request while the cache
// is unsynced (503): nothing of the client's reaches the error writer.
func TestAttack_IdentityHeadersStrippedOn503(t *testing.T) {
	cfg := atkConfig(t)
	chain, err := cfg.Chain(setup.Unsynced{})
	if err != nil {
		t.Fatal(err)
	}
	tok := atkToken(t, "team", "key", "uid-key")
	kv := append([]string{"Authorization", "Bearer " + tok}, foreignHeaders("oauth2-proxy")...)
	res := atkDo(chain, atkRequest(atkProxy, kv...))
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", res.status)
	}
	noMallory(t, "503", res.seen)
}

// TestAttack_TokenOnlyChainStripsEverything: a chain without the forwarded
// strategy still strips every family, and a client's X-Forwarded-User does
// not become anyone.
func TestAttack_TokenOnlyChainStripsEverything(t *testing.T) {
	cfg := atkConfig(t)
	cfg.NoForwarded = true
	chain := atkChain(t, cfg, `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  labels: {app: ambient-access-key}
  annotations: {ambient-code.io/created-by-user-id: alice}
`)
	tok := atkToken(t, "team", "key", "uid-key")
	kv := append([]string{"Authorization", "Bearer " + tok}, foreignHeaders("none")...)
	res := atkDo(chain, atkRequest(atkClient, kv...))
	wantUser(t, "token-only", res, "alice", "key")
	noMallory(t, "token-only", res.seen)
	// Without a token: the forged headers are no identity.
	res = atkDo(chain, atkRequest(atkClient, foreignHeaders("none")...))
	wantRefused(t, "forged headers alone", res)
	noMallory(t, "token-only 401", res.seen)
}

// TestAttack_ForwardedAccessTokenReadThenStripped: the proxy's
// X-Forwarded-Access-Token is used and never reaches the handler; from an
// untrusted peer it proves nothing.
func TestAttack_ForwardedAccessTokenReadThenStripped(t *testing.T) {
	cfg := atkConfig(t)
	cfg.ForwardedAccessToken = true
	chain := atkChain(t, cfg, `apiVersion: v1
kind: ServiceAccount
metadata:
  name: key
  namespace: team
  uid: uid-key
  labels: {app: ambient-access-key}
  annotations: {ambient-code.io/created-by-user-id: alice}
`)
	tok := atkToken(t, "team", "key", "uid-key")
	res := atkDo(chain, atkRequest(atkProxy, "X-Forwarded-User", "system:serviceaccount:team:key", "X-Forwarded-Access-Token", tok))
	wantUser(t, "trusted proxy token", res, "alice", "key")
	for k, vs := range res.seen {
		for _, v := range vs {
			if strings.Contains(v, tok[:40]) {
				t.Errorf("handler saw the token in %s", k)
			}
		}
	}
	// From a client: the token is not read (the request has no other
	// identity, so it is refused rather than authenticated as the key).
	cfg2 := atkConfig(t)
	cfg2.ForwardedAccessToken, cfg2.NoForwarded = true, true
	chain2 := atkChain(t, cfg2, `apiVersion: v1
kind: ServiceAccount
metadata: {name: key, namespace: team, uid: uid-key, labels: {app: ambient-access-key}, annotations: {ambient-code.io/created-by-user-id: alice}}
`)
	for _, name := range []string{"X-Forwarded-Access-Token", "=x-forwarded-access-token", "=X_Forwarded_Access_Token"} {
		res = atkDo(chain2, atkRequest(atkClient, name, tok))
		wantRefused(t, "client "+name, res)
		for k := range res.seen {
			if authn.HeaderNameEqual(k, "X-Forwarded-Access-Token") {
				t.Errorf("client's %s reached the error writer", k)
			}
		}
	}
}

// TestAttack_SpoofsFromUntrustedPeers: identity headers from addresses
// outside the trusted range, however the address is dressed, are refused.
func TestAttack_SpoofsFromUntrustedPeers(t *testing.T) {
	chain := atkChain(t, atkConfig(t), atkHumanCluster)
	for _, tt := range []struct {
		peer string
		kv   []string
	}{
		{atkClient, []string{"X-Forwarded-User", "admin"}},
		{atkClient, []string{"X-Forwarded-User", "admin", "X-Forwarded-For", "10.1.2.3", "X-Real-Ip", "10.1.2.3"}},
		{atkClient, []string{"X-Forwarded-Email", "admin@example.com"}},
		{atkClient, []string{"X-Forwarded-Groups", "admins"}},
		{"[::ffff:203.0.113.9]:4000", []string{"X-Forwarded-User", "admin"}},
		{"[fe80::1%eth0]:4000", []string{"X-Forwarded-User", "admin"}},
		{"10.1.2.3", []string{"X-Forwarded-User", "admin"}},       // no port: unparseable
		{"not-an-address", []string{"X-Forwarded-User", "admin"}}, // garbage
		{"[::ffff:10.1.2.3]:4000x", []string{"X-Forwarded-User", "admin"}},
	} {
		res := atkDo(chain, atkRequest(tt.peer, tt.kv...))
		wantRefused(t, "peer "+tt.peer, res)
	}
	// An IPv4-mapped trusted peer is the proxy.
	res := atkDo(chain, atkRequest("[::ffff:10.1.2.3]:4000", "X-Forwarded-User", "alice"))
	wantUser(t, "mapped trusted peer", res, "alice", "")
}

// TestAttack_OddSpellingsFromTrustedProxy: a trusted request whose identity
// header arrives under a second spelling is refused, not merged or read
// in map order.
func TestAttack_OddSpellingsFromTrustedProxy(t *testing.T) {
	chain := atkChain(t, atkConfig(t), atkHumanCluster)
	for _, kv := range [][]string{
		{"=x-forwarded-user", "admin"},
		{"=X_Forwarded_User", "admin"},
		{"X-Forwarded-User", "alice", "=X_Forwarded_User", "admin"},
		{"X-Forwarded-User", "alice", "=X-FORWARDED-USER", "admin"},
		{"X-Forwarded-User", "alice", "X-Forwarded-User", "admin"},
		{"X-Forwarded-User", "alice", "=x-forwarded-groups", "admins"},
		{"X-Forwarded-User", "alice", "X-Forwarded-Email", "a@x", "X-Forwarded-Email", "b@x"},
	} {
		res := atkDo(chain, atkRequest(atkProxy, kv...))
		wantRefused(t, fmt.Sprint(kv), res)
	}
}

// TestAttack_GroupsWithCommasPerPreset: oauth2-proxy and nginx split
// groups, so a "system:" item is refused; the front proxy keeps one line as
// one group, as Kubernetes does, so the comma smuggles nothing in.
func TestAttack_GroupsWithCommasPerPreset(t *testing.T) {
	for _, tt := range []struct {
		preset, header string
		split          bool
	}{
		{"oauth2-proxy", "X-Forwarded-Groups", true},
		{"nginx", "X-Auth-Request-Groups", true},
		{"front-proxy", "X-Remote-Group", false},
	} {
		cfg := atkConfig(t)
		cfg.Headers = tt.preset
		chain := atkChain(t, cfg, atkHumanCluster)
		for _, v := range []string{"devs,system:masters", "devs, SYSTEM:masters", "devs,\u017Fystem:masters", ",,system:masters,,"} {
			res := atkDo(chain, atkRequest(atkProxy, presetUser[tt.preset], "alice", tt.header, v))
			if tt.split {
				wantRefused(t, tt.preset+" "+v, res)
				continue
			}
			if res.status == http.StatusOK && slices.Contains(res.principal.User.Groups, "system:masters") {
				t.Errorf("%s: %q became system:masters", tt.preset, v)
			}
		}
		// A system: group on its own line is refused everywhere.
		res := atkDo(chain, atkRequest(atkProxy, presetUser[tt.preset], "alice", tt.header, "devs", tt.header, "system:masters"))
		wantRefused(t, tt.preset+" system group line", res)
	}
	// openshift reads no groups: a client's X-Forwarded-Groups is dropped.
	cfg := atkConfig(t)
	cfg.Headers = "openshift"
	res := atkDo(atkChain(t, cfg, atkHumanCluster), atkRequest(atkProxy, "X-Forwarded-User", "alice", "X-Forwarded-Groups", "system:masters,"+mallory))
	wantUser(t, "openshift", res, "alice", "")
	if res.principal != nil && len(res.principal.User.Groups) > 0 {
		t.Errorf("openshift preset took groups %q", res.principal.User.Groups)
	}
	noMallory(t, "openshift", res.seen)
}

// TestAttack_FrontProxyExtraKeys: X-Remote-Extra- keys with percent-encoding
// tricks, case collisions and empty keys are refused; none merges into
// another key.
func TestAttack_FrontProxyExtraKeys(t *testing.T) {
	cfg := atkConfig(t)
	cfg.Headers = "front-proxy"
	chain := atkChain(t, cfg, atkHumanCluster)
	refused := [][]string{
		{"X-Remote-Extra-Foo-Bar", "a", "X-Remote-Extra-Foo%2dbar", "b"}, // one key two spellings
		{"X-Remote-Extra-Foo", "a", "=x-remote-extra-foo", "b"},          // case collision written by code
		{"=X_Remote_Extra_Foo", "a"},
		{"X-Remote-Extra-", "a"},            // empty key
		{"X-Remote-Extra-%", "a"},           // malformed escape
		{"X-Remote-Extra-%zz", "a"},         // malformed escape
		{"X-Remote-Extra-A%00b", "a"},       // NUL
		{"X-Remote-Extra-A%0ab", "a"},       // newline
		{"X-Remote-Extra-%20a", "a"},        // leading space
		{"X-Remote-Extra-A%e2%80%8bb", "a"}, // zero-width space
		{"X-Remote-Extra-E%cc%81", "a"},     // NFD
		{"X-Remote-Extra-A%ff", "a"},        // invalid UTF-8
		{"X-Remote-Extra-Scopes", "ok\u200b"},
		{"X-Remote-Extra-Scopes", "line\nbreak"},
	}
	for _, kv := range refused {
		res := atkDo(chain, atkRequest(atkProxy, append([]string{"X-Remote-User", "alice"}, kv...)...))
		wantRefused(t, fmt.Sprintf("%q", kv), res)
	}
	// Keys are lower-cased then unescaped, as Kubernetes does: %46 stays
	// "F", a key of its own, never merged into "foo".
	res := atkDo(chain, atkRequest(atkProxy, "X-Remote-User", "alice", "X-Remote-Extra-Foo", "a", "X-Remote-Extra-%46oo", "b"))
	if res.status == http.StatusOK {
		if got := res.principal.User.Extra["foo"]; len(got) != 1 || got[0] != "a" {
			t.Errorf("extra foo = %q, want [a]", got)
		}
	}
}

// TestAttack_HugeHeaderCountsStayCheap: thousands of extra keys or groups
// cost bounded work: refused past the group cap, and answered fast.
func TestAttack_HugeHeaderCountsStayCheap(t *testing.T) {
	cfg := atkConfig(t)
	cfg.Headers = "front-proxy"
	chain := atkChain(t, cfg, atkHumanCluster)
	kv := []string{"X-Remote-User", "alice"}
	for i := range 5000 {
		kv = append(kv, fmt.Sprintf("X-Remote-Extra-K%d", i), "v")
	}
	start := time.Now()
	_ = atkDo(chain, atkRequest(atkProxy, kv...))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("5000 extra keys took %v", d)
	}
	kv = []string{"X-Remote-User", "alice"}
	for i := range 1000 {
		kv = append(kv, "X-Remote-Group", fmt.Sprintf("g%d", i))
	}
	wantRefused(t, "1000 groups", atkDo(chain, atkRequest(atkProxy, kv...)))
	chain2 := atkChain(t, atkConfig(t), atkHumanCluster)
	wantRefused(t, "1000 comma groups", atkDo(chain2, atkRequest(atkProxy, "X-Forwarded-User", "alice",
		"X-Forwarded-Groups", strings.Repeat("g,", 1000))))
	wantRefused(t, "long user", atkDo(chain2, atkRequest(atkProxy, "X-Forwarded-User", strings.Repeat("a", 5000))))
}

// TestAttack_WireSpellings sends raw HTTP/1.1 requests to a real server:
// names with white space before the colon are refused by net/http, and no
// odd spelling or folded line gets an identity header to the handler.
func TestAttack_WireSpellings(t *testing.T) {
	cfg := atkConfig(t)
	cfg.TrustCIDRs = []string{"127.0.0.0/8"}
	chain := atkChain(t, cfg, atkHumanCluster)
	seen := make(chan http.Header, 16)
	srv := httptest.NewServer(chiadapter.Authenticate(chain)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		p, _ := authn.FromContext(r.Context())
		fmt.Fprint(w, p.User.Name)
	})))
	defer srv.Close()
	reached := 0
	for _, raw := range []string{
		"X-Forwarded-User: alice\r\nX-Remote-User : " + mallory + "\r\n",
		"X-Forwarded-User: alice\r\nX-Remote-User\t: " + mallory + "\r\n",
		"X-Forwarded-User: alice\r\nX_Remote_User: " + mallory + "\r\n",
		"X-Forwarded-User: alice\r\nx-remote-user: " + mallory + "\r\nX-REMOTE-GROUP: " + mallory + "\r\n",
		"X-Forwarded-User: alice\r\nImpersonate-User: " + mallory + "\r\nimpersonate_group: " + mallory + "\r\n",
		"X-Forwarded-User: alice\r\nX-Remote-User: x\r\n " + mallory + "\r\n",
	} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + raw + "\r\n"))
		status, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		select {
		case h := <-seen:
			reached++
			noMallory(t, fmt.Sprintf("%q", raw), h)
		default:
			if !strings.Contains(status, "400") {
				t.Logf("%q: %s", raw, strings.TrimSpace(status))
			}
		}
	}
	if reached < 3 {
		t.Errorf("only %d requests reached the handler: the test proves little", reached)
	}
}
