package strategies

import (
	"net/http"
	"strings"
)

// This file holds the header handling every header-reading strategy shares:
// name matching that sees through the spellings proxies and CGI-style
// servers produce, value validation, and stripping. Strategies call these;
// they do not copy them.

// validHeaderName reports whether name is a non-empty RFC 9110 token, the
// only form a header field name may take on the wire.
func validHeaderName(name string) bool {
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

// isCanonicalHeaderKey reports whether key is a valid header name spelled
// exactly as Go's server stores it. Any other key was written into
// r.Header by code, not parsed from the wire. No allocation when it is.
func isCanonicalHeaderKey(key string) bool {
	return validHeaderName(key) && http.CanonicalHeaderKey(key) == key
}

// foldHeaderByte maps c to the byte it is compared as: ASCII lower case, and
// '_' as '-', because proxies and CGI gateways turn one into the other.
func foldHeaderByte(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_':
		return '-'
	}
	return c
}

// headerNameEqual reports whether a and b name the same header once case
// and '_'/'-' are ignored, so X_Forwarded_User equals X-Forwarded-User.
// It allocates nothing.
func headerNameEqual(a, b string) bool {
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

// headerNameHasPrefix is strings.HasPrefix under headerNameEqual's folding.
func headerNameHasPrefix(name, prefix string) bool {
	return len(name) >= len(prefix) && headerNameEqual(name[:len(prefix)], prefix)
}

// headerSet names headers to strip: whole names and name prefixes, matched
// with headerNameEqual.
type headerSet struct {
	names    []string
	prefixes []string
}

// matches reports whether key is in the set under any spelling.
func (s headerSet) matches(key string) bool {
	for _, n := range s.names {
		if headerNameEqual(key, n) {
			return true
		}
	}
	for _, p := range s.prefixes {
		if headerNameHasPrefix(key, p) {
			return true
		}
	}
	return false
}

// strip deletes from h every key the set matches, in every spelling, so a
// handler behind the strategy can never read a forged copy. It walks the
// keys of h and allocates nothing.
func (s headerSet) strip(h http.Header) {
	for k := range h {
		if s.matches(k) {
			delete(h, k)
		}
	}
}

// nextListItem returns the first element of the comma-separated list v,
// trimmed of spaces and skipping empty ones, and the rest of v; ok is false
// when no element is left. It allocates nothing:
//
//	for item, rest, ok := nextListItem(v); ok; item, rest, ok = nextListItem(rest) {…}
func nextListItem(v string) (item, rest string, ok bool) {
	for v != "" {
		item, v, _ = strings.Cut(v, ",")
		if item = strings.Trim(item, " "); item != "" {
			return item, v, true
		}
	}
	return "", "", false
}
