package assertion

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// JWKSCacheMaxAge is the max-age of the Cache-Control header the key
// set is served with: short, so that a verifier caching the set learns a
// rotated key soon after it starts signing.
const JWKSCacheMaxAge = time.Minute

// KeyRing holds the key assertions are signed with and the public keys a
// verifier may meet: the current one, and each retired one until no
// assertion it signed can still be accepted. Only public keys ever leave
// it. Build it with NewKeyRing; it is safe for concurrent use.
type KeyRing struct {
	now     func() time.Time
	mu      sync.RWMutex
	current *signingKey
	// next is the staged key: published, not yet signing.
	next    *signingKey
	retired []retiredKey
}

type signingKey struct {
	signer jose.Signer
	public jose.JSONWebKey
}

type retiredKey struct {
	public jose.JSONWebKey
	until  time.Time
}

// NewKeyRing returns a ring that signs with key, an *ecdsa.PrivateKey on
// the P-256 curve (ES256) or an ed25519.PrivateKey (EdDSA); any other key is
// an error. The key id is the RFC 7638 thumbprint of the public key. Of the
// options it takes WithClock only.
func NewKeyRing(key crypto.Signer, opts ...Option) (*KeyRing, error) {
	c := apply(opts)
	if c.signerOnly != "" {
		c.errorf("%s applies to NewSigner, not NewKeyRing", c.signerOnly)
	}
	sk, err := newSigningKey(key)
	if err != nil {
		c.errs = append(c.errs, err)
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, fmt.Errorf("assertion: NewKeyRing: %w", err)
	}
	return &KeyRing{now: c.now, current: sk}, nil
}

// newSigningKey prepares key for signing.
func newSigningKey(key crypto.Signer) (*signingKey, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k == nil || k.Curve != elliptic.P256() {
			return nil, errors.New("an ECDSA key must be on the P-256 curve (ES256)")
		}
		alg = jose.ES256
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, errors.New("malformed Ed25519 key")
		}
		alg = jose.EdDSA
	default:
		return nil, fmt.Errorf("a key of type %T cannot sign assertions: use an ECDSA P-256 or an Ed25519 key", key)
	}
	public := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key thumbprint: %w", err)
	}
	public.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: public.KeyID}},
		(&jose.SignerOptions{}).WithType(TokenType))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return &signingKey{signer: signer, public: public}, nil
}

// Stage publishes key as the next signing key without signing with it,
// so that verifiers learn it before the first assertion it signs: a
// verifier that fetched the set just before a plain Rotate refuses the new
// key's assertions until it may fetch again (jwks' minimum refresh
// interval). Stage, wait longer than the verifiers' refresh interval and
// JWKSCacheMaxAge, then Rotate to the same key. Staging again replaces the
// staged key. The key is judged as NewKeyRing judges it; on error the ring
// is unchanged.
func (k *KeyRing) Stage(key crypto.Signer) error {
	sk, err := newSigningKey(key)
	if err != nil {
		return fmt.Errorf("assertion: Stage: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.next = sk
	return nil
}

// Rotate makes key the signing key. The public key it replaces stays in
// the published set for RetiredKeyRetention, so that assertions it signed
// verify until they have expired. A key not staged first (Stage) is
// published and used at once; publish the new key's set to verifiers
// that hold a static copy before rotating. The key is judged as NewKeyRing
// judges it; on error the ring is unchanged.
func (k *KeyRing) Rotate(key crypto.Signer) error {
	sk, err := newSigningKey(key)
	if err != nil {
		return fmt.Errorf("assertion: Rotate: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	old := k.current.public
	// A kid is published once: the key rolled back to leaves the retired
	// list, and a key retired again gets its new retention only.
	k.retired = slices.DeleteFunc(k.live(now), func(r retiredKey) bool {
		return r.public.KeyID == sk.public.KeyID || r.public.KeyID == old.KeyID
	})
	if old.KeyID != sk.public.KeyID {
		k.retired = append(k.retired, retiredKey{public: old, until: now.Add(RetiredKeyRetention)})
	}
	k.current = sk
	if k.next != nil && k.next.public.KeyID == sk.public.KeyID {
		k.next = nil
	}
	return nil
}

// live returns the retired keys still published at now; k.mu is held.
func (k *KeyRing) live(now time.Time) []retiredKey {
	var out []retiredKey
	for _, r := range k.retired {
		if now.Before(r.until) {
			out = append(out, r)
		}
	}
	return out
}

// signing returns the current key.
func (k *KeyRing) signing() *signingKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current
}

// JWKS returns the published public keys as a JSON Web Key Set: the
// current key first, then the staged key (Stage), then each retired key
// still within its retention. It holds no private key.
func (k *KeyRing) JWKS() []byte {
	k.mu.RLock()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.current.public}}
	add := func(key jose.JSONWebKey) {
		// A verifier refuses a set with a kid twice (a key staged or
		// rotated back while still published).
		if !slices.ContainsFunc(set.Keys, func(p jose.JSONWebKey) bool { return p.KeyID == key.KeyID }) {
			set.Keys = append(set.Keys, key)
		}
	}
	if k.next != nil {
		add(k.next.public)
	}
	for _, r := range k.live(k.now()) {
		add(r.public)
	}
	k.mu.RUnlock()
	b, err := json.Marshal(set)
	if err != nil {
		panic(err) // public EC and OKP keys always marshal
	}
	return b
}

// Handler returns an http.Handler that serves JWKS to GET and HEAD, as
// application/jwk-set+json with Cache-Control public and a max-age of
// JWKSCacheMaxAge; other methods get 405. Mount it where verifiers fetch
// keys, such as /.well-known/jwks.json.
func (k *KeyRing) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body := k.JWKS()
		h := w.Header()
		h.Set("Content-Type", "application/jwk-set+json")
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(JWKSCacheMaxAge/time.Second)))
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}
