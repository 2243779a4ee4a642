package binding_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/authchain/authchain/binding"
)

var (
	// Fixed test keys; 32 bytes is the minimum accepted.
	bindingKeyA = []byte("0123456789abcdef0123456789abcdef")
	bindingKeyB = []byte("fedcba9876543210fedcba9876543210")
	bindingKeyC = []byte("a third key, retired long ago...")
)

// bindingBase is a key created by a human, with no attributes.
var bindingBase = binding.Binding{
	Namespace: "stackrox-1", Name: "ambient-key-2b3908aa", UID: "7f1c2d3e-0000-4000-8000-000000000001",
	Creator: "alice@example.com",
}

// bindingWith returns b with fields changed by edit; the attributes are
// copied first, so edits never reach b.
func bindingWith(b binding.Binding, edit func(*binding.Binding)) binding.Binding {
	b.Attributes = maps.Clone(b.Attributes)
	edit(&b)
	return b
}

// bindingRole is bindingBase with a role and a label attribute.
var bindingRole = bindingWith(bindingBase, func(b *binding.Binding) {
	b.Attributes = map[string]string{"ambient-code.io/role": "write", "app": "ambient-access-key"}
})

// bindingChild is a key created by the key ambient-key-parent.
var bindingChild = bindingWith(bindingBase, func(b *binding.Binding) {
	b.Creator = "system:serviceaccount:stackrox-1:ambient-key-parent"
	b.CreatorUID = "7f1c2d3e-0000-4000-8000-0000000000aa"
	b.Attributes = map[string]string{"ambient-code.io/role": "read"}
})

// legacyV1 is the v1 binding of bindingBase under bindingKeyA, as the
// releases before v2 wrote it.
const legacyV1 = "v1.YgjLLXVuEzbcOL-EGDoASvwF1Y7R1XMS4LQZecwiU1I"

