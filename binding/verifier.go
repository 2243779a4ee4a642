package binding

import (
	"crypto/hmac"
	"slices"
	"sync"
)

// Verifier verifies bindings against fixed keys. It reuses MAC state and
// message buffers across calls, so that verifying does not allocate, and
// is safe for concurrent use.
type Verifier struct {
	macs []*sync.Pool
	msgs sync.Pool
}

// NewVerifier returns a Verifier that accepts a value made with any of keys;
// give the new key first and the old one after it while rotating. It
// returns ErrKey unless at least one key is given and each is at least
// MinKeyLen bytes. The keys are copied.
func NewVerifier(keys ...[]byte) (*Verifier, error) {
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	v := &Verifier{macs: make([]*sync.Pool, len(keys))}
	for i, key := range keys {
		key := slices.Clone(key) // the caller may reuse its slice
		v.macs[i] = &sync.Pool{New: func() any { return newMAC(key) }}
	}
	v.msgs.New = func() any { return new(message) }
	return v, nil
}

// Verify reports whether value binds exactly b, as the package-level Verify
// does with v's keys, and returns the same errors.
func (v *Verifier) Verify(b Binding, value string) error {
	if err := b.check(); err != nil {
		return err
	}
	p, err := Parse(value)
	if err != nil {
		return err
	}
	if p.version == 1 && len(b.Attributes) > 0 {
		return ErrOutdated
	}
	// The listed keys are strictly ascending, so all of them present and
	// as many as b has means exactly b's keys.
	n := 0
	for k := range p.Keys() {
		if _, ok := b.Attributes[k]; !ok {
			return ErrAttributes
		}
		n++
	}
	if n != len(b.Attributes) {
		return ErrAttributes
	}
	return v.verify(b, p, func(k string) string { return b.Attributes[k] })
}

// VerifyListed reports whether p binds b with the attributes p lists, whose
// values it reads with attribute; b.Attributes is not read. It answers as
// Verify would for b with Attributes set to those keys and values, so it
// suits a caller that holds the attributes in another form (labels and
// annotations) and has checked p.Keys against them; it does not allocate
// when it succeeds. It returns ErrMalformed for the zero Value, ErrInvalid
// for a listed key that is not a label key or a CreatorUID that does not
// fit Creator, ErrOutdated for a v1 value and a CreatorUID, and otherwise
// nil or ErrMismatch.
func (v *Verifier) VerifyListed(b Binding, p Value, attribute func(key string) string) error {
	if err := b.checkCreator(); err != nil {
		return err
	}
	for k := range p.Keys() {
		if err := checkAttributeKey(k); err != nil {
			return err
		}
	}
	return v.verify(b, p, attribute)
}

// verify checks p's MAC over b, whose attributes are the keys p lists read
// with attribute; the caller has checked b and the keys.
func (v *Verifier) verify(b Binding, p Value, attribute func(string) string) error {
	msg := v.msgs.Get().(*message)
	defer v.msgs.Put(msg)
	switch p.version {
	case 1:
		if b.CreatorUID != "" {
			return ErrOutdated
		}
		msg.v1(b.Namespace, b.Name, b.UID, b.Creator)
	case 2:
		n := 0
		for range p.Keys() {
			n++
		}
		msg.v2(b.Namespace, b.Name, b.UID, b.Creator, b.CreatorUID, n)
		for k := range p.Keys() {
			msg.attribute(k, attribute(k))
		}
	default:
		return ErrMalformed
	}
	if !v.matches(msg, &p.mac) {
		return ErrMismatch
	}
	return nil
}

// matches reports whether any key's MAC of msg is want, in constant time
// for each key.
func (v *Verifier) matches(msg *message, want *[encodedLen]byte) bool {
	for _, pool := range v.macs {
		m := pool.Get().(*mac)
		ok := hmac.Equal(m.encoded(msg.b), want[:])
		pool.Put(m)
		if ok {
			return true
		}
	}
	return false
}
