package strategies

import (
	"net/http"
	"strings"

	"github.com/authchain/authchain/authn"
)

// This file holds the header handling the header-reading strategies share
// beyond authn's name matching (authn.HeaderNameEqual, authn.HeaderSet):
// telling a parsed header from one code wrote, and splitting lists.

// isCanonicalHeaderKey reports whether key is a valid header name spelled
// exactly as Go's server stores it. Any other key was written into
// r.Header by code, not parsed from the wire. No allocation when it is.
func isCanonicalHeaderKey(key string) bool {
	return authn.ValidHeaderName(key) && http.CanonicalHeaderKey(key) == key
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
