package bearer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// referenceMAC computes AES_K2(GMAC_K1(msg)) from the keys with
// crypto/aes and crypto/cipher, as the package's doc describes it.
func referenceMAC(t testing.TB, k1, k2, msg []byte) cacheKey {
	t.Helper()
	b1, err := aes.NewCipher(k1)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(b1)
	if err != nil {
		t.Fatal(err)
	}
	tag := gcm.Seal(nil, make([]byte, gcm.NonceSize()), nil, msg)
	b2, err := aes.NewCipher(k2)
	if err != nil {
		t.Fatal(err)
	}
	var key cacheKey
	b2.Encrypt(key[:], tag)
	return key
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

// testMACKeys returns two random 32-byte keys and the primitives built
// from them.
func testMACKeys(t testing.TB) (k1, k2 []byte, keys *macKeys) {
	t.Helper()
	k1, k2 = []byte(randomToken(t, 32)), []byte(randomToken(t, 32))
	keys, err := newMACKeys(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	return k1, k2, keys
}

// TestTokenMACIsGMACThenAES: the MAC is AES_K2 of the AES-256-GCM tag
// under K1 (empty plaintext, zero nonce, the framed message as additional
// data), for messages that end on, before and after AES blocks, and stays
// so when one pooled state is used again and again, its buffer growing.
func TestTokenMACIsGMACThenAES(t *testing.T) {
	k1, k2, keys := testMACKeys(t)
	m := newTokenMAC(keys)
	for _, n := range append(seq(0, 600), 2040, 2100, 5000, MaxLength) {
		token := randomToken(t, n)
		if got, want := m.key(token, testAudiences), referenceMAC(t, k1, k2, macMessage(token, testAudiences)); got != want {
			t.Fatalf("token of %d bytes: key %x, want %x", n, got, want)
		}
	}
	for _, bad := range [][2][]byte{{k1[:16], k2}, {k1, k2[:31]}, {nil, nil}} {
		if _, err := newMACKeys(bad[0], bad[1]); err == nil {
			t.Errorf("keys of %d and %d bytes were accepted", len(bad[0]), len(bad[1]))
		}
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestTokenMACFramings: no two ways of splitting the same bytes between
// token and audiences share a key, nor do two caches for one token.
func TestTokenMACFramings(t *testing.T) {
	_, _, keys := testMACKeys(t)
	m := newTokenMAC(keys)
	seen := map[cacheKey]string{}
	for _, in := range []struct {
		token     string
		audiences []string
	}{
		{"abc", nil},
		{"abc", []string{""}},
		{"abc", []string{"", ""}},
		{"ab", []string{"c"}},
		{"a", []string{"bc"}},
		{"a", []string{"b", "c"}},
		{"", []string{"abc"}},
		{"", []string{"a", "bc"}},
		{"abc\x00", nil},
		{"abc", []string{"\x00"}},
	} {
		k := m.key(in.token, in.audiences)
		what := fmt.Sprintf("(%q, %q)", in.token, in.audiences)
		if other, ok := seen[k]; ok {
			t.Errorf("%s shares its key with %s", what, other)
		}
		seen[k] = what
	}
	// nil and empty audiences are one message (count 0), so one key.
	if m.key("abc", nil) != m.key("abc", []string{}) {
		t.Error("nil and empty audiences differ")
	}

	_, _, other := testMACKeys(t)
	token := randomToken(t, 993)
	if m.key(token, testAudiences) == newTokenMAC(other).key(token, testAudiences) {
		t.Error("two key pairs give one token the same key")
	}
}

// macStateDump is everything a pooled tokenMAC holds of a message: its
// framing buffer up to its capacity, its tag and its sum.
func macStateDump(m *tokenMAC) []byte {
	dump := append([]byte(nil), m.frame[:cap(m.frame)]...)
	dump = append(dump, m.tag[:]...)
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
// piece of the token, whatever its length relative to the AES block and
// the buffer; a buffer outgrown by a message was never written with it;
// and an oversized buffer is not kept. The first check shows the
// inspection would see a framed token left in the buffer.
func TestTokenMACHoldsNoToken(t *testing.T) {
	_, _, keys := testMACKeys(t)
	m := newTokenMAC(keys)
	probe := randomToken(t, 40)
	m.frame = appendString(m.frame[:0], probe)[:0]
	if !holdsPieceOf(macStateDump(m), probe) {
		t.Fatal("the inspection cannot see a framed token; the test below would prove nothing")
	}

	for _, n := range []int{8, 9, 15, 16, 17, 40, 100, 255, 993, 2047, 3000, MaxLength} {
		token := randomToken(t, n)
		before := m.frame[:cap(m.frame)]
		m.key(token, testAudiences)
		if holdsPieceOf(macStateDump(m), token) {
			t.Errorf("token of %d bytes: the pooled MAC state keeps a piece of it", n)
		}
		if holdsPieceOf(before, token) {
			t.Errorf("token of %d bytes: the buffer it outgrew keeps a piece of it", n)
		}
	}

	// A token that fits the buffer with an audience that does not: the
	// buffer is sized before the token is written into either.
	m = newTokenMAC(keys)
	before := m.frame[:cap(m.frame)]
	token := randomToken(t, cap(before)-100)
	m.key(token, []string{strings.Repeat("a", 200)})
	if holdsPieceOf(before, token) {
		t.Error("a buffer outgrown by the audiences keeps a piece of the token")
	}

	m.key(strings.Repeat("x", 2*maxPooledFrame), nil)
	if cap(m.frame) > maxPooledFrame {
		t.Errorf("the pooled buffer keeps %d bytes, more than %d", cap(m.frame), maxPooledFrame)
	}

	// The same through the cache's pool: whichever state Get returns (the
	// one key used, unless the pool dropped it) holds no piece of it.
	c := mustTokenCache(t, testCacheConfig(tokentest.NewClock()), (&countingVerifier{}).verify)
	token = randomToken(t, 993)
	c.key(token, testAudiences)
	if holdsPieceOf(macStateDump(c.macs.Get().(*tokenMAC)), token) {
		t.Error("the cache's pooled MAC state keeps a piece of the last token")
	}
}

// TestNewCacheFIPSOnly: FIPS 140-only mode allows GCM with random nonces
// only, so NewCache, which needs a fixed one, refuses to build rather
// than key the cache some other way. The mode is fixed at start, so the
// check runs in a child process.
func TestNewCacheFIPSOnly(t *testing.T) {
	if os.Getenv("BEARER_TEST_FIPS_CHILD") == "1" {
		_, err := NewCache((&countingVerifier{}).verify)
		if err == nil || !strings.Contains(err.Error(), "GMAC") {
			t.Fatalf("NewCache in FIPS 140-only mode: %v, want the GMAC refused", err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNewCacheFIPSOnly$", "-test.v")
	cmd.Env = append(os.Environ(), "BEARER_TEST_FIPS_CHILD=1", "GODEBUG=fips140=only")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestNewCacheFIPSOnly")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// FuzzTokenMAC: for any token and audiences, the key is the reference
// construction's, the pooled state is all zeros afterwards, and moving
// the audience's bytes into the token gives another key.
func FuzzTokenMAC(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "https://api.example.com", "")
	f.Add("", "", "")
	f.Add(strings.Repeat("x", 3000), "a", "b")
	k1, k2, keys := testMACKeys(f)
	m := newTokenMAC(keys)
	f.Fuzz(func(t *testing.T, token, a1, a2 string) {
		audiences := []string{a1, a2}
		got := m.key(token, audiences)
		if want := referenceMAC(t, k1, k2, macMessage(token, audiences)); got != want {
			t.Fatalf("key %x, want %x", got, want)
		}
		if dump := macStateDump(m); !allZero(dump) {
			t.Fatal("the pooled MAC state is not wiped")
		}
		if m.key(token+a1+a2, nil) == got {
			t.Fatal("two framings of the same bytes share a key")
		}
	})
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