func mustSign(t testing.TB, key []byte, b binding.Binding) string {
	t.Helper()
	v, err := binding.Sign(key, b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSignKnownAnswer pins the wire format, which the code that
// creates keys (possibly in another language) must reproduce. The values
// were computed outside this package from the encoding documented on
// Sign.
func TestSignKnownAnswer(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    binding.Binding
		want string
	}{
		{"human creator", bindingBase, "v2.jCT6hkdAUk8f0zR9zgfOzN1X8AS7Q0zuXwbkdmzYDyg"},
		{"attributes", bindingRole, "v2.OuBZlMC3RLcVusCerMhqMItWTaoZj_fjKOoy2YcXV1I.ambient-code.io/role,app"},
		{"key creator", bindingChild, "v2.lkEetgL_wDv5dd3s-PfkE7i18VpxviDfG6wqVOketJY.ambient-code.io/role"},
	} {
		if got := mustSign(t, bindingKeyA, tt.b); got != tt.want {
			t.Errorf("%s: Sign = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSignShape(t *testing.T) {
	for _, b := range []binding.Binding{bindingBase, bindingRole} {
		got := mustSign(t, bindingKeyA, b)
		rest, ok := strings.CutPrefix(got, "v2.")
		if !ok {
			t.Fatalf("%q lacks the v2. prefix", got)
		}
		mac, keys, _ := strings.Cut(rest, ".")
		if dec, err := base64.RawURLEncoding.Strict().DecodeString(mac); err != nil || len(dec) != 32 {
			t.Fatalf("%q is not base64url-no-padding of 32 bytes: %v", mac, err)
		}
		if want := strings.Join(slices.Sorted(maps.Keys(b.Attributes)), ","); keys != want {
			t.Errorf("listed keys %q, want %q", keys, want)
		}
		if again := mustSign(t, bindingKeyA, b); again != got {
			t.Errorf("Sign is not deterministic: %q then %q", got, again)
		}
	}
}

// TestSignRefusesWhatCannotVerify: Sign errs rather than
// write a binding no verifier accepts.
func TestSignRefusesWhatCannotVerify(t *testing.T) {
	for _, tt := range []struct {
		name    string
		key     []byte
		b       binding.Binding
		wantErr error
	}{
		{"short key", bindingKeyA[:31], bindingBase, binding.ErrKey},
		{"no key", nil, bindingBase, binding.ErrKey},
		{"key creator without its uid", bindingKeyA, bindingWith(bindingChild, func(b *binding.Binding) { b.CreatorUID = "" }), binding.ErrInvalid},
		{"human creator with a uid", bindingKeyA, bindingWith(bindingBase, func(b *binding.Binding) { b.CreatorUID = "uid-1" }), binding.ErrInvalid},
		{"attribute key with a comma", bindingKeyA, bindingWith(bindingBase, func(b *binding.Binding) { b.Attributes = map[string]string{"a,b": "x"} }), binding.ErrInvalid},
		{"empty attribute key", bindingKeyA, bindingWith(bindingBase, func(b *binding.Binding) { b.Attributes = map[string]string{"": "x"} }), binding.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := binding.Sign(tt.key, tt.b)
			if !errors.Is(err, tt.wantErr) || v != "" {
				t.Fatalf("Sign = %q, %v; want %v", v, err, tt.wantErr)
			}
			if err := binding.Verify([][]byte{bindingKeyA}, tt.b, "v2."+strings.Repeat("A", 43)); len(tt.key) >= 32 && !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	signedA := mustSign(t, bindingKeyA, bindingBase)
	signedB := mustSign(t, bindingKeyB, bindingBase)
	role := mustSign(t, bindingKeyA, bindingRole)
	child := mustSign(t, bindingKeyA, bindingChild)
	mac := func(v string) string { return v[3:46] }
	// flipLast changes the last MAC character to one that decodes to the
	// same bytes under lenient decoding: 43 characters carry 258 bits for
	// 256.
	flipLast := func(s string) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alphabet, s[45])
		flipped := s[:45] + string(alphabet[i^1]) + s[46:]
		a, _ := base64.RawURLEncoding.DecodeString(mac(s))
		b, _ := base64.RawURLEncoding.DecodeString(mac(flipped))
		if !bytes.Equal(a, b) {
			t.Fatal("flipLast changed the decoded MAC; the case would test nothing")
		}
		return flipped
	}
	edit := bindingWith
	tests := []struct {
		name    string
		keys    [][]byte
		b       binding.Binding
		value   string
		wantErr error
	}{
		{"valid", [][]byte{bindingKeyA}, bindingBase, signedA, nil},
		{"valid with attributes", [][]byte{bindingKeyA}, bindingRole, role, nil},
		{"valid key creator", [][]byte{bindingKeyA}, bindingChild, child, nil},
		{"rotation: new key first, value signed with the old", [][]byte{bindingKeyB, bindingKeyA}, bindingBase, signedA, nil},
		{"rotation: value signed with the new", [][]byte{bindingKeyB, bindingKeyA}, bindingBase, signedB, nil},
		{"retired key", [][]byte{bindingKeyB, bindingKeyC}, bindingBase, signedA, binding.ErrMismatch},
		{"wrong key", [][]byte{bindingKeyB}, bindingBase, signedA, binding.ErrMismatch},

		// Each field is covered.
		{"other namespace", [][]byte{bindingKeyA}, edit(bindingBase, func(b *binding.Binding) { b.Namespace = "stackrox-2" }), signedA, binding.ErrMismatch},
		{"other name", [][]byte{bindingKeyA}, edit(bindingBase, func(b *binding.Binding) { b.Name = "ambient-key-other" }), signedA, binding.ErrMismatch},
		{"re-created: other uid", [][]byte{bindingKeyA}, edit(bindingBase, func(b *binding.Binding) { b.UID = "7f1c2d3e-0000-4000-8000-000000000002" }), signedA, binding.ErrMismatch},
		{"other user", [][]byte{bindingKeyA}, edit(bindingBase, func(b *binding.Binding) { b.Creator = "mallory@example.com" }), signedA, binding.ErrMismatch},
		{"parent re-created: other creator uid", [][]byte{bindingKeyA}, edit(bindingChild, func(b *binding.Binding) { b.CreatorUID = "uid-new-parent" }), child, binding.ErrMismatch},
		{"role edited", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { b.Attributes["ambient-code.io/role"] = "admin" }), role, binding.ErrMismatch},
		{"role emptied", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { b.Attributes["ambient-code.io/role"] = "" }), role, binding.ErrMismatch},
		{"attribute added", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { b.Attributes["tier"] = "gold" }), role, binding.ErrAttributes},
		{"attribute removed", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { delete(b.Attributes, "app") }), role, binding.ErrAttributes},
		{"attributes where none were signed", [][]byte{bindingKeyA}, bindingRole, signedA, binding.ErrAttributes},
		{"attribute list forged to drop one", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { delete(b.Attributes, "app") }), role[:46] + ".ambient-code.io/role", binding.ErrMismatch},
		{"attribute list dropped", [][]byte{bindingKeyA}, edit(bindingRole, func(b *binding.Binding) { b.Attributes = nil }), role[:46], binding.ErrMismatch},

		// v1 values, from before attributes and creator uids were signed.
		{"v1 of a human creator", [][]byte{bindingKeyA}, bindingBase, legacyV1, nil},
		{"v1 with attributes present", [][]byte{bindingKeyA}, bindingRole, legacyV1, binding.ErrOutdated},
		{"v1 of a key creator", [][]byte{bindingKeyA}, edit(bindingChild, func(b *binding.Binding) { b.Attributes = nil }), legacyV1, binding.ErrOutdated},
		{"v1 of another user", [][]byte{bindingKeyA}, edit(bindingBase, func(b *binding.Binding) { b.Creator = "mallory@example.com" }), legacyV1, binding.ErrMismatch},
		{"v2 MAC under the v1 prefix", [][]byte{bindingKeyA}, bindingBase, "v1." + mac(signedA), binding.ErrMismatch},
		{"v1 MAC under the v2 prefix", [][]byte{bindingKeyA}, bindingBase, "v2." + mac(legacyV1), binding.ErrMismatch},

		// Shapes.
		{"empty", [][]byte{bindingKeyA}, bindingBase, "", binding.ErrMalformed},
		{"prefix only", [][]byte{bindingKeyA}, bindingBase, "v2.", binding.ErrMalformed},
		{"unknown version", [][]byte{bindingKeyA}, bindingBase, "v3." + mac(signedA), binding.ErrMalformed},
		{"no version", [][]byte{bindingKeyA}, bindingBase, mac(signedA), binding.ErrMalformed},
		{"trailing byte", [][]byte{bindingKeyA}, bindingBase, signedA + "=", binding.ErrMalformed},
		{"v1 with a key list", [][]byte{bindingKeyA}, bindingBase, legacyV1 + ".app", binding.ErrMalformed},
		{"truncated", [][]byte{bindingKeyA}, bindingBase, signedA[:len(signedA)-1], binding.ErrMalformed},
		{"empty key list", [][]byte{bindingKeyA}, bindingBase, signedA + ".", binding.ErrMalformed},
		{"keys out of order", [][]byte{bindingKeyA}, bindingRole, role[:46] + ".app,ambient-code.io/role", binding.ErrMalformed},
		{"key repeated", [][]byte{bindingKeyA}, bindingRole, role + ",app", binding.ErrMalformed},
		{"trailing comma", [][]byte{bindingKeyA}, bindingRole, role + ",", binding.ErrMalformed},
		{"empty key inside", [][]byte{bindingKeyA}, bindingRole, role[:46] + ".ambient-code.io/role,,app", binding.ErrMalformed},
		{"non-canonical last character", [][]byte{bindingKeyA}, bindingBase, flipLast(signedA), binding.ErrMismatch},
		{"non-canonical last character with keys", [][]byte{bindingKeyA}, bindingRole, flipLast(role), binding.ErrMismatch},
		{"standard alphabet garbage", [][]byte{bindingKeyA}, bindingBase, "v2." + strings.Repeat("+", 43), binding.ErrMismatch},
		{"no keys", nil, bindingBase, signedA, binding.ErrKey},
		{"short key", [][]byte{bindingKeyA, []byte("short")}, bindingBase, signedA, binding.ErrKey},
		{"empty key", [][]byte{{}}, bindingBase, signedA, binding.ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := binding.Verify(tt.keys, tt.b, tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
			if v, verr := binding.NewVerifier(tt.keys...); verr == nil {
				if got := v.Verify(tt.b, tt.value); !errors.Is(got, tt.wantErr) {
					t.Errorf("Verifier.Verify = %v, want %v", got, tt.wantErr)
				}
			} else if !errors.Is(verr, binding.ErrKey) || !errors.Is(tt.wantErr, binding.ErrKey) {
				t.Errorf("NewVerifier = %v", verr)
			}
			if err != nil {
				msg := err.Error()
				if len(tt.value) > 46 && strings.Contains(msg, tt.value[3:46]) {
					t.Errorf("error %q contains the value", msg)
				}
				for _, k := range tt.keys {
					if len(k) > 0 && strings.Contains(msg, string(k)) {
						t.Errorf("error %q contains a key", msg)
					}
				}
			}
		})
	}
}

