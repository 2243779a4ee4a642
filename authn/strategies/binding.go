package strategies

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
	"sync"

	"k8s.io/apimachinery/pkg/api/validate/content"

	"github.com/authchain/authchain/authn"
)

// DefaultBindingAnnotation is the ServiceAccount annotation that holds the
// signed binding written by SignBinding.
const DefaultBindingAnnotation = "ambient-code.io/created-by-binding"

// MinBindingKeyLen is the shortest binding key accepted, in bytes: the
// output size of SHA-256, so the key is not the weak link of the MAC.
const MinBindingKeyLen = 32

const (
	// The version prefix starts every binding value, so the format can
	// change without a new value being mistaken for an old one.
	bindingV1 = "v1."
	bindingV2 = "v2."
	// The domain tags separate these MACs from any other use of the same
	// key, and the two versions from each other.
	bindingDomainV1 = "authchain/serviceaccount-creator-binding/v1"
	bindingDomainV2 = "authchain/serviceaccount-creator-binding/v2"
	// bindingEncodedLen is the length of base64url-no-padding(SHA-256).
	bindingEncodedLen = (sha256.Size*8 + 5) / 6
	// bindingMACEnd is where the MAC ends in a value of either version.
	bindingMACEnd = len(bindingV2) + bindingEncodedLen
)

// Errors of SignBinding and VerifyBinding. They never carry a value or a
// key.
var (
	// ErrBindingMalformed: the value is not v1.MAC, v2.MAC or
	// v2.MAC.KEY,KEY… with the keys strictly ascending.
	ErrBindingMalformed = errors.New("binding is malformed")
	// ErrBindingMismatch: the value is well formed but no key produced it
	// for this ServiceAccount incarnation, creator and attributes.
	ErrBindingMismatch = errors.New("binding signature does not match")
	// ErrBindingKey: no key was given, or a key is shorter than
	// MinBindingKeyLen.
	ErrBindingKey = errors.New("binding keys must be given and each at least 32 bytes")
	// ErrBindingOutdated: the value is a v1 binding, which covers neither a
	// creator ServiceAccount's UID nor attributes, and the Binding has one
	// of them. Re-sign it with SignBinding.
	ErrBindingOutdated = errors.New("binding is v1 and does not cover the creator's uid or the attributes")
	// ErrBindingAttributes: the attributes the value covers are not exactly
	// the keys of Binding.Attributes.
	ErrBindingAttributes = errors.New("binding does not cover exactly the given attributes")
	// ErrBindingInvalid: SignBinding or VerifyBinding was given a Binding
	// that no verifier could check: an attribute key that is not a valid
	// label key, or a CreatorUID that does not fit Creator.
	ErrBindingInvalid = errors.New("binding fields are invalid")
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
	// that CopyAttributes copies, such as its role, by key. Every one the
	// key carries must be signed: an attribute the binding does not cover
	// refuses the key.
	Attributes map[string]string
}

