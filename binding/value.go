package binding

import (
	"iter"
	"strings"
)

// Value is a binding value whose shape Parse has checked; its MAC is not
// yet verified. The zero Value is not a binding: verifying it reports
// ErrMalformed.
type Value struct {
	version int // 1 or 2; 0 in the zero Value
	// mac is the encoded MAC. Comparing canonical encodings rather than
	// decoded bytes rejects non-canonical base64 for free.
	mac [encodedLen]byte
	// keys is the comma-separated list of signed attribute keys of a v2
	// value, or "".
	keys string
}

// Parse checks the shape of s, a value written by Sign or by its v1
// predecessor, and returns ErrMalformed unless it is v1.MAC, v2.MAC or
// v2.MAC.KEY,KEY…. A key list must be non-empty and strictly ascending, so
// that one Binding has one value. Parse does not allocate.
func Parse(s string) (Value, error) {
	var p Value
	if len(s) < macEnd {
		return p, ErrMalformed
	}
	switch s[:len(prefixV2)] {
	case prefixV1:
		if len(s) != macEnd {
			return p, ErrMalformed
		}
		p.version = 1
	case prefixV2:
		p.version = 2
		if rest := s[macEnd:]; rest != "" {
			keys, ok := strings.CutPrefix(rest, ".")
			if !ok || keys == "" {
				return p, ErrMalformed
			}
			p.keys = keys
			prev := ""
			for k := range p.Keys() {
				if k == "" || (prev != "" && k <= prev) {
					return p, ErrMalformed
				}
				prev = k
			}
		}
	default:
		return p, ErrMalformed
	}
	copy(p.mac[:], s[len(prefixV2):macEnd])
	return p, nil
}

// Version returns 1 for a v1 value, which covers neither a creator UID nor
// attributes, 2 for a v2 value, and 0 for the zero Value.
func (p Value) Version() int { return p.version }

// Keys yields the attribute keys a v2 value lists as signed, in ascending
// order; a v1 value lists none. The keys come from the value and are not
// yet verified: check them against the attributes you read before
// trusting any.
func (p Value) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		rest := p.keys
		for rest != "" {
			k, tail, more := strings.Cut(rest, ",")
			if !yield(k) {
				return
			}
			if more && tail == "" {
				yield("") // a trailing comma is an empty key
				return
			}
			rest = tail
		}
	}
}

// Covers reports whether key is one of the attribute keys p lists.
func (p Value) Covers(key string) bool {
	for k := range p.Keys() {
		if k == key {
			return true
		}
	}
	return false
}
