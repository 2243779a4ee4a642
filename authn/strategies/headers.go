package strategies

import (
	"strings"

	"github.com/authchain/authchain/authn"
)

// This file holds the header handling the header-reading strategies share
// beyond authn's name matching (authn.HeaderNameEqual, authn.HeaderSet):
// telling a parsed header from one code wrote, and splitting lists.

// isCanonicalHeaderKey reports whether key is a valid header name spelled
// exactly as Go's server stores it (http.CanonicalHeaderKey): upper case at
// the start and after each '-', lower case elsewhere. Any other key was
// written into r.Header by code, not parsed from the wire. It is written
// out rather than comparing with http.CanonicalHeaderKey, which walks the
// key twice: every extra header of a front-proxy request passes here, and
// the comparison cost a tenth of BenchmarkForwardedFrontProxy.
// FuzzIsCanonicalHeaderKey holds it to the library's answer.
func isCanonicalHeaderKey(key string) bool {
	upper := true
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z':
			if upper {
				return false
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				return false
			}
		case '0' <= c && c <= '9', c == '-':
		case !authn.ValidHeaderName(key[i : i+1]):
			return false
		}
		upper = key[i] == '-'
	}
	return key != ""
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
