package binding

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
)

// DefaultAnnotation is the ServiceAccount annotation that holds the signed
// binding written by Sign.
const DefaultAnnotation = "ambient-code.io/created-by-binding"

// MinKeyLen is the shortest key accepted, in bytes: the output size of
// SHA-256, so the key is not the weak link of the MAC.
const MinKeyLen = 32

// serviceAccountSubjectPrefix starts the user name of a ServiceAccount, as
// Kubernetes spells it.
const serviceAccountSubjectPrefix = "system:serviceaccount:"

const (
	// The version prefix starts every value, so the format can change
	// without a new value being mistaken for an old one.
	prefixV1 = "v1."
	prefixV2 = "v2."
	// The domain tags separate these MACs from any other use of the same
	// key, and the two versions from each other.
	domainV1 = "authchain/serviceaccount-creator-binding/v1"
	domainV2 = "authchain/serviceaccount-creator-binding/v2"
	// encodedLen is the length of base64url-no-padding(SHA-256).
	encodedLen = (sha256.Size*8 + 5) / 6
	// macEnd is where the MAC ends in a value of either version.
	macEnd = len(prefixV2) + encodedLen
)

// Errors of Sign, Verify and Verifier. They never carry a value or a key.
var (
	// ErrMalformed: the value is not v1.MAC, v2.MAC or v2.MAC.KEY,KEY…
	// with the keys strictly ascending.
	ErrMalformed = errors.New("binding is malformed")
	// ErrMismatch: the value is well formed but no key produced it for this
	// ServiceAccount incarnation, creator and attributes.
	ErrMismatch = errors.New("binding signature does not match")
	// ErrKey: no key was given, or a key is shorter than MinKeyLen.
	ErrKey = errors.New("binding keys must be given and each at least 32 bytes")
	// ErrOutdated: the value is a v1 binding, which covers neither a
	// creator ServiceAccount's UID nor attributes, and the Binding has one
	// of them. Re-sign it with Sign.
	ErrOutdated = errors.New("binding is v1 and does not cover the creator's uid or the attributes")
	// ErrAttributes: the attributes the value covers are not exactly the
	// keys of Binding.Attributes.
	ErrAttributes = errors.New("binding does not cover exactly the given attributes")
	// ErrInvalid: Sign or a verification was given a Binding that no
	// verifier could check: an attribute key that is not a valid
	// Kubernetes label key, or a CreatorUID that does not fit Creator.
	ErrInvalid = errors.New("binding fields are invalid")
)

// Binding is what a signed binding covers: one incarnation of an access
// key's ServiceAccount, who created it, and the attributes authorization
// reads from it.
type Binding struct {
	// Namespace, Name and UID identify the ServiceAccount incarnation; the
	// UID is assigned by the API server when it is created.
	Namespace, Name, UID string
	// Creator is the value of the creator annotation: a user name, or the
	// subject system:serviceaccount:NS:NAME of the key this key was created
	// with.
	Creator string
	// CreatorUID is the UID of the creating ServiceAccount when Creator is
	// a ServiceAccount subject, so that the binding names that incarnation
	// of the parent and not whoever later holds its name. It must be empty
	// when Creator is a user.
	CreatorUID string
	// Attributes are the labels or annotations the ServiceAccount carries
	// that authorization reads, such as its role, by key. Every one the key
	// carries must be signed: an attribute the binding does not cover
	// refuses the key.
	Attributes map[string]string
}

// checkCreator reports ErrInvalid for a CreatorUID that does not fit
// Creator.
func (b Binding) checkCreator() error {
	switch subject := strings.HasPrefix(b.Creator, serviceAccountSubjectPrefix); {
	case subject && b.CreatorUID == "":
		return fmt.Errorf("%w: a ServiceAccount creator needs its CreatorUID", ErrInvalid)
	case !subject && b.CreatorUID != "":
		return fmt.Errorf("%w: CreatorUID is only for a ServiceAccount creator", ErrInvalid)
	}
	return nil
}

// check reports ErrInvalid for a Binding no verifier could accept.
func (b Binding) check() error {
	if err := b.checkCreator(); err != nil {
		return err
	}
	for k := range b.Attributes {
		if err := checkAttributeKey(k); err != nil {
			return err
		}
	}
	return nil
}

func checkAttributeKey(k string) error {
	if !isLabelKey(k) {
		return fmt.Errorf("%w: attribute key %q is not a valid label key", ErrInvalid, k)
	}
	return nil
}

