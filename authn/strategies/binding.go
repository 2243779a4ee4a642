package strategies

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
	"sync"
)

// DefaultBindingAnnotation is the ServiceAccount annotation that holds the
// signed binding written by SignBinding.
const DefaultBindingAnnotation = "ambient-code.io/created-by-binding"

// MinBindingKeyLen is the shortest binding key accepted, in bytes: the
// output size of SHA-256, so the key is not the weak link of the MAC.
const MinBindingKeyLen = 32

const (
	// bindingVersion starts every binding value, so the format can change
	// without a new value being mistaken for an old one.
	bindingVersion = "v1."
	// bindingDomain separates these MACs from any other use of the same key.
	bindingDomain = "authchain/serviceaccount-creator-binding/v1"
	// bindingEncodedLen is the length of base64url-no-padding(SHA-256).
	bindingEncodedLen = (sha256.Size*8 + 5) / 6
	bindingValueLen   = len(bindingVersion) + bindingEncodedLen
)

// Errors returned by VerifyBinding. They never carry the value or a key.
var (
	// ErrBindingMalformed: the value is not v1.<43 base64url characters>.
	ErrBindingMalformed = errors.New("binding is malformed")
	// ErrBindingMismatch: the value is well formed but no key produced it
	// for this ServiceAccount incarnation and user.
	ErrBindingMismatch = errors.New("binding signature does not match")
	// ErrBindingKey: no key was given, or a key is shorter than
	// MinBindingKeyLen.
	ErrBindingKey = errors.New("binding keys must be given and each at least 32 bytes")
)

// SignBinding returns the binding of one ServiceAccount incarnation
// (namespace, name, uid) to the user who created it: "v1." followed by the
// unpadded base64url HMAC-SHA256 under key of a message made of the domain
// tag "authchain/serviceaccount-creator-binding/v1", namespace, name, uid
// and user, in that order, each written as its length in bytes (big-endian
// uint64) and then its bytes, so that no two tuples share a message.
//
// The code that creates access keys calls it after the ServiceAccount exists
// (the uid is assigned by the API server) and writes the result to the
// binding annotation (DefaultBindingAnnotation) next to the creator
// annotation. Because the uid is signed, a binding copied onto a re-created
// ServiceAccount of the same name does not verify. The key must be at least
// MinBindingKeyLen bytes; RequireSignedBinding refuses shorter ones, so a
// binding signed with one never verifies.
func SignBinding(key []byte, namespace, name, uid, user string) string {
	m := newBindingMAC(key)
	enc := m.encoded(namespace, name, uid, user)
	return bindingVersion + string(enc)
}

// VerifyBinding reports whether value is a binding of (namespace, name, uid)
// to user signed with any of keys, so keys can be rotated by verifying with
// the new and the old key for a while. It returns nil on a match,
// ErrBindingKey for an empty or short key, ErrBindingMalformed or
// ErrBindingMismatch otherwise. The comparison is constant-time.
func VerifyBinding(keys [][]byte, namespace, name, uid, user, value string) error {
	if err := checkBindingKeys(keys); err != nil {
		return err
	}
	got, err := parseBinding(value)
	if err != nil {
		return err
	}
	for _, key := range keys {
		if hmac.Equal(newBindingMAC(key).encoded(namespace, name, uid, user), got[:]) {
			return nil
		}
	}
	return ErrBindingMismatch
}

func checkBindingKeys(keys [][]byte) error {
	if len(keys) == 0 {
		return ErrBindingKey
	}
	for _, k := range keys {
		if len(k) < MinBindingKeyLen {
			return ErrBindingKey
		}
	}
	return nil
}

// parseBinding checks the shape of value and returns its encoded MAC.
// Comparing canonical encodings rather than decoded bytes rejects
// non-canonical base64 for free.
func parseBinding(value string) ([bindingEncodedLen]byte, error) {
	var got [bindingEncodedLen]byte
	if len(value) != bindingValueLen || !strings.HasPrefix(value, bindingVersion) {
		return got, ErrBindingMalformed
	}
	copy(got[:], value[len(bindingVersion):])
	return got, nil
}

// bindingMAC computes bindings with one key. It is not safe for concurrent
// use; bindingVerifier pools them.
type bindingMAC struct {
	h   hash.Hash
	msg []byte
	sum []byte
	enc [bindingEncodedLen]byte
}

func newBindingMAC(key []byte) *bindingMAC {
	return &bindingMAC{h: hmac.New(sha256.New, key)}
}

// encoded returns the base64url MAC of the tuple; the slice is valid until
// the next call.
func (m *bindingMAC) encoded(namespace, name, uid, user string) []byte {
	m.msg = m.msg[:0]
	for _, f := range [...]string{bindingDomain, namespace, name, uid, user} {
		m.msg = binary.BigEndian.AppendUint64(m.msg, uint64(len(f)))
		m.msg = append(m.msg, f...)
	}
	m.h.Reset()
	m.h.Write(m.msg)
	m.sum = m.h.Sum(m.sum[:0])
	base64.RawURLEncoding.Encode(m.enc[:], m.sum)
	return m.enc[:]
}

// bindingVerifier verifies bindings against fixed keys, reusing MAC state
// across requests so that the hot path does not allocate.
type bindingVerifier struct {
	pools []*sync.Pool
}

func newBindingVerifier(keys [][]byte) *bindingVerifier {
	v := &bindingVerifier{pools: make([]*sync.Pool, len(keys))}
	for i, key := range keys {
		key := append([]byte(nil), key...) // the caller may reuse its slice
		v.pools[i] = &sync.Pool{New: func() any { return newBindingMAC(key) }}
	}
	return v
}

func (v *bindingVerifier) verify(namespace, name, uid, user, value string) error {
	got, err := parseBinding(value)
	if err != nil {
		return err
	}
	for _, pool := range v.pools {
		m := pool.Get().(*bindingMAC)
		ok := hmac.Equal(m.encoded(namespace, name, uid, user), got[:])
		pool.Put(m)
		if ok {
			return nil
		}
	}
	return ErrBindingMismatch
}
