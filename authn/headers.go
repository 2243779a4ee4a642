package authn

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// This file holds header-name matching as proxies and CGI-style gateways
// see names: ASCII case is ignored and '_' equals '-', because something
// between a client and the handler may fold one spelling into the other.
// Strategy authors use these helpers rather than comparing names
// themselves.

// ValidHeaderName reports whether name is a non-empty RFC 9110 token, the
// only form a header field name may take on the wire.
func ValidHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) {
			return false
		}
	}
	return true
}

// isTokenByte reports whether c is an RFC 9110 tchar.
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// foldHeaderByte maps c to the byte it is compared as: ASCII lower case, and
// '_' as '-'.
func foldHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

// HeaderNameEqual reports whether a and b name the same header once ASCII
// case and '_'/'-' are ignored, so X_Forwarded_User equals
// X-Forwarded-User. It allocates nothing.
func HeaderNameEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldHeaderByte(a[i]) != foldHeaderByte(b[i]) {
			return false
		}
	}
	return true
}

// HeaderNameHasPrefix is strings.HasPrefix under HeaderNameEqual's folding.
func HeaderNameHasPrefix(name, prefix string) bool {
	return len(name) >= len(prefix) && HeaderNameEqual(name[:len(prefix)], prefix)
}

// HeaderSet is a set of request header names and name prefixes, matched
// under HeaderNameEqual's folding: a set holding X-Remote-User also holds
// x-remote-user and X_REMOTE_USER. The zero value is the empty set. A
// HeaderSet is immutable and safe for concurrent use; Contains and Strip
// allocate nothing.
type HeaderSet struct {
	// names and prefixes are folded, sorted, and free of entries another
	// prefix covers.
	names, prefixes []headerPattern
	// first has bit c set when a pattern starts with the folded byte c, and
	// nameLens bit n when a name has n bytes (63 standing for longer ones),
	// so that most keys are turned away by a look-up or two.
	first    [4]uint64
	nameLens uint64
}

// headerPattern is a name or prefix folded (lower case, '-' for '_'), with
// its first eight bytes packed into an integer, so that most comparisons
// with a key cost one integer comparison.
type headerPattern struct {
	folded     string
	head, mask uint64
}

func newHeaderPattern(folded string) headerPattern {
	head := foldedHead(folded)
	return headerPattern{folded: folded, head: head, mask: headMask(len(folded))}
}

// foldedHead packs the first eight bytes of key, folded, into an integer;
// missing bytes are zero.
func foldedHead(key string) uint64 {
	var h uint64
	for i := 0; i < len(key) && i < 8; i++ {
		h |= uint64(foldHeaderByte(key[i])) << (8 * i)
	}
	return h
}

// headMask selects the bytes of a head that a pattern of n bytes fills.
func headMask(n int) uint64 {
	if n >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*n) - 1
}

// NewHeaderSet returns the set of patterns. A pattern is a header name (an
// RFC 9110 token without '*'), or such a name followed by "*", which matches
// every header starting with the name ("X-Remote-Extra-*"). An empty or
// invalid pattern is an error.
func NewHeaderSet(patterns ...string) (HeaderSet, error) {
	var names, prefixes []string
	for _, p := range patterns {
		name, prefix := strings.CutSuffix(p, "*")
		if !ValidHeaderName(name) || strings.IndexByte(name, '*') >= 0 {
			return HeaderSet{}, fmt.Errorf("authn: invalid header pattern %q (want a header name, optionally followed by *)", p)
		}
		if prefix {
			prefixes = append(prefixes, foldHeaderName(name))
		} else {
			names = append(names, foldHeaderName(name))
		}
	}
	return newHeaderSet(names, prefixes), nil
}

// newHeaderSet builds a set of folded names and prefixes, dropping
// duplicates and entries a prefix covers.
func newHeaderSet(names, prefixes []string) HeaderSet {
	var s HeaderSet
	// Sorted, a prefix comes before every name it covers.
	slices.Sort(prefixes)
	for _, p := range slices.Compact(prefixes) {
		if !s.hasPrefix(p) {
			s.prefixes = append(s.prefixes, newHeaderPattern(p))
		}
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		if !s.hasPrefix(n) {
			s.names = append(s.names, newHeaderPattern(n))
		}
	}
	for _, list := range [2][]headerPattern{s.names, s.prefixes} {
		for _, p := range list {
			c := p.folded[0]
			s.first[c/64] |= 1 << (c % 64)
		}
	}
	for _, n := range s.names {
		s.nameLens |= 1 << min(len(n.folded), 63)
	}
	return s
}

func foldHeaderName(name string) string {
	b := []byte(name)
	for i, c := range b {
		b[i] = foldHeaderByte(c)
	}
	return string(b)
}

// Union returns the set of headers s or any of others holds.
func (s HeaderSet) Union(others ...HeaderSet) HeaderSet {
	var names, prefixes []string
	for _, set := range append([]HeaderSet{s}, others...) {
		for _, n := range set.names {
			names = append(names, n.folded)
		}
		for _, p := range set.prefixes {
			prefixes = append(prefixes, p.folded)
		}
	}
	return newHeaderSet(names, prefixes)
}

