package binding_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authchain/authchain/binding"
)

func mustVerifier(t testing.TB, keys ...[]byte) *binding.Verifier {
	t.Helper()
	v, err := binding.NewVerifier(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNewVerifierRefusesKeys(t *testing.T) {
	for name, keys := range map[string][][]byte{
		"none":          nil,
		"short":         {bindingKeyA[:31]},
		"one short":     {bindingKeyA, []byte("short")},
		"empty":         {{}},
		"nil among two": {bindingKeyA, nil},
	} {
		if v, err := binding.NewVerifier(keys...); !errors.Is(err, binding.ErrKey) || v != nil {
			t.Errorf("%s: NewVerifier = %v, %v; want ErrKey", name, v, err)
		}
	}
}

// TestNewVerifierCopiesKeys: the caller may reuse its key slice.
func TestNewVerifierCopiesKeys(t *testing.T) {
	key := append([]byte(nil), bindingKeyA...)
	v := mustVerifier(t, key)
	copy(key, bindingKeyB)
	if err := v.Verify(bindingBase, mustSign(t, bindingKeyA, bindingBase)); err != nil {
		t.Fatalf("after the caller changed its slice: %v", err)
	}
}

func TestParse(t *testing.T) {
	role := mustSign(t, bindingKeyA, bindingRole)
	p, err := binding.Parse(role)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range p.Keys() {
		keys = append(keys, k)
	}
	if p.Version() != 2 || strings.Join(keys, ",") != "ambient-code.io/role,app" {
		t.Errorf("Parse(%q) = version %d, keys %q", role, p.Version(), keys)
	}
	if !p.Covers("app") || p.Covers("ap") || p.Covers("tier") {
		t.Error("Covers answers for a key not listed, or not for one listed")
	}
	if p, err := binding.Parse(legacyV1); err != nil || p.Version() != 1 || p.Covers("") {
		t.Errorf("Parse(v1) = %v, %v", p.Version(), err)
	}
	if _, err := binding.Parse(role + ","); !errors.Is(err, binding.ErrMalformed) {
		t.Errorf("Parse with a trailing comma = %v", err)
	}
	var zero binding.Value
	if zero.Version() != 0 {
		t.Error("the zero Value has a version")
	}
}

func TestVerifyListed(t *testing.T) {
	v := mustVerifier(t, bindingKeyA)
	parse := func(s string) binding.Value {
		p, err := binding.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The attributes live elsewhere than in Binding.Attributes, which is
	// not read.
	labels := map[string]string{"ambient-code.io/role": "write", "app": "ambient-access-key"}
	fromLabels := func(k string) string { return labels[k] }
	noAttributes := bindingWith(bindingRole, func(b *binding.Binding) { b.Attributes = map[string]string{"ignored": "x"} })
	child := bindingWith(bindingChild, func(b *binding.Binding) { b.Attributes = nil })
	badKey := mustSign(t, bindingKeyA, bindingBase) + ".a b"
	for _, tt := range []struct {
		name    string
		b       binding.Binding
		p       binding.Value
		attr    func(string) string
		wantErr error
	}{
		{"attributes from labels", noAttributes, parse(mustSign(t, bindingKeyA, bindingRole)), fromLabels, nil},
		{"a label edited", noAttributes, parse(mustSign(t, bindingKeyA, bindingRole)), func(k string) string { return fromLabels(k) + "!" }, binding.ErrMismatch},
		{"v1", bindingBase, parse(legacyV1), fromLabels, nil},
		{"v1 of a key creator", child, parse(legacyV1), fromLabels, binding.ErrOutdated},
		{"zero Value", bindingBase, binding.Value{}, fromLabels, binding.ErrMalformed},
		{"listed key is not a label key", bindingBase, parse(badKey), fromLabels, binding.ErrInvalid},
		{"creator uid of a human", bindingWith(bindingBase, func(b *binding.Binding) { b.CreatorUID = "u" }), parse(legacyV1), fromLabels, binding.ErrInvalid},
	} {
		if err := v.VerifyListed(tt.b, tt.p, tt.attr); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: VerifyListed = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

// TestVerifierAllocs guards the contract a per-request caller relies on:
// a successful verification allocates nothing.
func TestVerifierAllocs(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("allocation guard: not under -short or -race")
	}
	v := mustVerifier(t, bindingKeyB, bindingKeyA)
	role := mustSign(t, bindingKeyA, bindingRole)
	p, err := binding.Parse(role)
	if err != nil {
		t.Fatal(err)
	}
	attr := func(k string) string { return bindingRole.Attributes[k] }
	for name, f := range map[string]func() error{
		"Verify":       func() error { return v.Verify(bindingRole, role) },
		"VerifyListed": func() error { return v.VerifyListed(bindingRole, p, attr) },
		"Parse":        func() error { _, err := binding.Parse(role); return err },
	} {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = f() }); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}

// BenchmarkVerifier: 0 allocs/op with two attributes and two keys, the
// second one matching; TestVerifierAllocs guards it.
func BenchmarkVerifier(b *testing.B) {
	v := mustVerifier(b, bindingKeyB, bindingKeyA)
	role := mustSign(b, bindingKeyA, bindingRole)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(bindingRole, role); err != nil {
			b.Fatal(err)
		}
	}
}
