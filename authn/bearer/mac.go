package bearer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// This file holds the MAC that keys the token cache:
//
//	key = AES_K2( GMAC_K1(framed token and audiences) )
//
// GMAC_K1 is the tag of AES-256-GCM (NIST SP 800-38D) under K1 sealing an
// empty plaintext, with a fixed all-zero nonce and the framed message as
// additional data: GHASH of the message under the secret H = AES_K1(0),
// XORed with a constant mask. GHASH is ε-almost-XOR-universal, ε about the
// message's block count over 2^128, so two messages share a tag with that
// chance, whatever an outsider chose. One AES-256 block under the
// independent K2 then maps the tag through a pseudorandom permutation: a
// universal hash followed by a PRP is a PRF up to the birthday bound (2^64
// distinct tokens): the shape of the tag of RFC 8452 (AES-GCM-SIV), which
// encrypts its POLYVAL hash with AES.
//
// The fixed nonce costs nothing here: GCM breaks under a repeated nonce
// because its tags, published, give H away; this tag is never published,
// only its AES_K2 image is kept, and that reveals nothing about H. What it
// does not have is HMAC-SHA256's collision resistance once its keys are
// known: someone who read K1, K2 and the cached entries' keys out of the
// process's memory could craft a token with one of those keys, and so hit
// its verdict until it expires, where with HMAC they could only test
// guesses. While K1 and K2 stay in the process, both are keyed PRFs. The
// difference is accepted: whoever can read this process's memory can read
// the bearer tokens of the requests it is serving, valid for up to an hour,
// where a crafted token hits one cached verdict in this process only, and
// for at most its TTL (2 minutes by default).
//
// Why not HMAC-SHA256, as before: BenchmarkTokenHitOverKubernetes measured
// one SHA-256 pass over a 993-byte token at about 0.4 of Kubernetes' whole
// cached hit (floor/kubernetes), so a hit could not be twice as fast as
// Kubernetes' with it; this key costs about 0.12 (mac/kubernetes, with
// AES-NI and PCLMULQDQ).

// maxPooledFrame bounds the framing buffer a pooled tokenMAC keeps: a
// token at MaxLength and a few audiences. A longer message still works,
// in a buffer that is wiped and dropped.
const maxPooledFrame = MaxLength + 1024

// macKeys are the two keyed primitives, built once per cache from keys
// that are then wiped. Both are stateless between calls (crypto/cipher's
// GCM keeps only its key schedule and H's table), so every pooled
// tokenMAC shares them.
type macKeys struct {
	gmac cipher.AEAD  // AES-256-GCM under K1
	prp  cipher.Block // AES-256 under K2
}

// newMACKeys builds the primitives from k1 and k2, 32 bytes each.
func newMACKeys(k1, k2 []byte) (*macKeys, error) {
	if len(k1) != 32 || len(k2) != 32 {
		return nil, errors.New("MAC keys must be 32 bytes each")
	}
	b1, err := aes.NewCipher(k1)
	if err != nil {
		return nil, err
	}
	// Refused in FIPS 140-only mode (GODEBUG=fips140=only), which allows
	// GCM with random nonces only.
	gmac, err := cipher.NewGCM(b1)
	if err != nil {
		return nil, fmt.Errorf("the cache key's GMAC: %w", err)
	}
	prp, err := aes.NewCipher(k2)
	if err != nil {
		return nil, err
	}
	return &macKeys{gmac: gmac, prp: prp}, nil
}

// randomMACKeys draws K1 and K2 from crypto/rand and wipes them once the
// primitives hold their schedules.
func randomMACKeys() (*macKeys, error) {
	var k [64]byte
	defer clear(k[:])
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("drawing the key: %w", err)
	}
	return newMACKeys(k[:32], k[32:])
}

// tokenMAC is pooled MAC state: a framing buffer and the tag. Between uses
// it holds nothing derived from a message: key wipes both before it
// returns. The token is copied into frame rather than converted to
// []byte, which would leave a heap copy for the garbage collector to free,
// unerased, at its leisure.
type tokenMAC struct {
	keys  *macKeys
	frame []byte
	nonce [12]byte // all zero, always
	// tag is GMAC's output and sum AES_K2's. Fields, not locals: slices of
	// a local passed to an interface method escape to the heap.
	tag, sum [16]byte
}

func newTokenMAC(keys *macKeys) *tokenMAC {
	return &tokenMAC{keys: keys, frame: make([]byte, 0, 2048)}
}

// key returns the MAC of token and audiences and leaves m wiped. Every
// field is written with its length first, and the audiences with their
// count, so that no two inputs share a message.
func (m *tokenMAC) key(token string, audiences []string) cacheKey {
	// Sized before anything is written: a buffer that grew midway would
	// leave its first part, a token, behind unwiped.
	n := 8 + len(token) + 8
	for _, aud := range audiences {
		n += 8 + len(aud)
	}
	if cap(m.frame) < n {
		m.frame = make([]byte, 0, n)
	}
	f := appendString(m.frame[:0], token)
	f = binary.BigEndian.AppendUint64(f, uint64(len(audiences)))
	for _, aud := range audiences {
		f = appendString(f, aud)
	}
	m.keys.gmac.Seal(m.tag[:0], m.nonce[:], nil, f)
	m.keys.prp.Encrypt(m.sum[:], m.tag[:])
	key := cacheKey(m.sum)
	clear(f)
	clear(m.tag[:])
	clear(m.sum[:])
	if cap(f) > maxPooledFrame {
		f = nil
	}
	m.frame = f[:0]
	return key
}

func appendString(f []byte, s string) []byte {
	f = binary.BigEndian.AppendUint64(f, uint64(len(s)))
	return append(f, s...)
}