// Sign returns the v2 binding of b under key:
//
//	v2.MAC                        when b has no attributes
//	v2.MAC.KEY1,KEY2,…            listing the signed attribute keys, ascending
//
// MAC is the unpadded base64url HMAC-SHA256 under key of a message made of
// the domain tag "authchain/serviceaccount-creator-binding/v2", Namespace,
// Name, UID, Creator, CreatorUID, the number of attributes (big-endian
// uint64), and then each attribute's key and value in ascending key order.
// Every string is written as its length in bytes (big-endian uint64) and
// then its bytes, so no two Bindings share a message. The listed keys tell
// the verifier which attributes to read; the MAC covers their values.
//
// The code that creates access keys calls it after the ServiceAccount exists
// (the UID is assigned by the API server) and writes the result to the
// binding annotation (DefaultAnnotation) next to the creator annotation.
// Because the UIDs are signed, a binding copied onto a re-created
// ServiceAccount, or naming a parent key that was re-created, does not
// verify; because the attributes are signed, editing one (a role) refuses
// the key. It returns ErrKey for a key shorter than MinKeyLen and
// ErrInvalid for a Binding that could never verify.
func Sign(key []byte, b Binding) (string, error) {
	if len(key) < MinKeyLen {
		return "", ErrKey
	}
	if err := b.check(); err != nil {
		return "", err
	}
	keys := slices.Sorted(maps.Keys(b.Attributes))
	var msg message
	msg.v2(b.Namespace, b.Name, b.UID, b.Creator, b.CreatorUID, len(keys))
	for _, k := range keys {
		msg.attribute(k, b.Attributes[k])
	}
	value := prefixV2 + string(newMAC(key).encoded(msg.b))
	if len(keys) > 0 {
		value += "." + strings.Join(keys, ",")
	}
	return value, nil
}

// Verify reports whether value binds exactly b under any of keys, so keys
// can be rotated by verifying with the new and the old key for a while. A
// v2 value must cover exactly the attributes in b.Attributes. A v1 value,
// made before attributes and creator UIDs were signed, verifies only a
// Binding without CreatorUID and without Attributes.
//
// It returns nil on a match; ErrKey for an empty or short key; ErrInvalid
// for a Binding Sign would refuse; otherwise ErrMalformed, ErrOutdated,
// ErrAttributes or ErrMismatch. The comparison is constant-time. A server
// that verifies many values builds a Verifier once instead.
func Verify(keys [][]byte, b Binding, value string) error {
	v, err := NewVerifier(keys...)
	if err != nil {
		return err
	}
	return v.Verify(b, value)
}

func checkKeys(keys [][]byte) error {
	if len(keys) == 0 {
		return ErrKey
	}
	for _, k := range keys {
		if len(k) < MinKeyLen {
			return ErrKey
		}
	}
	return nil
}

// message builds the length-prefixed message a binding MACs.
type message struct{ b []byte }

func (m *message) field(f string) {
	m.b = binary.BigEndian.AppendUint64(m.b, uint64(len(f)))
	m.b = append(m.b, f...)
}

// v1 starts over with the fields of a v1 binding, which end the message.
func (m *message) v1(namespace, name, uid, user string) {
	m.b = m.b[:0]
	for _, f := range [...]string{domainV1, namespace, name, uid, user} {
		m.field(f)
	}
}

// v2 starts over with the fixed fields of a v2 binding and the number of
// attributes, which attribute then adds in ascending key order.
func (m *message) v2(namespace, name, uid, creator, creatorUID string, attributes int) {
	m.b = m.b[:0]
	for _, f := range [...]string{domainV2, namespace, name, uid, creator, creatorUID} {
		m.field(f)
	}
	m.b = binary.BigEndian.AppendUint64(m.b, uint64(attributes))
}

func (m *message) attribute(key, value string) {
	m.field(key)
	m.field(value)
}

// mac computes bindings with one key. It is not safe for concurrent use;
// Verifier pools them.
type mac struct {
	h   hash.Hash
	sum []byte
	enc [encodedLen]byte
}

func newMAC(key []byte) *mac {
	return &mac{h: hmac.New(sha256.New, key)}
}

// encoded returns the base64url MAC of msg; the slice is valid until the
// next call.
func (m *mac) encoded(msg []byte) []byte {
	m.h.Reset()
	m.h.Write(msg)
	m.sum = m.h.Sum(m.sum[:0])
	base64.RawURLEncoding.Encode(m.enc[:], m.sum)
	return m.enc[:]
}
