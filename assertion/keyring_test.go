package assertion_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authchain/authchain/assertion"
)

func kids(t testing.TB, jwks []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("published key holds private member %q", private)
			}
		}
		if k["use"] != "sig" {
			t.Errorf("key use %v, want sig", k["use"])
		}
		out = append(out, k["kid"].(string))
	}
	return out
}

// Rotate keeps the retired public key published for RetiredKeyRetention,
// and no longer; new assertions carry the new kid.
func TestRotate(t *testing.T) {
	now := start
	ring, err := assertion.NewKeyRing(ecKey(t), assertion.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	s, err := assertion.NewSigner("https://backend.example.com", ring)
	if err != nil {
		t.Fatal(err)
	}
	first := kids(t, ring.JWKS())
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Rotate(edPriv); err != nil {
		t.Fatal(err)
	}
	both := kids(t, ring.JWKS())
	if len(both) != 2 || both[1] != first[0] {
		t.Fatalf("after Rotate the set is %v, want the new key then %v", both, first)
	}
	token, err := s.Sign(alice(), "runner")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := segments(t, token); h["kid"] != both[0] || h["alg"] != "EdDSA" {
		t.Errorf("new assertion header %v, want kid %s and EdDSA", h, both[0])
	}
	now = start.Add(assertion.RetiredKeyRetention - time.Second)
	if got := kids(t, ring.JWKS()); len(got) != 2 {
		t.Errorf("just before the retention ends: %v", got)
	}
	now = start.Add(assertion.RetiredKeyRetention)
	if got := kids(t, ring.JWKS()); len(got) != 1 || got[0] != both[0] {
		t.Errorf("after the retention: %v", got)
	}
}

// Stage publishes the next key without signing with it; Rotate to it then
// signs with it and publishes it once, as the current key.
func TestStage(t *testing.T) {
	ring, err := assertion.NewKeyRing(ecKey(t), assertion.WithClock(func() time.Time { return start }))
	if err != nil {
		t.Fatal(err)
	}
	s, err := assertion.NewSigner("https://backend.example.com", ring)
	if err != nil {
		t.Fatal(err)
	}
	first := kids(t, ring.JWKS())
	next := ecKey(t)
	if err := ring.Stage(next); err != nil {
		t.Fatal(err)
	}
	staged := kids(t, ring.JWKS())
	if len(staged) != 2 || staged[0] != first[0] {
		t.Fatalf("after Stage the set is %v, want %v then the staged key", staged, first)
	}
	token, err := s.Sign(alice(), "runner")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := segments(t, token); h["kid"] != first[0] {
		t.Errorf("a staged key signed: kid %v, want %s", h["kid"], first[0])
	}
	if err := ring.Rotate(next); err != nil {
		t.Fatal(err)
	}
	rotated := kids(t, ring.JWKS())
	if len(rotated) != 2 || rotated[0] != staged[1] || rotated[1] != first[0] {
		t.Errorf("after Rotate to the staged key the set is %v, want %s then %s", rotated, staged[1], first[0])
	}
	if token, err = s.Sign(alice(), "runner"); err != nil {
		t.Fatal(err)
	}
	if h, _ := segments(t, token); h["kid"] != staged[1] {
		t.Errorf("after Rotate the kid is %v, want the staged %s", h["kid"], staged[1])
	}
	if err := ring.Stage(&rsaLike{}); err == nil {
		t.Error("Stage took a key that cannot sign assertions")
	}
}

// rsaLike is a crypto.Signer of no supported kind.
type rsaLike struct{}

func (*rsaLike) Public() crypto.PublicKey                                  { return nil }
func (*rsaLike) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, nil }

func TestHandler(t *testing.T) {
	ring, err := assertion.NewKeyRing(ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ring.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control %q", cc)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(ring.JWKS()) {
		t.Errorf("served %s, want %s", body, ring.JWKS())
	}
	kids(t, body)
	post, err := http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", post.StatusCode)
	}
}
