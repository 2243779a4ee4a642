package bearer

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/authchain/authchain/internal/tokentest"
)

// macMessage is the message tokenMAC.key authenticates.
func macMessage(token string, audiences []string) []byte {
	var msg []byte
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(token)))
	msg = append(msg, token...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(audiences)))
	for _, a := range audiences {
		msg = binary.BigEndian.AppendUint64(msg, uint64(len(a)))
		msg = append(msg, a...)
	}
	return msg
}

// randomToken returns n bytes of base64url text, so that every 8-byte
// piece of it is distinctive.
func randomToken(t testing.TB, n int) string {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)[:n]
}

// TestTokenMACIsHMAC: the hand-built MAC is HMAC-SHA256, for messages that
// end on, before and after SHA-256 block boundaries and span several
// chunks, and stays so when one pooled state is used again and again.
func TestTokenMACIsHMAC(t *testing.T) {
	key := []byte(randomToken(t, sha256.Size))
	states, err := newMACStates(key)
	if err != nil {
		t.Fatal(err)
	}
	m := newTokenMAC(states)
	for n := range 600 {
		token := randomToken(t, n)
		want := hmac.New(sha256.New, key)
		want.Write(macMessage(token, testAudiences))
		if got := m.key(token, testAudiences); !hmac.Equal(got[:], want.Sum(nil)) {
			t.Fatalf("token of %d bytes: MAC is not HMAC-SHA256", n)
		}
	}
	if _, err := newMACStates(make([]byte, sha256.BlockSize+1)); err == nil {
		t.Error("a key longer than a block was accepted")
	}
}

// macStateDump is everything a pooled tokenMAC holds: both digests' full
// states (MarshalBinary includes the buffered partial block), its chunk
// and its sum.
func macStateDump(t *testing.T, m *tokenMAC) []byte {
	t.Helper()
	var dump []byte
	for _, h := range []encoding.BinaryMarshaler{m.inner, m.outer} {
		b, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	dump = append(dump, m.chunk[:]...)
	return append(dump, m.sum[:]...)
}

// holdsPieceOf reports whether dump contains any 8-byte piece of token.
func holdsPieceOf(dump []byte, token string) bool {
	for i := 0; i+8 <= len(token); i++ {
		if bytes.Contains(dump, []byte(token[i:i+8])) {
			return true
		}
	}
	return false
}

// TestTokenMACHoldsNoToken: after key, the pooled state holds no 8-byte
// piece of the token, whatever its length relative to the SHA-256 block
// and the chunk. The first check shows the inspection would see one: a
// SHA-256 state keeps the tail of what it hashed, as crypto/hmac's inner
// hash does after Sum.
func TestTokenMACHoldsNoToken(t *testing.T) {
	probe := sha256.New()
	tail := randomToken(t, 40)
	probe.Write([]byte(tail))
	probe.Sum(nil)
	state, err := probe.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !holdsPieceOf(state, tail) {
		t.Fatal("the inspection cannot see a buffered partial block; the test below would prove nothing")
	}

	states, err := newMACStates([]byte(randomToken(t, sha256.Size)))
	if err != nil {
		t.Fatal(err)
	}
	m := newTokenMAC(states)
	for _, n := range []int{8, 9, 40, 47, 48, 55, 56, 63, 64, 65, 100, 255, 256, 257, 993, 3000} {
		token := randomToken(t, n)
		m.key(token, testAudiences)
		if holdsPieceOf(macStateDump(t, m), token) {
			t.Errorf("token of %d bytes: the pooled MAC state keeps a piece of it", n)
		}
	}

	// The same through the cache's pool: whichever state Get returns (the
	// one key used, unless the pool dropped it) holds no piece of it.
	c := mustTokenCache(t, testCacheConfig(tokentest.NewClock()), (&countingVerifier{}).verify)
	token := randomToken(t, 993)
	c.key(token, testAudiences)
	if holdsPieceOf(macStateDump(t, c.macs.Get().(*tokenMAC)), token) {
		t.Error("the cache's pooled MAC state keeps a piece of the last token")
	}
}
