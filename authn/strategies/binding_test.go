package strategies_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn/strategies"
)

var (
	// Fixed test keys; 32 bytes is the minimum accepted.
	bindingKeyA = []byte("0123456789abcdef0123456789abcdef")
	bindingKeyB = []byte("fedcba9876543210fedcba9876543210")
	bindingKeyC = []byte("a third key, retired long ago...")
)

// bindingBase is a key created by a human, with no attributes.
var bindingBase = strategies.Binding{
	Namespace: "stackrox-1", Name: "ambient-key-2b3908aa", UID: "7f1c2d3e-0000-4000-8000-000000000001",
	Creator: "alice@example.com",
}

// bindingWith returns b with fields changed by edit; the attributes are
// copied first, so edits never reach b.
func bindingWith(b strategies.Binding, edit func(*strategies.Binding)) strategies.Binding {
	b.Attributes = maps.Clone(b.Attributes)
	edit(&b)
	return b
}

// bindingRole is bindingBase with a role and a label attribute.
var bindingRole = bindingWith(bindingBase, func(b *strategies.Binding) {
	b.Attributes = map[string]string{"ambient-code.io/role": "write", "app": "ambient-access-key"}
})

// bindingChild is a key created by the key ambient-key-parent.
var bindingChild = bindingWith(bindingBase, func(b *strategies.Binding) {
	b.Creator = "system:serviceaccount:stackrox-1:ambient-key-parent"
	b.CreatorUID = "7f1c2d3e-0000-4000-8000-0000000000aa"
	b.Attributes = map[string]string{"ambient-code.io/role": "read"}
})

// legacyV1 is the v1 binding of bindingBase under bindingKeyA, as the
// releases before v2 wrote it.
const legacyV1 = "v1.YgjLLXVuEzbcOL-EGDoASvwF1Y7R1XMS4LQZecwiU1I"

func mustSign(t testing.TB, key []byte, b strategies.Binding) string {
	t.Helper()
	v, err := strategies.SignBinding(key, b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSignBindingKnownAnswer pins the wire format, which the code that
// creates keys (possibly in another language) must reproduce. The values
// were computed outside this package from the encoding documented on
// SignBinding.
func TestSignBindingKnownAnswer(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    strategies.Binding
		want string
	}{
		{"human creator", bindingBase, "v2.jCT6hkdAUk8f0zR9zgfOzN1X8AS7Q0zuXwbkdmzYDyg"},
		{"attributes", bindingRole, "v2.OuBZlMC3RLcVusCerMhqMItWTaoZj_fjKOoy2YcXV1I.ambient-code.io/role,app"},
		{"key creator", bindingChild, "v2.lkEetgL_wDv5dd3s-PfkE7i18VpxviDfG6wqVOketJY.ambient-code.io/role"},
	} {
		if got := mustSign(t, bindingKeyA, tt.b); got != tt.want {
			t.Errorf("%s: SignBinding = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSignBindingShape(t *testing.T) {
	for _, b := range []strategies.Binding{bindingBase, bindingRole} {
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
			t.Errorf("SignBinding is not deterministic: %q then %q", got, again)
		}
	}
}

// TestSignBindingRefusesWhatCannotVerify: SignBinding errs rather than
// write a binding no verifier accepts.
func TestSignBindingRefusesWhatCannotVerify(t *testing.T) {
	for _, tt := range []struct {
		name    string
		key     []byte
		b       strategies.Binding
		wantErr error
	}{
		{"short key", bindingKeyA[:31], bindingBase, strategies.ErrBindingKey},
		{"no key", nil, bindingBase, strategies.ErrBindingKey},
		{"key creator without its uid", bindingKeyA, bindingWith(bindingChild, func(b *strategies.Binding) { b.CreatorUID = "" }), strategies.ErrBindingInvalid},
		{"human creator with a uid", bindingKeyA, bindingWith(bindingBase, func(b *strategies.Binding) { b.CreatorUID = "uid-1" }), strategies.ErrBindingInvalid},
		{"attribute key with a comma", bindingKeyA, bindingWith(bindingBase, func(b *strategies.Binding) { b.Attributes = map[string]string{"a,b": "x"} }), strategies.ErrBindingInvalid},
		{"empty attribute key", bindingKeyA, bindingWith(bindingBase, func(b *strategies.Binding) { b.Attributes = map[string]string{"": "x"} }), strategies.ErrBindingInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := strategies.SignBinding(tt.key, tt.b)
			if !errors.Is(err, tt.wantErr) || v != "" {
				t.Fatalf("SignBinding = %q, %v; want %v", v, err, tt.wantErr)
			}
			if err := strategies.VerifyBinding([][]byte{bindingKeyA}, tt.b, "v2."+strings.Repeat("A", 43)); tt.key != nil && len(tt.key) >= 32 && !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifyBinding = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyBinding(t *testing.T) {
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
		b       strategies.Binding
		value   string
		wantErr error
	}{
		{"valid", [][]byte{bindingKeyA}, bindingBase, signedA, nil},
		{"valid with attributes", [][]byte{bindingKeyA}, bindingRole, role, nil},
		{"valid key creator", [][]byte{bindingKeyA}, bindingChild, child, nil},
		{"rotation: new key first, value signed with the old", [][]byte{bindingKeyB, bindingKeyA}, bindingBase, signedA, nil},
		{"rotation: value signed with the new", [][]byte{bindingKeyB, bindingKeyA}, bindingBase, signedB, nil},
		{"retired key", [][]byte{bindingKeyB, bindingKeyC}, bindingBase, signedA, strategies.ErrBindingMismatch},
		{"wrong key", [][]byte{bindingKeyB}, bindingBase, signedA, strategies.ErrBindingMismatch},

		// Each field is covered.
		{"other namespace", [][]byte{bindingKeyA}, edit(bindingBase, func(b *strategies.Binding) { b.Namespace = "stackrox-2" }), signedA, strategies.ErrBindingMismatch},
		{"other name", [][]byte{bindingKeyA}, edit(bindingBase, func(b *strategies.Binding) { b.Name = "ambient-key-other" }), signedA, strategies.ErrBindingMismatch},
		{"re-created: other uid", [][]byte{bindingKeyA}, edit(bindingBase, func(b *strategies.Binding) { b.UID = "7f1c2d3e-0000-4000-8000-000000000002" }), signedA, strategies.ErrBindingMismatch},
		{"other user", [][]byte{bindingKeyA}, edit(bindingBase, func(b *strategies.Binding) { b.Creator = "mallory@example.com" }), signedA, strategies.ErrBindingMismatch},
		{"parent re-created: other creator uid", [][]byte{bindingKeyA}, edit(bindingChild, func(b *strategies.Binding) { b.CreatorUID = "uid-new-parent" }), child, strategies.ErrBindingMismatch},
		{"role edited", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { b.Attributes["ambient-code.io/role"] = "admin" }), role, strategies.ErrBindingMismatch},
		{"role emptied", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { b.Attributes["ambient-code.io/role"] = "" }), role, strategies.ErrBindingMismatch},
		{"attribute added", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { b.Attributes["tier"] = "gold" }), role, strategies.ErrBindingAttributes},
		{"attribute removed", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { delete(b.Attributes, "app") }), role, strategies.ErrBindingAttributes},
		{"attributes where none were signed", [][]byte{bindingKeyA}, bindingRole, signedA, strategies.ErrBindingAttributes},
		{"attribute list forged to drop one", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { delete(b.Attributes, "app") }), role[:46] + ".ambient-code.io/role", strategies.ErrBindingMismatch},
		{"attribute list dropped", [][]byte{bindingKeyA}, edit(bindingRole, func(b *strategies.Binding) { b.Attributes = nil }), role[:46], strategies.ErrBindingMismatch},

		// v1 values, from before attributes and creator uids were signed.
		{"v1 of a human creator", [][]byte{bindingKeyA}, bindingBase, legacyV1, nil},
		{"v1 with attributes present", [][]byte{bindingKeyA}, bindingRole, legacyV1, strategies.ErrBindingOutdated},
		{"v1 of a key creator", [][]byte{bindingKeyA}, edit(bindingChild, func(b *strategies.Binding) { b.Attributes = nil }), legacyV1, strategies.ErrBindingOutdated},
		{"v1 of another user", [][]byte{bindingKeyA}, edit(bindingBase, func(b *strategies.Binding) { b.Creator = "mallory@example.com" }), legacyV1, strategies.ErrBindingMismatch},
		{"v2 MAC under the v1 prefix", [][]byte{bindingKeyA}, bindingBase, "v1." + mac(signedA), strategies.ErrBindingMismatch},
		{"v1 MAC under the v2 prefix", [][]byte{bindingKeyA}, bindingBase, "v2." + mac(legacyV1), strategies.ErrBindingMismatch},

		// Shapes.
		{"empty", [][]byte{bindingKeyA}, bindingBase, "", strategies.ErrBindingMalformed},
		{"prefix only", [][]byte{bindingKeyA}, bindingBase, "v2.", strategies.ErrBindingMalformed},
		{"unknown version", [][]byte{bindingKeyA}, bindingBase, "v3." + mac(signedA), strategies.ErrBindingMalformed},
		{"no version", [][]byte{bindingKeyA}, bindingBase, mac(signedA), strategies.ErrBindingMalformed},
		{"trailing byte", [][]byte{bindingKeyA}, bindingBase, signedA + "=", strategies.ErrBindingMalformed},
		{"v1 with a key list", [][]byte{bindingKeyA}, bindingBase, legacyV1 + ".app", strategies.ErrBindingMalformed},
		{"truncated", [][]byte{bindingKeyA}, bindingBase, signedA[:len(signedA)-1], strategies.ErrBindingMalformed},
		{"empty key list", [][]byte{bindingKeyA}, bindingBase, signedA + ".", strategies.ErrBindingMalformed},
		{"keys out of order", [][]byte{bindingKeyA}, bindingRole, role[:46] + ".app,ambient-code.io/role", strategies.ErrBindingMalformed},
		{"key repeated", [][]byte{bindingKeyA}, bindingRole, role + ",app", strategies.ErrBindingMalformed},
		{"trailing comma", [][]byte{bindingKeyA}, bindingRole, role + ",", strategies.ErrBindingMalformed},
		{"empty key inside", [][]byte{bindingKeyA}, bindingRole, role[:46] + ".ambient-code.io/role,,app", strategies.ErrBindingMalformed},
		{"non-canonical last character", [][]byte{bindingKeyA}, bindingBase, flipLast(signedA), strategies.ErrBindingMismatch},
		{"non-canonical last character with keys", [][]byte{bindingKeyA}, bindingRole, flipLast(role), strategies.ErrBindingMismatch},
		{"standard alphabet garbage", [][]byte{bindingKeyA}, bindingBase, "v2." + strings.Repeat("+", 43), strategies.ErrBindingMismatch},
		{"no keys", nil, bindingBase, signedA, strategies.ErrBindingKey},
		{"short key", [][]byte{bindingKeyA, []byte("short")}, bindingBase, signedA, strategies.ErrBindingKey},
		{"empty key", [][]byte{{}}, bindingBase, signedA, strategies.ErrBindingKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strategies.VerifyBinding(tt.keys, tt.b, tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyBinding = %v, want %v", err, tt.wantErr)
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

// TestSignBindingUnambiguous: moving bytes between adjacent fields, or
// hiding a separator inside one, changes the message and so the MAC.
func TestSignBindingUnambiguous(t *testing.T) {
	attrs := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	bindings := []strategies.Binding{
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

// TestSignBindingDoesNotKeepKey: the caller's key slice and attributes are
// only read.
func TestSignBindingDoesNotKeepKey(t *testing.T) {
	key := bytes.Clone(bindingKeyA)
	b := bindingWith(bindingRole, func(*strategies.Binding) {})
	v := mustSign(t, key, b)
	if !bytes.Equal(key, bindingKeyA) || !maps.Equal(b.Attributes, bindingRole.Attributes) {
		t.Fatal("SignBinding modified its arguments")
	}
	if err := strategies.VerifyBinding([][]byte{key}, b, v); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerifyBinding: 20 allocs/op with two attributes, nearly all for
// a fresh HMAC-SHA256 state and the sorted attribute keys per call; the
// strategy pools its states and reads the keys from the value.
func BenchmarkVerifyBinding(b *testing.B) {
	keys := [][]byte{bindingKeyA}
	v := mustSign(b, bindingKeyA, bindingRole)
	b.ReportAllocs()
	for b.Loop() {
		if err := strategies.VerifyBinding(keys, bindingRole, v); err != nil {
			b.Fatal(err)
		}
	}
}
