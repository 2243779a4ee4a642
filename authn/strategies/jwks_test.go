package strategies_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

func pemBlock(t testing.TB, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkixPEM(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "PUBLIC KEY", der)
}

// selfSigned returns a certificate for key, already expired: StaticKeySet
// takes the key and ignores the dates.
func selfSigned(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "service-accounts"},
		NotBefore:    time.Unix(1_500_000_000, 0),
		NotAfter:     time.Unix(1_600_000_000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "CERTIFICATE", der)
}

func TestStaticKeySet(t *testing.T) {
	k := jwtTestKeys()
	rsaPub, ecPub := &k.rsa.PublicKey, &k.ec.PublicKey
	rsaKID, ecKID := kubeKID(t, rsaPub), kubeKID(t, ecPub)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(key any, kid, use string) json.RawMessage {
		b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Use: use})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jwks := func(keys ...json.RawMessage) []byte {
		b, err := json.Marshal(map[string]any{"keys": keys})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	tests := []struct {
		name string
		data []byte
		// want maps kids to the key Key must return; every other kid
		// asked must be unknown.
		want map[string]crypto.PublicKey
	}{
		{
			name: "JWKS as kube-apiserver serves it",
			data: jwksJSON(t, rsaPub, ecPub),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, ecKID: ecPub},
		},
		{
			name: "JWKS of one key also serves tokens without kid",
			data: jwksJSON(t, ecPub),
			want: map[string]crypto.PublicKey{ecKID: ecPub, "": ecPub},
		},
		{
			name: "JWKS key without kid",
			data: jwks(jwk(rsaPub, "", "sig")),
			want: map[string]crypto.PublicKey{"": rsaPub},
		},
		{
			name: "JWKS ignores encryption, symmetric and unknown keys",
			data: jwks(
				jwk(rsaPub, "r", "sig"),
				jwk(ecPub, "enc-key", "enc"),
				jwk([]byte("0123456789abcdef0123456789abcdef"), "hmac", ""),
				json.RawMessage(`{"kty":"OKP","crv":"X448","kid":"x448","x":"AAAA"}`),
				json.RawMessage(`{"kty":"RSA","kid":"broken","n":"AQAB"}`),
				json.RawMessage(`{"kty":"WHAT","kid":"what"}`),
			),
			want: map[string]crypto.PublicKey{"r": rsaPub, "": rsaPub},
		},
		{
			name: "JWKS Ed25519",
			data: jwks(jwk(edPub, "ed", "sig")),
			want: map[string]crypto.PublicKey{"ed": edPub, "": edPub},
		},
		{
			name: "PEM public keys under kube-apiserver kids",
			data: append(pkixPEM(t, rsaPub), pkixPEM(t, ecPub)...),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, ecKID: ecPub},
		},
		{
			name: "PEM PKCS#1 RSA key",
			data: pemBlock(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(rsaPub)),
			want: map[string]crypto.PublicKey{rsaKID: rsaPub, "": rsaPub},
		},
		{
			name: "expired certificate and the same key: one key",
			data: append(append([]byte("# sa.pub\n"), selfSigned(t, k.ec)...), pkixPEM(t, ecPub)...),
			want: map[string]crypto.PublicKey{ecKID: ecPub, "": ecPub},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := strategies.StaticKeySet(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for kid, want := range tt.want {
				got, err := keys.Key(context.Background(), kid)
				if err != nil {
					t.Errorf("Key(%q): %v", kid, err)
					continue
				}
				if eq, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(want) {
					t.Errorf("Key(%q) = %T, not the expected key", kid, got)
				}
			}
			for _, kid := range []string{"", "unknown", rsaKID, ecKID, "enc-key", "hmac"} {
				if _, ok := tt.want[kid]; ok {
					continue
				}
				if _, err := keys.Key(context.Background(), kid); !errors.Is(err, strategies.ErrUnknownKey) {
					t.Errorf("Key(%q) error = %v, want ErrUnknownKey", kid, err)
				}
			}
		})
	}
}

