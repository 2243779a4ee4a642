package binding

import "strings"

// isLabelKey reports whether k is a valid Kubernetes label key (a qualified
// name): an optional DNS-1123 subdomain prefix of at most 253 bytes and a
// "/", then a name of 1 to 63 bytes of [A-Za-z0-9-_.] that starts and ends
// with [A-Za-z0-9]. It is written out so that the package needs no
// Kubernetes module, and does not allocate.
func isLabelKey(k string) bool {
	prefix, name, slash := strings.Cut(k, "/")
	if !slash {
		name = prefix
	} else if !isDNS1123Subdomain(prefix) {
		return false
	}
	if len(name) == 0 || len(name) > 63 || !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	for i := range len(name) {
		if c := name[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false // also a second "/"
		}
	}
	return true
}

// isDNS1123Subdomain reports whether s is at most 253 bytes of dot-separated
// labels of [a-z0-9-], each starting and ending with [a-z0-9].
func isDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || !isLowerAlnum(label[0]) || !isLowerAlnum(label[len(label)-1]) {
			return false
		}
		for i := range len(label) {
			if c := label[i]; !isLowerAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }
