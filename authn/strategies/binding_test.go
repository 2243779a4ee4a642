package strategies_test

import (
	"bytes"
	"encoding/base64"
	"errors"
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

type bindingTuple struct{ namespace, name, uid, user string }

var bindingBase = bindingTuple{"stackrox-1", "ambient-key-2b3908aa", "7f1c2d3e-0000-4000-8000-000000000001", "alice@example.com"}

// TestSignBindingKnownAnswer pins the wire format, which the code that
// creates keys (possibly in another language) must reproduce. The value was
// computed outside this package from the encoding documented on SignBinding.
func TestSignBindingKnownAnswer(t *testing.T) {
	const want = "v1.YgjLLXVuEzbcOL-EGDoASvwF1Y7R1XMS4LQZecwiU1I"
	b := bindingBase
	if got := strategies.SignBinding(bindingKeyA, b.namespace, b.name, b.uid, b.user); got != want {
		t.Errorf("SignBinding = %q, want %q", got, want)
	}
}

func TestSignBindingShape(t *testing.T) {
	b := bindingBase
	got := strategies.SignBinding(bindingKeyA, b.namespace, b.name, b.uid, b.user)
	enc, ok := strings.CutPrefix(got, "v1.")
	if !ok {
		t.Fatalf("%q lacks the v1. prefix", got)
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(mac) != 32 {
		t.Fatalf("%q is not base64url-no-padding of 32 bytes: %v", enc, err)
	}
	if again := strategies.SignBinding(bindingKeyA, b.namespace, b.name, b.uid, b.user); again != got {
		t.Errorf("SignBinding is not deterministic: %q then %q", got, again)
	}
}

func TestVerifyBinding(t *testing.T) {
	b := bindingBase
	signedA := strategies.SignBinding(bindingKeyA, b.namespace, b.name, b.uid, b.user)
	signedB := strategies.SignBinding(bindingKeyB, b.namespace, b.name, b.uid, b.user)
	// flipLast changes the last character to one that decodes to the same
	// bytes under lenient decoding: 43 characters carry 258 bits for 256.
	flipLast := func(s string) string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alphabet, s[len(s)-1])
		flipped := s[:len(s)-1] + string(alphabet[i^1])
		a, _ := base64.RawURLEncoding.DecodeString(s[3:])
		b, _ := base64.RawURLEncoding.DecodeString(flipped[3:])
		if !bytes.Equal(a, b) {
			t.Fatal("flipLast changed the decoded MAC; the case would test nothing")
		}
		return flipped
	}
	tests := []struct {
		name    string
		keys    [][]byte
		tuple   bindingTuple
		value   string
		wantErr error
	}{
		{"valid", [][]byte{bindingKeyA}, b, signedA, nil},
		{"rotation: new key first, value signed with the old", [][]byte{bindingKeyB, bindingKeyA}, b, signedA, nil},
		{"rotation: value signed with the new", [][]byte{bindingKeyB, bindingKeyA}, b, signedB, nil},
		{"retired key", [][]byte{bindingKeyB, bindingKeyC}, b, signedA, strategies.ErrBindingMismatch},
		{"wrong key", [][]byte{bindingKeyB}, b, signedA, strategies.ErrBindingMismatch},
		{"other namespace", [][]byte{bindingKeyA}, bindingTuple{"stackrox-2", b.name, b.uid, b.user}, signedA, strategies.ErrBindingMismatch},
		{"other name", [][]byte{bindingKeyA}, bindingTuple{b.namespace, "ambient-key-other", b.uid, b.user}, signedA, strategies.ErrBindingMismatch},
		{"re-created: other uid", [][]byte{bindingKeyA}, bindingTuple{b.namespace, b.name, "7f1c2d3e-0000-4000-8000-000000000002", b.user}, signedA, strategies.ErrBindingMismatch},
		{"other user", [][]byte{bindingKeyA}, bindingTuple{b.namespace, b.name, b.uid, "mallory@example.com"}, signedA, strategies.ErrBindingMismatch},
		{"empty", [][]byte{bindingKeyA}, b, "", strategies.ErrBindingMalformed},
		{"prefix only", [][]byte{bindingKeyA}, b, "v1.", strategies.ErrBindingMalformed},
		{"other version", [][]byte{bindingKeyA}, b, "v2." + signedA[3:], strategies.ErrBindingMalformed},
		{"no version", [][]byte{bindingKeyA}, b, signedA[3:], strategies.ErrBindingMalformed},
		{"trailing byte", [][]byte{bindingKeyA}, b, signedA + "=", strategies.ErrBindingMalformed},
		{"truncated", [][]byte{bindingKeyA}, b, signedA[:len(signedA)-1], strategies.ErrBindingMalformed},
		{"non-canonical last character", [][]byte{bindingKeyA}, b, flipLast(signedA), strategies.ErrBindingMismatch},
		{"standard alphabet garbage", [][]byte{bindingKeyA}, b, "v1." + strings.Repeat("+", 43), strategies.ErrBindingMismatch},
		{"no keys", nil, b, signedA, strategies.ErrBindingKey},
		{"short key", [][]byte{bindingKeyA, []byte("short")}, b, signedA, strategies.ErrBindingKey},
		{"empty key", [][]byte{{}}, b, signedA, strategies.ErrBindingKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strategies.VerifyBinding(tt.keys, tt.tuple.namespace, tt.tuple.name, tt.tuple.uid, tt.tuple.user, tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyBinding = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				msg := err.Error()
				if len(tt.value) > 3 && strings.Contains(msg, tt.value[3:]) {
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
	tuples := []bindingTuple{
		{"ab", "c", "u", "x"},
		{"a", "bc", "u", "x"},
		{"a", "b", "cu", "x"},
		{"a", "b", "c", "ux"},
		{"a", "b\x00c", "u", "x"},
		{"a\x00b", "c", "u", "x"},
		{"a", "b", "c\x00u", "x"},
		{"", "", "", "abcux"},
		{"abcux", "", "", ""},
	}
	seen := map[string]bindingTuple{}
	for _, tu := range tuples {
		v := strategies.SignBinding(bindingKeyA, tu.namespace, tu.name, tu.uid, tu.user)
		if other, dup := seen[v]; dup {
			t.Errorf("%+v and %+v share a binding", tu, other)
		}
		seen[v] = tu
	}
}

// TestSignBindingDoesNotKeepKey: the caller's key slice is only read.
func TestSignBindingDoesNotKeepKey(t *testing.T) {
	key := bytes.Clone(bindingKeyA)
	b := bindingBase
	v := strategies.SignBinding(key, b.namespace, b.name, b.uid, b.user)
	if !bytes.Equal(key, bindingKeyA) {
		t.Fatal("SignBinding modified the key")
	}
	if err := strategies.VerifyBinding([][]byte{key}, b.namespace, b.name, b.uid, b.user, v); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerifyBinding: 12 allocs/op, nearly all for a fresh HMAC-SHA256
// state per call; the strategy pools its states and adds 0.
func BenchmarkVerifyBinding(b *testing.B) {
	t := bindingBase
	keys := [][]byte{bindingKeyA}
	v := strategies.SignBinding(bindingKeyA, t.namespace, t.name, t.uid, t.user)
	b.ReportAllocs()
	for b.Loop() {
		if err := strategies.VerifyBinding(keys, t.namespace, t.name, t.uid, t.user, v); err != nil {
			b.Fatal(err)
		}
	}
}