func TestStaticKeySetErrors(t *testing.T) {
	k := jwtTestKeys()
	privJWK, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.ec, KeyID: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", []byte(" \n"), "no keys given"},
		{"not JSON", []byte(`{"keys":`), "not a JSON object"},
		{"no keys list", []byte(`{"kid":"x"}`), `no "keys" list`},
		{"only unusable keys", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), "no usable signature key"},
		{"private JWK", privJWK, "private key material"},
		{"duplicate kid", jwksJSON(t, &k.rsa.PublicKey, &k.rsa.PublicKey), "two keys with kid"},
		{"PEM private key", pemBlock(t, "PRIVATE KEY", pkcs8), "is a private key"},
		{"PEM RSA private key", pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa)), "is a private key"},
		{"PEM unknown block", pemBlock(t, "OPENSSH KEY", []byte("x")), "unsupported type"},
		{"PEM garbage", pemBlock(t, "PUBLIC KEY", []byte("x")), "PEM block 1"},
		{"PEM then junk", append(pkixPEM(t, &k.ec.PublicKey), "junk"...), "neither a JWKS document nor PEM"},
		{"not PEM", []byte("ssh-rsa AAAA"), "neither a JWKS document nor PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := strategies.StaticKeySet(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// fakeIssuer serves OIDC discovery and a JWKS over TLS, as kube-apiserver
// does, and counts what it is asked.
type fakeIssuer struct {
	srv         *httptest.Server
	discoveries atomic.Int32
	fetches     atomic.Int32

	mu              sync.Mutex
	entered         chan struct{} // when not nil, told of every JWKS request
	jwks            []byte
	status          int           // of the JWKS; 200 when 0
	discoveryIssuer string        // "" for the server's own URL
	jwksURI         string        // "" for the server's /openid/v1/jwks
	release         chan struct{} // when not nil, JWKS requests wait for it
}

// secretBody is served with error statuses; no error may quote it.
const secretBody = "internal-detail-7f3a"

func newFakeIssuer(t *testing.T, pubs ...crypto.PublicKey) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{jwks: jwksJSON(t, pubs...)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		f.discoveries.Add(1)
		f.mu.Lock()
		iss, uri := f.discoveryIssuer, f.jwksURI
		f.mu.Unlock()
		if iss == "" {
			iss = f.srv.URL
		}
		if uri == "" {
			uri = f.srv.URL + "/openid/v1/jwks"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "jwks_uri": uri,
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		f.mu.Lock()
		body, status, release, entered := f.jwks, f.status, f.release, f.entered
		f.mu.Unlock()
		if entered != nil {
			entered <- struct{}{}
		}
		if release != nil {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		if status != 0 && status != http.StatusOK {
			http.Error(w, secretBody, status)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) setKeys(t *testing.T, pubs ...crypto.PublicKey) {
	b := jwksJSON(t, pubs...)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = b
}

func (f *fakeIssuer) update(edit func(f *fakeIssuer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

// verifyNoLeaks checks, after every cleanup registered later has run, that
// the test left no goroutine behind.
func verifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func newOIDCKeys(t *testing.T, f *fakeIssuer, clock *strategies.TestClock, opts ...strategies.OIDCKeySetOption) *strategies.OIDCKeys {
	t.Helper()
	opts = append([]strategies.OIDCKeySetOption{
		strategies.WithHTTPClient(f.srv.Client()),
		strategies.WithClock(clock.Now),
	}, opts...)
	keys, err := strategies.OIDCKeySet(context.Background(), f.srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	return keys
}

// newOIDCJWT is a strategy for tokens of f's issuer. Its cache is off, so
// that every request reaches the key set.
func newOIDCJWT(t *testing.T, f *fakeIssuer, keys strategies.KeySet) *strategies.JWTStrategy {
	t.Helper()
	s, err := strategies.ServiceAccountJWT(f.srv.URL, keys,
		strategies.WithAudiences(jwtAudience), strategies.WithJWTClock(jwtTestNow), strategies.WithJWTCacheTTL(0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// oidcToken signs jwtClaims, issued by f, with key under its Kubernetes kid.
func oidcToken(t *testing.T, f *fakeIssuer, key crypto.Signer) string {
	t.Helper()
	method := jwt.SigningMethod(jwt.SigningMethodRS256)
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		method = jwt.SigningMethodES256
	}
	return mintJWT(t, method, key, kubeKID(t, key.Public()), jwtClaims(set("iss", f.srv.URL)))
}

func oidcVerified(f *fakeIssuer) authn.Decision {
	return jwtVerified(func(p *authn.Principal) { p.Credential.Issuer = f.srv.URL })
}

func authenticate(s authn.Strategy, token string) authn.Decision {
	return s.Authenticate(bearerRequest(token), authn.Principal{})
}

func wantOutcome(t *testing.T, what string, d authn.Decision, want authn.Outcome, reason string) {
	t.Helper()
	if d.Outcome != want || reason != "" && d.Reason != reason {
		t.Errorf("%s: %v %q (cause %v), want %v %q", what, d.Outcome, d.Reason, d.Cause, want, reason)
	}
}

func TestOIDCKeySetRotation(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	tokenA, tokenB, tokenC := oidcToken(t, f, k.rsa), oidcToken(t, f, k.rsa2), oidcToken(t, f, k.ec)

	if d := authenticate(s, tokenA); d.Outcome != authn.Contributed {
		t.Fatalf("key A: %v", d)
	}
	if !keys.Synced() {
		t.Error("Synced() = false after a fetch")
	}
	if n, m := f.discoveries.Load(), f.fetches.Load(); n != 1 || m != 1 {
		t.Errorf("first use: %d discoveries, %d JWKS fetches, want 1 and 1", n, m)
	}

	// B is not published yet, and the set was fetched just now: no fetch.
	wantOutcome(t, "key B before rotation", authenticate(s, tokenB), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("unknown kid within the minimum refresh interval: %d fetches, want 1", n)
	}

	// The issuer adds B. A burst of requests with B shares one refresh.
	f.setKeys(t, &k.rsa.PublicKey, &k.rsa2.PublicKey)
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	const burst = 50
	start := make(chan struct{})
	decisions := make([]authn.Decision, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			<-start
			decisions[i] = authenticate(s, tokenB)
		})
	}
	close(start)
	wg.Wait()
	for i, d := range decisions {
		if diff := cmp.Diff(oidcVerified(f), d); diff != "" {
			t.Errorf("burst request %d (-want +got):\n%s", i, diff)
			break
		}
	}
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("burst of %d unknown-kid requests: %d fetches in all, want 2 (one refresh)", burst, n)
	}
	if n := f.discoveries.Load(); n != 1 {
		t.Errorf("%d discoveries, want 1: the JWKS URI is kept while fetches succeed", n)
	}

	// Another unknown kid right after: rate limited, rejected at once.
	wantOutcome(t, "key C within the interval", authenticate(s, tokenC), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("second unknown kid within the minimum refresh interval: %d fetches, want 2", n)
	}

	// The issuer drops A. Once a refresh has run, A stops verifying.
	f.setKeys(t, &k.rsa2.PublicKey)
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	wantOutcome(t, "key C after the interval", authenticate(s, tokenC), authn.Rejected, "token signed with an unknown key")
	if n := f.fetches.Load(); n != 3 {
		t.Errorf("unknown kid after the minimum refresh interval: %d fetches, want 3", n)
	}
	wantOutcome(t, "removed key A", authenticate(s, tokenA), authn.Rejected, "token signed with an unknown key")
	wantOutcome(t, "key B", authenticate(s, tokenB), authn.Contributed, "")
	if n := f.fetches.Load(); n != 3 {
		t.Errorf("%d fetches in all, want 3", n)
	}
}

// TestOIDCKeySetCachedTokenAfterRotation: a token verified and cached
// before its key was removed is refused as soon as the set is refreshed.
func TestOIDCKeySetCachedTokenAfterRotation(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	s, err := strategies.ServiceAccountJWT(f.srv.URL, keys,
		strategies.WithAudiences(jwtAudience), strategies.WithJWTClock(jwtTestNow))
	if err != nil {
		t.Fatal(err)
	}
	tokenA, tokenB := oidcToken(t, f, k.rsa), oidcToken(t, f, k.rsa2)
	wantOutcome(t, "key A", authenticate(s, tokenA), authn.Contributed, "")
	wantOutcome(t, "key A, cached", authenticate(s, tokenA), authn.Contributed, "")

	f.setKeys(t, &k.rsa2.PublicKey)
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	wantOutcome(t, "key B", authenticate(s, tokenB), authn.Contributed, "")
	wantOutcome(t, "key A, cached, after its removal", authenticate(s, tokenA), authn.Rejected, "token signed with an unknown key")
}

// TestOIDCKeySetCachedTokenAfterAlgorithmBound: a cached PS256 token is
// refused once the issuer publishes its key with "alg":"RS256".
func TestOIDCKeySetCachedTokenAfterAlgorithmBound(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t)
	f.update(func(f *fakeIssuer) { f.jwks = jwksWithAlg(t, "", &k.rsa.PublicKey) })
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	s, err := strategies.ServiceAccountJWT(f.srv.URL, keys,
		strategies.WithAudiences(jwtAudience), strategies.WithJWTClock(jwtTestNow))
	if err != nil {
		t.Fatal(err)
	}
	ps256 := mintJWT(t, jwt.SigningMethodPS256, k.rsa, kubeKID(t, &k.rsa.PublicKey), jwtClaims(set("iss", f.srv.URL)))
	wantOutcome(t, "PS256, key without alg", authenticate(s, ps256), authn.Contributed, "")
	wantOutcome(t, "PS256, key without alg, cached", authenticate(s, ps256), authn.Contributed, "")

	f.update(func(f *fakeIssuer) { f.jwks = jwksWithAlg(t, "RS256", &k.rsa.PublicKey) })
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	// An unknown kid makes the set refresh.
	wantOutcome(t, "unknown kid", authenticate(s, oidcToken(t, f, k.rsa2)), authn.Rejected, "token signed with an unknown key")
	wantOutcome(t, "PS256, cached, key now bound to RS256", authenticate(s, ps256), authn.Rejected, "token algorithm does not match its key")
	wantOutcome(t, "RS256", authenticate(s, oidcToken(t, f, k.rsa)), authn.Contributed, "")
}

func TestOIDCKeySetStaleness(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	tokenA, tokenB := oidcToken(t, f, k.rsa), oidcToken(t, f, k.rsa2)
	wantOutcome(t, "fresh", authenticate(s, tokenA), authn.Contributed, "")

	f.update(func(f *fakeIssuer) { f.status = http.StatusInternalServerError })
	clock.Advance(strategies.DefaultMaxKeyStaleness - time.Minute)
	wantOutcome(t, "known kid, fetches failing, not stale", authenticate(s, tokenA), authn.Contributed, "")
	if !keys.Synced() {
		t.Error("Synced() = false before the set is stale")
	}
	// An unknown kid now refreshes, which fails: keys are unavailable
	// rather than the kid unknown.
	d := authenticate(s, tokenB)
	wantOutcome(t, "unknown kid, refresh failing", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, strategies.ErrKeysUnavailable) || strings.Contains(d.Cause.Error(), secretBody) {
		t.Errorf("cause %v: want ErrKeysUnavailable, and no response body", d.Cause)
	}

	clock.Advance(2 * time.Minute)
	d = authenticate(s, tokenA)
	wantOutcome(t, "known kid, stale", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, strategies.ErrKeysUnavailable) {
		t.Errorf("cause %v: want ErrKeysUnavailable", d.Cause)
	}
	if keys.Synced() {
		t.Error("Synced() = true for a stale set")
	}
	if _, err := keys.Key(context.Background(), kubeKID(t, &k.rsa.PublicKey)); err == nil || strings.Contains(err.Error(), secretBody) {
		t.Errorf("Key error %v: want one, without the response body", err)
	}

	// The issuer recovers; the next refresh due brings the set back.
	f.update(func(f *fakeIssuer) { f.status = 0 })
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	wantOutcome(t, "recovered", authenticate(s, tokenA), authn.Contributed, "")
	if !keys.Synced() {
		t.Error("Synced() = false after recovery")
	}
}

func TestOIDCKeySetUnavailableAtStart(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	f.update(func(f *fakeIssuer) { f.status = http.StatusServiceUnavailable })
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	s := newOIDCJWT(t, f, keys)
	token := oidcToken(t, f, k.rsa)

	d := authenticate(s, token)
	wantOutcome(t, "before any fetch", d, authn.Failed, "signing keys unavailable")
	if !errors.Is(d.Cause, strategies.ErrKeysUnavailable) || !strings.Contains(d.Cause.Error(), "status 503") {
		t.Errorf("cause %v: want ErrKeysUnavailable naming the status", d.Cause)
	}
	if keys.Synced() {
		t.Error("Synced() = true before any fetch")
	}
	f.update(func(f *fakeIssuer) { f.status = 0 })
	wantOutcome(t, "within the minimum refresh interval", authenticate(s, token), authn.Failed, "signing keys unavailable")
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	wantOutcome(t, "issuer up", authenticate(s, token), authn.Contributed, "")
}

func TestOIDCKeySetFetchErrors(t *testing.T) {
	k := jwtTestKeys()
	tests := []struct {
		name    string
		edit    func(f *fakeIssuer)
		wantErr string
	}{
		{"discovery names another issuer", func(f *fakeIssuer) { f.discoveryIssuer = "https://evil.example" }, `document is for issuer "https://evil.example"`},
		{"jwks_uri not https", func(f *fakeIssuer) {
			f.jwksURI = "http://" + strings.TrimPrefix(f.srv.URL, "https://") + "/openid/v1/jwks"
		}, "jwks_uri: not an https URL"},
		{"jwks_uri missing", func(f *fakeIssuer) { f.jwksURI = " " }, "jwks_uri"},
		{"JWKS status", func(f *fakeIssuer) { f.status = http.StatusForbidden }, "status 403"},
		{"JWKS too large", func(f *fakeIssuer) {
			f.jwks = append(bytes.Repeat([]byte(" "), strategies.MaxKeySetResponseBytes), f.jwks...)
		}, "body larger than"},
		{"JWKS not JSON", func(f *fakeIssuer) { f.jwks = []byte(secretBody) }, "JWKS is not a JSON object"},
		{"JWKS empty", func(f *fakeIssuer) { f.jwks = []byte(`{"keys":[]}`) }, "no usable signature key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifyNoLeaks(t)
			f := newFakeIssuer(t, &k.rsa.PublicKey)
			f.update(tt.edit)
			keys := newOIDCKeys(t, f, strategies.NewTestClockAt(jwtTestNow()))
			_, err := keys.Key(context.Background(), kubeKID(t, &k.rsa.PublicKey))
			switch {
			case !errors.Is(err, strategies.ErrKeysUnavailable):
				t.Errorf("error %v, want ErrKeysUnavailable", err)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			case strings.Contains(err.Error(), secretBody):
				t.Errorf("error %q quotes the response body", err)
			}
			if keys.Synced() {
				t.Error("Synced() = true")
			}
		})
	}
}

// TestOIDCKeySetKnownKidsDoNotWait: while a refresh hangs, requests with
// known kids are answered, and one with an unknown kid waits only as long
// as its context allows.
func TestOIDCKeySetKnownKidsDoNotWait(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	clock := strategies.NewTestClockAt(jwtTestNow())
	keys := newOIDCKeys(t, f, clock)
	kidA, kidB := kubeKID(t, &k.rsa.PublicKey), kubeKID(t, &k.rsa2.PublicKey)
	if _, err := keys.Key(context.Background(), kidA); err != nil {
		t.Fatal(err)
	}

	release, entered := make(chan struct{}), make(chan struct{}, 1)
	f.update(func(f *fakeIssuer) { f.release, f.entered = release, entered })
	clock.Advance(strategies.DefaultMinKeyRefreshInterval)
	f.setKeys(t, &k.rsa.PublicKey, &k.rsa2.PublicKey)
	waiting := make(chan error, 1)
	go func() {
		_, err := keys.Key(context.Background(), kidB)
		waiting <- err
	}()
	<-entered // the refresh is on the wire, held by the server

	done := make(chan error, 1)
	go func() {
		_, err := keys.Key(context.Background(), kidA)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("known kid during a refresh: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a known kid waited for the refresh")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The refresh is held until release, so returning at all, with the
	// context's error, shows the wait ended with the context.
	_, err := keys.Key(ctx, "never-published")
	if !errors.Is(err, strategies.ErrKeysUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unknown kid, context ending during the refresh: %v", err)
	}

	close(release)
	if err := <-waiting; err != nil {
		t.Errorf("the request that triggered the refresh: %v", err)
	}
	if n := f.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestOIDCKeySetStopsWithContext(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	ctx, cancel := context.WithCancel(context.Background())
	keys, err := strategies.OIDCKeySet(ctx, f.srv.URL, strategies.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Key(context.Background(), kubeKID(t, &k.rsa.PublicKey)); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The keys outlive the context until they are stale; new fetches
	// do not happen.
	if _, err := keys.Key(context.Background(), kubeKID(t, &k.rsa.PublicKey)); err != nil {
		t.Errorf("known kid after the context ended: %v", err)
	}
	if _, err := keys.Key(context.Background(), "unknown"); !errors.Is(err, strategies.ErrKeysUnavailable) {
		t.Errorf("unknown kid after the context ended: %v, want ErrKeysUnavailable", err)
	}
	// The goroutine check runs at cleanup, without Close.
}

func TestOIDCKeySetClose(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	keys, err := strategies.OIDCKeySet(context.Background(), f.srv.URL, strategies.WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	keys.Close()
	keys.Close()
	if _, err := keys.Key(context.Background(), "any"); !errors.Is(err, strategies.ErrKeysUnavailable) {
		t.Errorf("Key after Close: %v, want ErrKeysUnavailable", err)
	}
	// Closing with no fetch started, too.
	keys, err = strategies.OIDCKeySet(context.Background(), "https://issuer.invalid")
	if err != nil {
		t.Fatal(err)
	}
	keys.Close()
}

func TestOIDCKeySetRefusesRedirectToHTTP(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	redirect := httptest.NewTLSServer(http.RedirectHandler("http://"+strings.TrimPrefix(f.srv.URL, "https://")+"/.well-known/openid-configuration", http.StatusFound))
	t.Cleanup(redirect.Close)
	keys, err := strategies.OIDCKeySet(context.Background(), redirect.URL, strategies.WithHTTPClient(redirect.Client()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	if _, err := keys.Key(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "non-https") {
		t.Errorf("error %v, want the redirect refused", err)
	}
}

func TestOIDCKeySetConfig(t *testing.T) {
	verifyNoLeaks(t)
	var nilCtx context.Context
	tests := []struct {
		name    string
		ctx     context.Context
		issuer  string
		opts    []strategies.OIDCKeySetOption
		wantErr string
	}{
		{name: "defaults", issuer: "https://kubernetes.default.svc.cluster.local"},
		{name: "path and trailing slash", issuer: "https://oidc.example.com/id/ABC/"},
		{name: "nil context", ctx: nilCtx, issuer: "https://a.example", wantErr: "ctx is nil"},
		{name: "http", issuer: "http://127.0.0.1:8080", wantErr: "not an https URL"},
		{name: "not a URL", issuer: "kubernetes/serviceaccount", wantErr: "not an https URL"},
		{name: "query", issuer: "https://a.example/?x=1", wantErr: "without credentials, query or fragment"},
		{name: "credentials", issuer: "https://u:p@a.example", wantErr: "without credentials"},
		{name: "no host", issuer: "https:///path", wantErr: "HOST"},
		{name: "nil client", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithHTTPClient(nil)}, wantErr: "WithHTTPClient(nil)"},
		{name: "nil clock", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithClock(nil)}, wantErr: "WithClock(nil)"},
		{name: "JWKS origin", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithJWKSOrigins("https://172.18.0.2:6443")}},
		{name: "no JWKS origin", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithJWKSOrigins()}, wantErr: "at least one origin"},
		{name: "http JWKS origin", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithJWKSOrigins("http://172.18.0.2:6443")}, wantErr: "not an https URL"},
		{name: "nil option", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{nil}, wantErr: "option 0 is nil"},
		{name: "zero refresh", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithRefreshInterval(0)}, wantErr: "refresh interval 0s is not positive"},
		{name: "zero min refresh", issuer: "https://a.example", opts: []strategies.OIDCKeySetOption{strategies.WithMinRefreshInterval(0)}, wantErr: "minimum refresh interval 0s"},
		{
			name: "min refresh above refresh", issuer: "https://a.example",
			opts:    []strategies.OIDCKeySetOption{strategies.WithRefreshInterval(time.Minute), strategies.WithMinRefreshInterval(2 * time.Minute)},
			wantErr: "exceeds the refresh interval",
		},
		{
			name: "staleness not above refresh", issuer: "https://a.example",
			opts:    []strategies.OIDCKeySetOption{strategies.WithRefreshInterval(time.Hour), strategies.WithMaxStaleness(time.Hour)},
			wantErr: "must exceed the refresh interval",
		},
		{
			name: "all set", issuer: "https://a.example",
			opts: []strategies.OIDCKeySetOption{
				strategies.WithRefreshInterval(time.Minute), strategies.WithMinRefreshInterval(time.Second),
				strategies.WithMaxStaleness(10 * time.Minute), strategies.WithHTTPClient(http.DefaultClient),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil && tt.name != "nil context" {
				// Ended at once: the background fetch gives up at once.
				c, cancel := context.WithCancel(context.Background())
				cancel()
				ctx = c
			}
			keys, err := strategies.OIDCKeySet(ctx, tt.issuer, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr == "":
				keys.Close()
			case err == nil:
				keys.Close()
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// credentialSink is a TLS server that records the Authorization header of
// every request it gets, and serves a JWKS or redirects, as told.
type credentialSink struct {
	srv      *httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	auth     []string
}

func newCredentialSink(t *testing.T, handler http.Handler) *credentialSink {
	t.Helper()
	c := &credentialSink{}
	c.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		c.mu.Lock()
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		c.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// newJWKSSink is a credentialSink that serves a JWKS of pubs.
func newJWKSSink(t *testing.T, pubs ...crypto.PublicKey) *credentialSink {
	t.Helper()
	jwks := jwksJSON(t, pubs...)
	return newCredentialSink(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(jwks) }))
}

func (c *credentialSink) authorizations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.auth)
}

// bearerEverywhere is a client like rest.HTTPClientFor's: its transport
// adds the application's token to every request, whatever the host.
func bearerEverywhere(base *http.Client) *http.Client {
	c := *base
	next := c.Transport
	c.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer app-token")
		return next.RoundTrip(r)
	})
	return &c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOIDCKeySetJWKSOrigin: a discovery document naming a jwks_uri on
// another origin is refused, and nothing is fetched from there, unless
// that origin is allowed.
func TestOIDCKeySetJWKSOrigin(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	foreign := newJWKSSink(t, &k.rsa.PublicKey)
	f := newFakeIssuer(t, &k.rsa.PublicKey)
	f.update(func(f *fakeIssuer) { f.jwksURI = foreign.srv.URL + "/openid/v1/jwks" })
	kid := kubeKID(t, &k.rsa.PublicKey)

	keys := newOIDCKeys(t, f, strategies.NewTestClockAt(jwtTestNow()), strategies.WithHTTPClient(bearerEverywhere(f.srv.Client())))
	_, err := keys.Key(context.Background(), kid)
	if !errors.Is(err, strategies.ErrKeysUnavailable) || !strings.Contains(err.Error(), "neither the issuer's nor one allowed with WithJWKSOrigins") {
		t.Errorf("error %v, want the jwks_uri refused", err)
	}
	if n := foreign.requests.Load(); n != 0 {
		t.Errorf("the foreign origin got %d requests, want 0", n)
	}

	allowed := newOIDCKeys(t, f, strategies.NewTestClockAt(jwtTestNow()), strategies.WithJWKSOrigins(foreign.srv.URL))
	if _, err := allowed.Key(context.Background(), kid); err != nil {
		t.Errorf("allowed origin: %v", err)
	}
	if n := foreign.requests.Load(); n != 1 {
		t.Errorf("the allowed origin got %d requests, want 1", n)
	}
}

// TestOIDCKeySetRefusesCrossOriginRedirect: neither the discovery document
// nor the JWKS may redirect to another origin; the client's credentials,
// which its transport adds to every request, never reach that origin. A
// redirect within the origin is followed.
func TestOIDCKeySetRefusesCrossOriginRedirect(t *testing.T) {
	verifyNoLeaks(t)
	k := jwtTestKeys()
	kid := kubeKID(t, &k.rsa.PublicKey)
	foreign := newJWKSSink(t, &k.rsa.PublicKey)
	for _, tt := range []struct {
		name string
		// discovery and jwks answer the issuer's two paths; self is the
		// issuer's URL.
		discovery, jwks func(self string) http.Handler
		wantErr         string
	}{
		{
			name: "discovery redirected to another origin",
			discovery: func(string) http.Handler {
				return http.RedirectHandler(foreign.srv.URL+"/.well-known/openid-configuration", http.StatusFound)
			},
			wantErr: "redirect to another origin refused",
		},
		{
			name: "JWKS redirected to another origin",
			jwks: func(string) http.Handler {
				return http.RedirectHandler(foreign.srv.URL+"/openid/v1/jwks", http.StatusTemporaryRedirect)
			},
			wantErr: "redirect to another origin refused",
		},
		{
			name: "JWKS redirected within the origin",
			jwks: func(self string) http.Handler {
				return http.RedirectHandler(self+"/keys", http.StatusMovedPermanently)
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := foreign.requests.Load()
			var issuer *httptest.Server
			mux := http.NewServeMux()
			mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				if tt.discovery != nil {
					tt.discovery(issuer.URL).ServeHTTP(w, r)
					return
				}
				_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer.URL, "jwks_uri": issuer.URL + "/openid/v1/jwks"})
			})
			mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
				tt.jwks(issuer.URL).ServeHTTP(w, r)
			})
			mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write(jwksJSON(t, &k.rsa.PublicKey))
			})
			issuer = httptest.NewTLSServer(mux)
			t.Cleanup(issuer.Close)

			keys, err := strategies.OIDCKeySet(context.Background(), issuer.URL,
				strategies.WithHTTPClient(bearerEverywhere(issuer.Client())))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(keys.Close)
			_, err = keys.Key(context.Background(), kid)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n := foreign.requests.Load() - before; n != 0 {
				t.Errorf("the foreign origin got %d requests, want 0", n)
			}
			for _, a := range foreign.authorizations() {
				if a != "" {
					t.Errorf("the foreign origin saw Authorization %q", a)
				}
			}
		})
	}
}
