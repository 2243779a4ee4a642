package bearer

import (
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
)

// This file holds the MAC that keys the token cache: HMAC-SHA256 (RFC 2104)
// built from two SHA-256 states this package controls, so that the state
// can be wiped after each use. crypto/hmac cannot be used as is: its inner
// hash keeps the last partial block of the message, a piece of the token,
// in its buffer until the next Reset.

// sha256State is a SHA-256 digest whose whole state, its buffered partial
// block included, can be saved and restored. crypto/sha256 documents both
// interfaces for the hash New returns.
type sha256State interface {
	hash.Hash
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// macStates are the saved SHA-256 states after absorbing the key XOR ipad
// (inner) and the key XOR opad (outer): HMAC's starting points. Each ends on
// a block boundary, so its buffer is empty (zeros), and restoring it
// overwrites whatever a message left in a digest's buffer.
type macStates struct {
	inner, outer []byte
}

// newMACStates precomputes the HMAC-SHA256 states for key, at most one
// SHA-256 block long.
func newMACStates(key []byte) (*macStates, error) {
	if len(key) > sha256.BlockSize {
		return nil, errors.New("MAC key longer than a SHA-256 block")
	}
	var ipad, opad [sha256.BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	defer clear(ipad[:])
	defer clear(opad[:])
	var s macStates
	for _, pad := range []struct {
		block []byte
		state *[]byte
	}{{ipad[:], &s.inner}, {opad[:], &s.outer}} {
		h, ok := sha256.New().(sha256State)
		if !ok {
			return nil, errors.New("SHA-256 state cannot be saved")
		}
		h.Write(pad.block)
		state, err := h.MarshalBinary()
		if err != nil {
			return nil, err
		}
		*pad.state = state
	}
	return &s, nil
}

// tokenMAC is pooled MAC state. Between uses it holds nothing derived from
// a message: key restores both digests and clears its buffers before it
// returns. Strings are fed to the hash through chunk rather than by
// conversion to []byte, which would leave a heap copy of the token for the
// garbage collector to free, unerased, at its leisure.
type tokenMAC struct {
	inner, outer sha256State
	states       *macStates
	chunk        [256]byte
	sum          [sha256.Size]byte
}

func newTokenMAC(states *macStates) *tokenMAC {
	// newMACStates made sure SHA-256 states can be saved.
	m := &tokenMAC{inner: sha256.New().(sha256State), outer: sha256.New().(sha256State), states: states}
	m.restore()
	return m
}

// key returns the HMAC of token and audiences and leaves m wiped. Every
// field is written with its length first, and the audiences with their
// count, so that no two inputs share a message.
func (m *tokenMAC) key(token string, audiences []string) cacheKey {
	m.writeString(token)
	m.writeLen(len(audiences))
	for _, aud := range audiences {
		m.writeString(aud)
	}
	// Through m.sum, not a local array: Sum is an interface call, and a
	// local passed to it would escape to the heap.
	m.outer.Write(m.inner.Sum(m.sum[:0]))
	var key cacheKey
	copy(key[:], m.outer.Sum(m.sum[:0]))
	m.restore()
	return key
}

// restore puts both digests back to their starting states, which also
// overwrites their buffered partial blocks, and clears m's own buffers.
func (m *tokenMAC) restore() {
	// The states come from the same implementation, so this cannot fail;
	// if it did, a piece of a token could stay behind.
	if m.inner.UnmarshalBinary(m.states.inner) != nil || m.outer.UnmarshalBinary(m.states.outer) != nil {
		panic("bearer: restoring a SHA-256 state failed")
	}
	clear(m.chunk[:])
	clear(m.sum[:])
}

func (m *tokenMAC) writeLen(n int) {
	binary.BigEndian.PutUint64(m.chunk[:8], uint64(n))
	m.inner.Write(m.chunk[:8])
}

func (m *tokenMAC) writeString(s string) {
	m.writeLen(len(s))
	for len(s) > 0 {
		n := copy(m.chunk[:], s)
		m.inner.Write(m.chunk[:n])
		s = s[n:]
	}
}