// Contains reports whether the header key, in any spelling, is in s.
func (s HeaderSet) Contains(key string) bool {
	if key == "" {
		return false
	}
	if c := foldHeaderByte(key[0]); s.first[c/64]&(1<<(c%64)) == 0 {
		return false
	}
	head := foldedHead(key)
	if s.nameLens&(1<<min(len(key), 63)) != 0 {
		for _, n := range s.names {
			if len(n.folded) == len(key) && head&n.mask == n.head && equalFolded(key, n.folded) {
				return true
			}
		}
	}
	for _, p := range s.prefixes {
		if len(key) >= len(p.folded) && head&p.mask == p.head && equalFolded(key[:len(p.folded)], p.folded) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether one of s's prefixes starts the folded name.
func (s HeaderSet) hasPrefix(name string) bool {
	for _, p := range s.prefixes {
		if strings.HasPrefix(name, p.folded) {
			return true
		}
	}
	return false
}

// equalFolded compares key, folded byte by byte, with folded, of the same
// length; the first eight bytes were compared already.
func equalFolded(key, folded string) bool {
	for i := 8; i < len(key); i++ {
		if foldHeaderByte(key[i]) != folded[i] {
			return false
		}
	}
	return true
}

// Strip deletes from h every header s holds, in every spelling. It walks
// the keys of h once and allocates nothing.
func (s HeaderSet) Strip(h http.Header) {
	for k := range h {
		if s.Contains(k) {
			delete(h, k)
		}
	}
}

// Patterns returns the set as patterns NewHeaderSet accepts, in canonical
// form and sorted: names first, then prefixes followed by "*".
func (s HeaderSet) Patterns() []string {
	out := make([]string, 0, len(s.names)+len(s.prefixes))
	for _, n := range s.names {
		out = append(out, http.CanonicalHeaderKey(n.folded))
	}
	for _, p := range s.prefixes {
		out = append(out, http.CanonicalHeaderKey(p.folded)+"*")
	}
	return out
}

// DefaultIdentityHeaders returns the identity headers of the common
// authenticating proxies and gateways, which a Chain strips from every
// request whatever its strategies read, so that a handler never sees a
// copy a client sent:
//
//   - Kubernetes front proxy: X-Remote-User, X-Remote-Uid, X-Remote-Group,
//     X-Remote-Extra-*;
//   - Kubernetes impersonation: Impersonate-*;
//   - oauth2-proxy: X-Forwarded-User, X-Forwarded-Email, X-Forwarded-Groups,
//     X-Forwarded-Preferred-Username, X-Forwarded-Access-Token, and the
//     X-Auth-Request-* headers of its auth_request endpoint;
//   - Pomerium X-Pomerium-*; Google IAP X-Goog-Authenticated-User-* and
//     X-Goog-Iap-Jwt-Assertion; AWS ALB X-Amzn-Oidc-*; Teleport
//     Teleport-Jwt-Assertion; Cloudflare Access Cf-Access-Jwt-Assertion and
//     Cf-Access-Authenticated-User-Email; Azure App Service
//     X-Ms-Client-Principal* and X-Ms-Token-*; Authelia Remote-User,
//     Remote-Groups, Remote-Email and Remote-Name; authentik X-Authentik-*;
//     Vouch Proxy X-Vouch-*; Tailscale Tailscale-User-*; the X-Webauth-*
//     headers of auth-proxy setups (Grafana's X-WEBAUTH-USER);
//     oauth2-proxy's legacy Gap-Auth; and authchain's own
//     Authchain-Assertion (package assertion), which a service must never
//     pass on as if it had minted it.
//
// Other X-Forwarded-* headers (For, Proto, Host) are not identity headers
// and are kept. Extend the set with Chain.WithStrippedHeaders.
func DefaultIdentityHeaders() HeaderSet {
	s, err := NewHeaderSet(
		"X-Remote-User", "X-Remote-Uid", "X-Remote-Group", "X-Remote-Extra-*",
		"Impersonate-*",
		"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups",
		"X-Forwarded-Preferred-Username", "X-Forwarded-Access-Token",
		"X-Auth-Request-*",
		"X-Pomerium-*",
		"X-Goog-Authenticated-User-*", "X-Goog-Iap-Jwt-Assertion",
		"X-Amzn-Oidc-*",
		"Teleport-Jwt-Assertion",
		"Cf-Access-Jwt-Assertion", "Cf-Access-Authenticated-User-Email",
		"X-Ms-Client-Principal*", "X-Ms-Token-*",
		"Remote-User", "Remote-Groups", "Remote-Email", "Remote-Name",
		"X-Authentik-*",
		"X-Vouch-*", "Tailscale-User-*", "X-Webauth-*", "Gap-Auth",
		"Authchain-Assertion",
	)
	if err != nil {
		panic(err) // a constant list; TestDefaultIdentityHeaders keeps it valid
	}
	return s
}