// check reports ErrBindingInvalid for a Binding no verifier could accept.
func (b Binding) check() error {
	switch subject := authn.IsServiceAccountSubject(b.Creator); {
	case subject && b.CreatorUID == "":
		return fmt.Errorf("%w: a ServiceAccount creator needs its CreatorUID", ErrBindingInvalid)
	case !subject && b.CreatorUID != "":
		return fmt.Errorf("%w: CreatorUID is only for a ServiceAccount creator", ErrBindingInvalid)
	}
	for k := range b.Attributes {
		if msgs := content.IsLabelKey(k); len(msgs) > 0 {
			return fmt.Errorf("%w: attribute key %q: %s", ErrBindingInvalid, k, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// SignBinding returns the v2 binding of b under key:
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
// binding annotation (DefaultBindingAnnotation) next to the creator
// annotation. Because the UIDs are signed, a binding copied onto a
// re-created ServiceAccount, or naming a parent key that was re-created,
// does not verify; because the attributes are signed, editing one (a role)
// refuses the key. It returns ErrBindingKey for a key shorter than
// MinBindingKeyLen and ErrBindingInvalid for a Binding that could never
// verify.
func SignBinding(key []byte, b Binding) (string, error) {
	if len(key) < MinBindingKeyLen {
		return "", ErrBindingKey
	}
	if err := b.check(); err != nil {
		return "", err
	}
	keys := slices.Sorted(maps.Keys(b.Attributes))
	var msg bindingMessage
	msg.v2(b.Namespace, b.Name, b.UID, b.Creator, b.CreatorUID, len(keys))
	for _, k := range keys {
		msg.attribute(k, b.Attributes[k])
	}
	value := bindingV2 + string(newBindingMAC(key).encoded(msg.b))
	if len(keys) > 0 {
		value += "." + strings.Join(keys, ",")
	}
	return value, nil
}

// VerifyBinding reports whether value binds exactly b under any of keys, so
// keys can be rotated by verifying with the new and the old key for a while.
// A v2 value must cover exactly the attributes in b.Attributes. A v1 value,
// made before attributes and creator UIDs were signed, verifies only a
// Binding without CreatorUID and without Attributes.
//
// It returns nil on a match; ErrBindingKey for an empty or short key;
// ErrBindingInvalid for a Binding SignBinding would refuse; otherwise
// ErrBindingMalformed, ErrBindingOutdated, ErrBindingAttributes or
// ErrBindingMismatch. The comparison is constant-time.
func VerifyBinding(keys [][]byte, b Binding, value string) error {
	if err := checkBindingKeys(keys); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	p, err := parseBinding(value)
	if err != nil {
		return err
	}
	var msg bindingMessage
	if p.version == 1 {
		if b.CreatorUID != "" || len(b.Attributes) > 0 {
			return ErrBindingOutdated
		}
		msg.v1(b.Namespace, b.Name, b.UID, b.Creator)
	} else {
		want := slices.Sorted(maps.Keys(b.Attributes))
		n := 0
		for k := range p.attributeKeys() {
			if n >= len(want) || want[n] != k {
				return ErrBindingAttributes
			}
			n++
		}
		if n != len(want) {
			return ErrBindingAttributes
		}
		msg.v2(b.Namespace, b.Name, b.UID, b.Creator, b.CreatorUID, n)
		for _, k := range want {
			msg.attribute(k, b.Attributes[k])
		}
	}
	for _, key := range keys {
		if hmac.Equal(newBindingMAC(key).encoded(msg.b), p.mac[:]) {
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

// parsedBinding is the shape of a binding value.
type parsedBinding struct {
	version int // 1 or 2
	// mac is the encoded MAC. Comparing canonical encodings rather than
	// decoded bytes rejects non-canonical base64 for free.
	mac [bindingEncodedLen]byte
	// keys is the comma-separated list of signed attribute keys of a v2
	// value, or "".
	keys string
}

// parseBinding checks the shape of value. A v2 key list must be non-empty
// and strictly ascending, so that one Binding has one value.
func parseBinding(value string) (parsedBinding, error) {
	var p parsedBinding
	if len(value) < bindingMACEnd {
		return p, ErrBindingMalformed
	}
	switch value[:len(bindingV2)] {
	case bindingV1:
		if len(value) != bindingMACEnd {
			return p, ErrBindingMalformed
		}
		p.version = 1
	case bindingV2:
		p.version = 2
		if rest := value[bindingMACEnd:]; rest != "" {
			keys, ok := strings.CutPrefix(rest, ".")
			if !ok || keys == "" {
				return p, ErrBindingMalformed
			}
			p.keys = keys
			prev := ""
			for k := range p.attributeKeys() {
				if k == "" || (prev != "" && k <= prev) {
					return p, ErrBindingMalformed
				}
				prev = k
			}
		}
	default:
		return p, ErrBindingMalformed
	}
	copy(p.mac[:], value[len(bindingV2):bindingMACEnd])
	return p, nil
}

// attributeKeys yields the signed attribute keys of a v2 value, in order.
func (p parsedBinding) attributeKeys() func(yield func(string) bool) {
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

// covers reports whether key is one of the signed attribute keys.
func (p parsedBinding) covers(key string) bool {
	for k := range p.attributeKeys() {
		if k == key {
			return true
		}
	}
	return false
}

// bindingMessage builds the length-prefixed message a binding MACs.
type bindingMessage struct{ b []byte }

func (m *bindingMessage) field(f string) {
	m.b = binary.BigEndian.AppendUint64(m.b, uint64(len(f)))
	m.b = append(m.b, f...)
}

// v1 starts over with the fields of a v1 binding, which end the message.
func (m *bindingMessage) v1(namespace, name, uid, user string) {
	m.b = m.b[:0]
	for _, f := range [...]string{bindingDomainV1, namespace, name, uid, user} {
		m.field(f)
	}
}

// v2 starts over with the fixed fields of a v2 binding and the number of
// attributes, which attribute then adds in ascending key order.
func (m *bindingMessage) v2(namespace, name, uid, creator, creatorUID string, attributes int) {
	m.b = m.b[:0]
	for _, f := range [...]string{bindingDomainV2, namespace, name, uid, creator, creatorUID} {
		m.field(f)
	}
	m.b = binary.BigEndian.AppendUint64(m.b, uint64(attributes))
}

func (m *bindingMessage) attribute(key, value string) {
	m.field(key)
	m.field(value)
}

// bindingMAC computes bindings with one key. It is not safe for concurrent
// use; bindingVerifier pools them.
type bindingMAC struct {
	h   hash.Hash
	sum []byte
	enc [bindingEncodedLen]byte
}

func newBindingMAC(key []byte) *bindingMAC {
	return &bindingMAC{h: hmac.New(sha256.New, key)}
}

// encoded returns the base64url MAC of msg; the slice is valid until the
// next call.
func (m *bindingMAC) encoded(msg []byte) []byte {
	m.h.Reset()
	m.h.Write(msg)
	m.sum = m.h.Sum(m.sum[:0])
	base64.RawURLEncoding.Encode(m.enc[:], m.sum)
	return m.enc[:]
}

// bindingVerifier verifies bindings against fixed keys, reusing MAC state
// and message buffers across requests so that the hot path does not
// allocate.
type bindingVerifier struct {
	macs []*sync.Pool
	msgs sync.Pool
}

func newBindingVerifier(keys [][]byte) *bindingVerifier {
	v := &bindingVerifier{macs: make([]*sync.Pool, len(keys))}
	for i, key := range keys {
		key := slices.Clone(key) // the caller may reuse its slice
		v.macs[i] = &sync.Pool{New: func() any { return newBindingMAC(key) }}
	}
	v.msgs.New = func() any { return new(bindingMessage) }
	return v
}

// message returns an empty message to build; give it back with release.
func (v *bindingVerifier) message() *bindingMessage { return v.msgs.Get().(*bindingMessage) }

func (v *bindingVerifier) release(m *bindingMessage) { v.msgs.Put(m) }

// matches reports whether any key's MAC of msg is mac, in constant time
// for each key.
func (v *bindingVerifier) matches(msg *bindingMessage, mac *[bindingEncodedLen]byte) bool {
	for _, pool := range v.macs {
		m := pool.Get().(*bindingMAC)
		ok := hmac.Equal(m.encoded(msg.b), mac[:])
		pool.Put(m)
		if ok {
			return true
		}
	}
	return false
}
