package binding

import (
	"errors"
	"maps"
	"testing"
)

var fuzzBindingKey = []byte("fuzz-binding-key-0123456789abcdef")

// fuzzBinding builds a Binding from fuzzed fields; empty attribute keys
// mean no attribute.
func fuzzBinding(ns, name, uid, creator, creatorUID, k1, v1, k2, v2 string) Binding {
	b := Binding{Namespace: ns, Name: name, UID: uid, Creator: creator, CreatorUID: creatorUID}
	for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
		if kv[0] == "" {
			continue
		}
		if b.Attributes == nil {
			b.Attributes = map[string]string{}
		}
		b.Attributes[kv[0]] = kv[1]
	}
	return b
}

// mutateBinding returns b with one field, chosen by which, set to to.
func mutateBinding(b Binding, which uint8, to string) Binding {
	b.Attributes = maps.Clone(b.Attributes)
	switch which % 7 {
	case 0:
		b.Namespace = to
	case 1:
		b.Name = to
	case 2:
		b.UID = to
	case 3:
		b.Creator = to
	case 4:
		b.CreatorUID = to
	case 5: // change or add an attribute value
		if b.Attributes == nil {
			b.Attributes = map[string]string{}
		}
		for k := range b.Attributes {
			b.Attributes[k] = to
			return b
		}
		b.Attributes["ambient-code.io/role"] = to
	case 6: // add or drop an attribute
		if _, ok := b.Attributes[to]; ok {
			delete(b.Attributes, to)
		} else if to != "" {
			if b.Attributes == nil {
				b.Attributes = map[string]string{}
			}
			b.Attributes[to] = ""
		}
	}
	return b
}

func sameBinding(a, b Binding) bool {
	return a.Namespace == b.Namespace && a.Name == b.Name && a.UID == b.UID && a.Creator == b.Creator &&
		a.CreatorUID == b.CreatorUID && maps.Equal(a.Attributes, b.Attributes)
}

// v1Binding is the v1 value of b, which verifies only b without creator
// uid and attributes.
func v1Binding(b Binding) string {
	var msg message
	msg.v1(b.Namespace, b.Name, b.UID, b.Creator)
	return prefixV1 + string(newMAC(fuzzBindingKey).encoded(msg.b))
}

// FuzzVerifyBinding: verification never panics; a value verifies a Binding
// only if it is that Binding's own signature (v2, or v1 where v1 suffices),
// so no fuzzed value forges one; a signed value verifies its exact Binding
// and no Binding that differs in one field; and VerifyListed, which the
// annotation strategy uses, answers as Verify does for the listed
// attributes.
func FuzzVerifyBinding(f *testing.F) {
	f.Add("team", "key", "uid-1", "alice@example.com", "", "ambient-code.io/role", "read", "app", "ambient-access-key",
		"v2.jCT6hkdAUk8f0zR9zgfOzN1X8AS7Q0zuXwbkdmzYDyg", uint8(5), "admin")
	f.Add("team", "key", "uid-1", "system:serviceaccount:team:parent", "uid-p", "", "", "", "",
		"v1.YgjLLXVuEzbcOL-EGDoASvwF1Y7R1XMS4LQZecwiU1I", uint8(4), "uid-p2")
	f.Add("a", "b", "c", "d", "", "k", "v", "l", "w", "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.k,l", uint8(6), "k")
	f.Add("", "", "", "", "", "", "", "", "", "", uint8(0), "")
	f.Fuzz(func(t *testing.T, ns, name, uid, creator, creatorUID, k1, v1, k2, v2, value string, which uint8, to string) {
		keys := [][]byte{fuzzBindingKey}
		b := fuzzBinding(ns, name, uid, creator, creatorUID, k1, v1, k2, v2)

		// Parsing any value is safe, and the parse is canonical.
		if p, err := Parse(value); err == nil {
			listed := b
			listed.Attributes = nil
			for k := range p.Keys() {
				if k == "" || !p.Covers(k) {
					t.Fatalf("parse of %q yields key %q it does not cover", value, k)
				}
				if listed.Attributes == nil {
					listed.Attributes = map[string]string{}
				}
				listed.Attributes[k] = b.Attributes[k]
			}
			v, err := NewVerifier(keys...)
			if err != nil {
				t.Fatal(err)
			}
			got := v.VerifyListed(b, p, func(k string) string { return b.Attributes[k] })
			if want := Verify(keys, listed, value); sentinel(got) != sentinel(want) {
				t.Fatalf("VerifyListed(%+v, %q) = %v, Verify of the listed attributes = %v", b, value, got, want)
			}
		}

		signed, signErr := Sign(fuzzBindingKey, b)
		verifyErr := Verify(keys, b, value)
		if signErr != nil {
			if !errors.Is(signErr, ErrInvalid) {
				t.Fatalf("Sign(%+v) = %v", b, signErr)
			}
			if !errors.Is(verifyErr, ErrInvalid) {
				t.Fatalf("Verify of an invalid Binding = %v", verifyErr)
			}
			return
		}
		if err := Verify(keys, b, signed); err != nil {
			t.Fatalf("Verify(%+v, its own signature %q) = %v", b, signed, err)
		}
		if verifyErr == nil && value != signed && value != v1Binding(b) {
			t.Fatalf("forged: %q verifies %+v, whose signature is %q", value, b, signed)
		}

		m := mutateBinding(b, which, to)
		if sameBinding(m, b) {
			return
		}
		if err := Verify(keys, m, signed); err == nil {
			t.Fatalf("the signature of %+v also verifies %+v", b, m)
		}
	})
}

// sentinel returns the package error err wraps, or nil.
func sentinel(err error) error {
	for _, s := range []error{ErrMalformed, ErrMismatch, ErrKey, ErrOutdated, ErrAttributes, ErrInvalid} {
		if errors.Is(err, s) {
			return s
		}
	}
	if err != nil {
		return errors.New("not a package error: " + err.Error())
	}
	return nil
}