// TestSignUnambiguous: moving bytes between adjacent fields, or
// hiding a separator inside one, changes the message and so the MAC.
func TestSignUnambiguous(t *testing.T) {
	attrs := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	bindings := []binding.Binding{
		{Namespace: "ab", Name: "c", UID: "u", Creator: "x"},
		{Namespace: "a", Name: "bc", UID: "u", Creator: "x"},
		{Namespace: "a", Name: "b", UID: "cu", Creator: "x"},
		{Namespace: "a", Name: "b", UID: "c", Creator: "ux"},
		{Namespace: "a", Name: "b\x00c", UID: "u", Creator: "x"},
		{Namespace: "a\x00b", Name: "c", UID: "u", Creator: "x"},
		{Namespace: "a", Name: "b", UID: "c\x00u", Creator: "x"},
		{Namespace: "", Name: "", UID: "", Creator: "abcux"},
		{Namespace: "abcux", Name: "", UID: "", Creator: ""},
		{Namespace: "a", Name: "b", UID: "c", Creator: "x", Attributes: attrs("k", "v")},
		{Namespace: "a", Name: "b", UID: "c", Creator: "x", Attributes: attrs("k", "")},
		{Namespace: "a", Name: "b", UID: "c", Creator: "x", Attributes: attrs("kv", "")},
		{Namespace: "a", Name: "b", UID: "c", Creator: "x", Attributes: attrs("k", "v", "l", "w")},
		{Namespace: "a", Name: "b", UID: "c", Creator: "x", Attributes: attrs("k", "vlw")},
		{Namespace: "a", Name: "b", UID: "c", Creator: "system:serviceaccount:a:p", CreatorUID: "k"},
		{Namespace: "a", Name: "b", UID: "c", Creator: "system:serviceaccount:a:pk", CreatorUID: "u"},
		{Namespace: "a", Name: "b", UID: "c", Creator: "system:serviceaccount:a:p", CreatorUID: "ku"},
	}
	seen := map[string]int{}
	for i, b := range bindings {
		v := mustSign(t, bindingKeyA, b)
		mac := v[3:46]
		if other, dup := seen[mac]; dup {
			t.Errorf("%+v and %+v share a MAC", b, bindings[other])
		}
		seen[mac] = i
	}
}

// TestSignDoesNotKeepKey: the caller's key slice and attributes are
// only read.
func TestSignDoesNotKeepKey(t *testing.T) {
	key := bytes.Clone(bindingKeyA)
	b := bindingWith(bindingRole, func(*binding.Binding) {})
	v := mustSign(t, key, b)
	if !bytes.Equal(key, bindingKeyA) || !maps.Equal(b.Attributes, bindingRole.Attributes) {
		t.Fatal("Sign modified its arguments")
	}
	if err := binding.Verify([][]byte{key}, b, v); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerify: 22 allocs/op with two attributes, nearly all for the
// Verifier it builds per call (a fresh HMAC-SHA256 state and pools);
// BenchmarkVerifier shows the per-request cost.
func BenchmarkVerify(b *testing.B) {
	keys := [][]byte{bindingKeyA}
	v := mustSign(b, bindingKeyA, bindingRole)
	b.ReportAllocs()
	for b.Loop() {
		if err := binding.Verify(keys, bindingRole, v); err != nil {
			b.Fatal(err)
		}
	}
}
