package jwks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"

	"github.com/authchain/authchain/internal/nilcheck"
	"github.com/authchain/authchain/internal/notbuilt"
	"github.com/authchain/authchain/internal/origin"
)

// This file holds the keys the jwt strategy verifies signatures with: a
// fixed set (Static) or a published set, kept current in the background
// (OIDC, found by discovery; URL, at a fixed address).

// KeySet gives the public keys that verify an issuer's tokens.
// Implementations must be safe for concurrent use.
type KeySet interface {
	// Key returns the verification key for kid, the token header's "kid"
	// ("" when the token has none, which only matches a set of exactly one
	// key). It returns an error wrapping ErrUnknownKey when the set has no
	// such key, and one wrapping ErrKeysUnavailable when it cannot tell
	// (the set has not been fetched, or is stale). An unknown kid may make
	// the set refresh itself first; see OIDCKeys.Key.
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// Errors a KeySet returns, to be told apart with errors.Is. The jwt strategy
// rejects a token whose key is unknown (401) and fails with 503 when keys are
// unavailable.
var (
	// ErrUnknownKey: the set, current as of its last refresh, has no key
	// with the token's kid.
	ErrUnknownKey = errors.New("jwks: unknown signing key")
	// ErrKeysUnavailable: no current key set could be obtained, so no
	// signature can be judged.
	ErrKeysUnavailable = errors.New("jwks: signing keys unavailable")
)

// Limits and defaults of key sets.
const (
	// DefaultRefreshInterval is how often OIDCKeys refetches the issuer's
	// keys, and so the longest a key removed from the issuer's set goes on
	// verifying when no unknown kid triggers an earlier refresh.
	DefaultRefreshInterval = 10 * time.Minute
	// DefaultMinRefreshInterval is the least time between two fetches of
	// the issuer's keys, however many unknown kids arrive.
	DefaultMinRefreshInterval = 10 * time.Second
	// DefaultMaxStaleness is how long OIDCKeys keeps using its last good
	// set while fetches fail.
	DefaultMaxStaleness = time.Hour
	// MaxResponseBytes bounds the discovery document and the JWKS.
	MaxResponseBytes = 1 << 20

	// MaxRefreshWait bounds how long a request with an unknown kid waits
	// for the refresh it triggered or joined.
	MaxRefreshWait = 5 * time.Second
	// keyFetchTimeout bounds one refresh (discovery and JWKS). It is longer
	// than MaxRefreshWait: a slow answer still serves later requests.
	keyFetchTimeout = 10 * time.Second
)

// AlgorithmKeySet is a KeySet that knows the algorithm each key was
// published for (a JWK's "alg", RFC 7517 section 4.4), as Static's and
// OIDCKeys do. It is apart from KeySet so that KeySet stays one method to
// implement; the jwt strategy uses it when its KeySet has it, and then
// refuses a token whose alg is not its key's.
type AlgorithmKeySet interface {
	KeySet
	// KeyAndAlgorithm is Key, and also returns the algorithm a token
	// verified with the key must use, or "" when any is allowed. Key and
	// algorithm come from one snapshot of the set, so that a refresh
	// between two lookups cannot pair a key with another's algorithm.
	KeyAndAlgorithm(ctx context.Context, kid string) (crypto.PublicKey, string, error)
}

var (
	_ AlgorithmKeySet = staticKeySet{}
	_ AlgorithmKeySet = (*OIDCKeys)(nil)
)

// verificationKey is a public key and the algorithm it is bound to ("" for
// none: a PEM key, or a JWK without "alg").
type verificationKey struct {
	key crypto.PublicKey
	alg string
}

// keyMap is an immutable set of verification keys by kid; it is replaced
// whole, never edited, so readers need no lock.
type keyMap struct {
	byID map[string]verificationKey
	// only is the key of a one-key set, which a token without a kid may
	// use; its key is nil otherwise.
	only verificationKey
}

func (m *keyMap) lookup(kid string) (verificationKey, bool) {
	if kid == "" {
		return m.only, m.only.key != nil
	}
	k, ok := m.byID[kid]
	return k, ok
}

func newKeyMap(byID map[string]verificationKey) *keyMap {
	m := &keyMap{byID: byID}
	if len(byID) == 1 {
		for _, k := range byID {
			m.only = k
		}
	}
	return m
}

// Static returns a KeySet holding the keys in data, which is either a
// JWKS document ({"keys":[…]}, as served at /openid/v1/jwks) or one or more
// PEM blocks of public keys ("PUBLIC KEY", "RSA PUBLIC KEY") or certificates
// ("CERTIFICATE", whose validity dates are not checked: the certificate only
// carries the key), such as the file given to kube-apiserver's
// --service-account-key-file.
//
// A PEM key's kid is the one kube-apiserver puts in the tokens it signs
// with that key: the unpadded base64url SHA-256 of the key's PKIX DER
// encoding. A token without a kid matches only a set of exactly one key.
//
// From a JWKS, the RSA, EC and Ed25519 keys meant for signatures are kept;
// keys of other types or uses, and keys that do not parse, are ignored
// (RFC 7517, section 5). A JWK with "alg" verifies only tokens whose
// header names that algorithm (RFC 7517, section 4.4); one without it, like
// a PEM key, verifies any algorithm jwt.ServiceAccount accepts that suits
// the key's type. Private key
// material, in either form, is an error rather than ignored: a verifier
// must never be handed a signing key. So are two keys with one kid, and a
// set without a usable key.
//
// The set never changes: Key returns ErrUnknownKey for a kid it lacks and
// never ErrKeysUnavailable.
func Static(data []byte) (KeySet, error) {
	data = bytes.TrimSpace(data)
	var (
		keys map[string]verificationKey
		err  error
	)
	switch {
	case len(data) == 0:
		return nil, errors.New("jwks: Static: no keys given")
	case data[0] == '{':
		keys, err = parseJWKS(data)
	default:
		keys, err = parsePEMKeys(data)
	}
	if err != nil {
		return nil, fmt.Errorf("jwks: Static: %w", err)
	}
	return staticKeySet{keys: newKeyMap(keys)}, nil
}

type staticKeySet struct{ keys *keyMap }

func (s staticKeySet) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	key, _, err := s.KeyAndAlgorithm(ctx, kid)
	return key, err
}

func (s staticKeySet) KeyAndAlgorithm(_ context.Context, kid string) (crypto.PublicKey, string, error) {
	if k, ok := s.keys.lookup(kid); ok {
		return k.key, k.alg, nil
	}
	return nil, "", ErrUnknownKey
}

// parseJWKS returns the signature keys of a JWKS document, with their
// "alg", by kid.
func parseJWKS(data []byte) (map[string]verificationKey, error) {
	// Keys are decoded one at a time so that one key of a type this package
	// does not know does not discard the set.
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not a JSON object: %s", boundedError(err))
	}
	if doc.Keys == nil {
		return nil, errors.New(`JWKS has no "keys" list`)
	}
	keys := make(map[string]verificationKey, len(doc.Keys))
	for i, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			// Unknown types, missing members, unsupported curves.
			continue
		}
		switch jwk.Key.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return nil, fmt.Errorf("JWKS key %d holds private key material", i)
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			// Symmetric ("oct") and other keys never verify these tokens.
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" || !jwk.Valid() {
			continue
		}
		if _, dup := keys[jwk.KeyID]; dup {
			return nil, fmt.Errorf("JWKS has two keys with kid %.100q", jwk.KeyID)
		}
		keys[jwk.KeyID] = verificationKey{key: jwk.Key, alg: jwk.Algorithm}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable signature key")
	}
	return keys, nil
}

// parsePEMKeys returns the public keys of PEM data by kid, bound to no
// algorithm.
func parsePEMKeys(data []byte) (map[string]verificationKey, error) {
	keys := make(map[string]verificationKey)
	for n := 1; ; n++ {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		data = rest
		var (
			key any
			err error
		)
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				key = cert.PublicKey
			}
		default:
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, fmt.Errorf("PEM block %d is a private key; give the public key", n)
			}
			// The type is not quoted: the file's text stays out of errors.
			return nil, fmt.Errorf("PEM block %d has an unsupported type; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", n)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %s", n, boundedError(err))
		}
		switch key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			return nil, fmt.Errorf("PEM block %d holds a %T, not an RSA, ECDSA or Ed25519 key", n, key)
		}
		kid, err := kubernetesKeyID(key)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		// A key given twice (as a key and in a certificate) is one key.
		keys[kid] = verificationKey{key: key}
	}
	switch {
	case len(bytes.TrimSpace(data)) > 0:
		return nil, errors.New("data is neither a JWKS document nor PEM blocks")
	case len(keys) == 0:
		return nil, errors.New("no PEM blocks found")
	}
	return keys, nil
}

// maxWrappedErrorLength bounds the message of a parser error passed on: a
// certificate's parser may quote a name from it, of any length.
const maxWrappedErrorLength = 120

// boundedError returns err's message cut to maxWrappedErrorLength bytes.
func boundedError(err error) string {
	msg := err.Error()
	if len(msg) > maxWrappedErrorLength {
		return strings.ToValidUTF8(msg[:maxWrappedErrorLength], "") + "…"
	}
	return msg
}

// kubernetesKeyID derives a key's kid the way kube-apiserver does for the
// tokens it signs: base64url (unpadded) of the SHA-256 of the PKIX DER.
func kubernetesKeyID(key any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Option configures OIDC and URL.
type Option func(*oidcConfig)

type oidcConfig struct {
	// constructor names OIDC or URL in errors.
	constructor  string
	client       *http.Client
	jwksOrigins  []string
	loopbackHTTP bool
	refresh      time.Duration
	minRefresh   time.Duration
	maxStaleness time.Duration
	now          func() time.Time
	errs         []error
}

func (c *oidcConfig) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("jwks: "+c.constructor+": "+format, args...))
}

// WithHTTPClient sets the client that fetches the discovery document and the
// keys. The default client trusts the system roots and sends no
// credentials, which suits a public issuer. The client is used as given,
// except that a redirect is followed only to the origin (scheme, host and
// port) of the request it answers, so that credentials the client attaches
// (in its transport, where no redirect rule of net/http reaches them) go
// only to the issuer and the JWKS origin.
//
// Give a client that sends credentials only to the issuer and the JWKS
// origin: never one that attaches an application token to every request,
// as rest.HTTPClientFor's does. In a cluster, where the API server serves
// discovery and keys only to authenticated ServiceAccounts by default (the
// system:service-account-issuer-discovery role) and under the cluster's CA,
// use kubecache.APIServerHTTPClient, which sends the pod's token to the API server
// alone.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *oidcConfig) {
		if c == nil {
			cfg.errorf("WithHTTPClient(nil)")
			return
		}
		cfg.client = c
	}
}

// WithOrigins allows the discovery document's jwks_uri on the given
// origins, each https://HOST[:PORT] (a path, query or fragment is refused),
// besides the issuer's own. By default
// jwks_uri must be on the issuer's origin: the JWKS decides which tokens
// verify, and the client may send credentials. kube-apiserver names its
// own address in jwks_uri (unless --service-account-jwks-uri says
// otherwise), which in a cluster is usually not the issuer's host: allow
// that origin here, and have the client send the token there
// (kubecache.APIServerHTTPClient's alsoAPIServer). Repeated calls add origins.
// URL refuses it: its JWKS URL names the one origin it fetches from.
func WithOrigins(origins ...string) Option {
	return func(c *oidcConfig) {
		if len(origins) == 0 {
			c.errorf("WithOrigins needs at least one origin")
		}
		for _, o := range origins {
			parsed, err := origin.ParseExact(o)
			if err != nil {
				c.errorf("WithOrigins(%.200q): %v", o, err)
				continue
			}
			if !slices.Contains(c.jwksOrigins, parsed) {
				c.jwksOrigins = append(c.jwksOrigins, parsed)
			}
		}
	}
}

// WithInsecureLoopbackHTTP lets URL fetch a JWKS URL over plain http when
// its host is localhost or a loopback address, for a demo or a test on one
// machine; redirects must still stay on that origin. Anything else on the
// network could swap the keys, so OIDC, and URL for any other host, refuse
// http with or without it.
func WithInsecureLoopbackHTTP() Option {
	return func(c *oidcConfig) { c.loopbackHTTP = true }
}

// WithRefreshInterval sets how often the keys are refetched in the
// background; the default is DefaultRefreshInterval. It bounds how long
// a key removed by the issuer goes on verifying. It must be positive,
// at least the minimum refresh interval and less than the maximum
// staleness, so that one failed fetch does not make the set stale.
func WithRefreshInterval(d time.Duration) Option {
	return func(c *oidcConfig) { c.refresh = d }
}

// WithMinRefreshInterval sets the least time between two fetches, which
// bounds the load tokens with made-up kids can put on the issuer; the
// default is DefaultMinRefreshInterval. It must be positive.
func WithMinRefreshInterval(d time.Duration) Option {
	return func(c *oidcConfig) { c.minRefresh = d }
}

// WithMaxStaleness sets how long after its fetch the last good set is still
// used while fetches fail; the default is DefaultMaxStaleness. Past it,
// Key returns ErrKeysUnavailable (and the strategy answers 503) rather than
// trust keys the issuer may have withdrawn.
func WithMaxStaleness(d time.Duration) Option {
	return func(c *oidcConfig) { c.maxStaleness = d }
}

// WithClock sets the clock that staleness and the refresh rate limit are
// measured with, for tests. Background refreshes are still timed by the
// real clock.
func WithClock(now func() time.Time) Option {
	return func(c *oidcConfig) {
		if now == nil {
			c.errorf("WithClock(nil)")
			return
		}
		c.now = now
	}
}

// OIDCKeys is a published key set kept current in the background: an
// issuer's, found through OIDC discovery (built with OIDC), or the one at a
// fixed JWKS URL (built with URL). It is safe for concurrent use.
type OIDCKeys struct {
	// issuer is the issuer given to OIDC, or the JWKS URL given to URL.
	issuer string
	// discoveryURL is "" for a set built with URL, whose jwksURI is fixed.
	discoveryURL string
	// jwksOrigins are the origins jwks_uri may name: the issuer's, then
	// those of WithOrigins.
	jwksOrigins  []string
	client       *http.Client
	ownsClient   bool
	refresh      time.Duration
	minRefresh   time.Duration
	maxStaleness time.Duration
	now          func() time.Time

	// ctx ends when the caller's context does or Close is called; fetches
	// run under it, never under a request's context.
	ctx    context.Context
	cancel context.CancelFunc

	// current is read without a lock, so that requests with known kids are
	// never held up by a fetch.
	current atomic.Pointer[keySnapshot]
	// fetches collapses concurrent refreshes into one.
	fetches singleflight.Group

	mu          sync.Mutex
	jwksURI     string    // from discovery ("" until found, or after a failed fetch), or fixed by URL
	lastAttempt time.Time // start of the last fetch, for the rate limit
	lastErr     error     // outcome of the last fetch
	closed      bool
	// running counts the background loop and fetches; Close waits for it.
	running sync.WaitGroup
}

// keySnapshot is one fetched set and when it was fetched.
type keySnapshot struct {
	keys      *keyMap
	fetchedAt time.Time
}

// OIDC returns the key set of issuer, an https URL: it GETs
// issuer/.well-known/openid-configuration, requires its "issuer" to equal
// issuer exactly, and GETs its "jwks_uri", which must be an https URL on
// the issuer's origin or one allowed with WithOrigins. Redirects are
// followed only within the origin of the request they answer. Both answers
// must be 200 and at most MaxResponseBytes; the JWKS is read as
// Static reads one, and errors never quote the bodies.
//
// It returns at once, without waiting for the first fetch, so that a
// process can start while the API server is down; until a set has been
// fetched, Key returns ErrKeysUnavailable. Synced reports when a set is
// current.
//
// Refreshing:
//   - a fetched set replaces the previous one whole: a key the issuer
//     removed stops verifying as soon as the new set is in;
//   - a background goroutine refetches every refresh interval, and retries
//     failures sooner, backing off from the minimum refresh interval;
//   - Key with an unknown kid (or while there is no current set) triggers a
//     refresh, shared by all concurrent callers and started at most once
//     per minimum refresh interval, and waits for it, at most 5 seconds;
//     calls with known kids never wait;
//   - while fetches fail, the last good set is used until the maximum
//     staleness after it was fetched, then Key fails with
//     ErrKeysUnavailable.
//
// The background goroutine stops when ctx ends or Close is called.
func OIDC(ctx context.Context, issuer string, opts ...Option) (*OIDCKeys, error) {
	c := oidcConfig{constructor: "OIDC"}
	issuerOrigin := ""
	if err := checkHTTPSURL(issuer); err != nil {
		c.errorf("issuer: %v", err)
	} else {
		issuerOrigin, _ = origin.Parse(issuer)
	}
	if err := c.apply(ctx, opts); err != nil {
		return nil, err
	}
	if c.loopbackHTTP {
		return nil, errors.New("jwks: OIDC: WithInsecureLoopbackHTTP applies to URL only")
	}
	k := c.keySet(issuer)
	k.discoveryURL = strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	k.jwksOrigins = append([]string{issuerOrigin}, c.jwksOrigins...)
	k.start(ctx)
	return k, nil
}

// URL returns the key set published at jwksURL, an https URL of a JWKS
// document, without OIDC discovery: for the proxies that publish a bare
// JWKS, such as Pomerium (each route's /.well-known/pomerium/jwks.json),
// Google IAP (https://www.gstatic.com/iap/verify/public_key-jwk) and
// Teleport (the proxy's /.well-known/jwks.json). Redirects are followed
// only within jwksURL's origin; WithOrigins is refused.
//
// The set is an OIDCKeys, and behaves as OIDC's does once discovery has
// named its JWKS: the same limits (MaxResponseBytes, errors that never
// quote the body), the same return without waiting for the first fetch,
// and the same refreshing, rate limit, staleness, Synced and Close. Its
// Issuer is jwksURL. WithInsecureLoopbackHTTP allows an http URL of this
// machine.
func URL(ctx context.Context, jwksURL string, opts ...Option) (*OIDCKeys, error) {
	c := oidcConfig{constructor: "URL"}
	if err := c.apply(ctx, opts); err != nil {
		return nil, err
	}
	if err := checkHTTPSURL(jwksURL); err != nil && !(c.loopbackHTTP && isLoopbackHTTPURL(jwksURL)) {
		if c.loopbackHTTP {
			err = errors.New("neither an https URL nor an http URL of localhost or a loopback address")
		}
		return nil, fmt.Errorf("jwks: URL: JWKS URL: %v", err)
	}
	if c.jwksOrigins != nil {
		return nil, errors.New("jwks: URL: WithOrigins applies to OIDC discovery only; the JWKS URL names its origin")
	}
	k := c.keySet(jwksURL)
	k.jwksURI = jwksURL
	k.start(ctx)
	return k, nil
}

// apply sets the defaults, applies opts and checks the result, with any
// error recorded before.
func (c *oidcConfig) apply(ctx context.Context, opts []Option) error {
	c.refresh, c.minRefresh, c.maxStaleness, c.now = DefaultRefreshInterval, DefaultMinRefreshInterval, DefaultMaxStaleness, time.Now
	if nilcheck.IsNil(ctx) {
		c.errorf("ctx is nil")
	}
	for i, opt := range opts {
		if opt == nil {
			c.errorf("option %d is nil", i)
			continue
		}
		opt(c)
	}
	switch {
	case c.refresh <= 0:
		c.errorf("refresh interval %v is not positive", c.refresh)
	case c.minRefresh <= 0:
		c.errorf("minimum refresh interval %v is not positive", c.minRefresh)
	case c.minRefresh > c.refresh:
		c.errorf("minimum refresh interval %v exceeds the refresh interval %v", c.minRefresh, c.refresh)
	case c.maxStaleness <= c.refresh:
		c.errorf("maximum staleness %v must exceed the refresh interval %v", c.maxStaleness, c.refresh)
	}
	return errors.Join(c.errs...)
}

// isLoopbackHTTPURL reports whether s is an http URL of localhost or a
// loopback address, without credentials, query or fragment.
func isLoopbackHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}

// keySet returns the key set c describes for source (an issuer or a JWKS
// URL), not yet started.
func (c *oidcConfig) keySet(source string) *OIDCKeys {
	k := &OIDCKeys{
		issuer:       source,
		refresh:      c.refresh,
		minRefresh:   c.minRefresh,
		maxStaleness: c.maxStaleness,
		now:          c.now,
	}
	if c.client != nil {
		k.client = sameOriginRedirects(c.client, c.loopbackHTTP)
	} else {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		k.client = sameOriginRedirects(&http.Client{Transport: transport}, c.loopbackHTTP)
		k.ownsClient = true
	}
	return k
}

// start begins the background refresh, which ends with ctx or Close.
func (k *OIDCKeys) start(ctx context.Context) {
	k.ctx, k.cancel = context.WithCancel(ctx)
	k.running.Add(1)
	go k.loop()
}

// checkHTTPSURL accepts an absolute https URL with a host and without user
// information, query or fragment.
func checkHTTPSURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https":
		return errors.New("not an https URL")
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return errors.New("must be https://HOST[/PATH] without credentials, query or fragment")
	}
	return nil
}

// sameOriginRedirects returns a copy of c that follows a redirect only to
// the origin of the request that started the chain, and never away from
// https (unless loopbackHTTP, and then only within an http loopback
// origin), before c's own redirect policy has its say. A redirect elsewhere
// would carry whatever credentials c's transport attaches.
func sameOriginRedirects(c *http.Client, loopbackHTTP bool) *http.Client {
	copied := *c
	next := c.CheckRedirect
	copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		switch {
		case req.URL.Scheme != "https" && !(loopbackHTTP && isLoopbackHTTPURL(req.URL.String())):
			return errors.New("redirect to a non-https URL refused")
		case len(via) > 0 && origin.Of(req.URL) != origin.Of(via[0].URL):
			return errors.New("redirect to another origin refused")
		case next != nil:
			return next(req, via)
		case len(via) >= 10:
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &copied
}

// Key implements KeySet. A kid of the current set is answered without
// waiting or locking. Otherwise Key triggers or joins a refresh (see
// OIDC), waits for it at most 5 seconds or until ctx ends, and looks
// again. It returns ErrUnknownKey when a current set lacks kid, and an error
// wrapping ErrKeysUnavailable when no set has been fetched, the set is
// stale, or the refresh failed or did not finish in time.
func (k *OIDCKeys) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	key, _, err := k.KeyAndAlgorithm(ctx, kid)
	return key, err
}

// KeyAndAlgorithm is Key, with the "alg" the issuer published for the key.
func (k *OIDCKeys) KeyAndAlgorithm(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	if snap := k.current.Load(); snap != nil && !k.stale(snap, k.now()) {
		if key, ok := snap.keys.lookup(kid); ok {
			return key.key, key.alg, nil
		}
	}
	if err := k.waitForRefresh(ctx); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	snap := k.current.Load()
	switch {
	case snap == nil:
		return nil, "", fmt.Errorf("%w: no key set fetched yet", ErrKeysUnavailable)
	case k.stale(snap, k.now()):
		return nil, "", fmt.Errorf("%w: key set fetched at %v is stale", ErrKeysUnavailable, snap.fetchedAt)
	}
	if key, ok := snap.keys.lookup(kid); ok {
		return key.key, key.alg, nil
	}
	return nil, "", ErrUnknownKey
}

// Synced reports whether a key set has been fetched and is not stale, for
// readiness checks.
func (k *OIDCKeys) Synced() bool {
	snap := k.current.Load()
	return snap != nil && !k.stale(snap, k.now())
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless k was built by OIDC or URL. jwt.ServiceAccount
// calls it.
func (k *OIDCKeys) Validate() error {
	if k == nil || k.client == nil || k.now == nil || k.ctx == nil || k.cancel == nil {
		return notbuilt.Error("OIDCKeys", "OIDC or URL")
	}
	return nil
}

// Close stops the background refresh and waits for it and any fetch in
// progress to end. Afterwards, as once the context given to OIDC or URL has
// ended, nothing is fetched: kids of the last set are answered until it is
// stale, and other kids get ErrKeysUnavailable. Close may be called more
// than once.
func (k *OIDCKeys) Close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.cancel()
	k.running.Wait()
	if k.ownsClient {
		k.client.CloseIdleConnections()
	}
}

func (k *OIDCKeys) stale(snap *keySnapshot, now time.Time) bool {
	return now.Sub(snap.fetchedAt) > k.maxStaleness
}

// errKeySetClosed ends refreshes after Close or the end of the context.
var errKeySetClosed = errors.New("key set closed")

// waitForRefresh triggers or joins a refresh and waits for it, at most
// MaxRefreshWait or until ctx ends. The refresh itself runs on, under
// k.ctx, if the wait is cut short.
func (k *OIDCKeys) waitForRefresh(ctx context.Context) error {
	ch := k.fetches.DoChan("fetch", k.fetchIfDue)
	timer := time.NewTimer(MaxRefreshWait)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the key set refresh: %w", ctx.Err())
	case <-timer.C:
		return errors.New("key set refresh did not finish in time")
	}
}

// fetchIfDue fetches the set unless the last fetch started less than the
// minimum refresh interval ago, in which case it returns that fetch's
// outcome. Callers run it through k.fetches, so fetches never overlap.
func (k *OIDCKeys) fetchIfDue() (any, error) {
	k.mu.Lock()
	if k.closed || k.ctx.Err() != nil {
		k.mu.Unlock()
		return nil, errKeySetClosed
	}
	now := k.now()
	if !k.lastAttempt.IsZero() && now.Sub(k.lastAttempt) < k.minRefresh {
		err := k.lastErr
		k.mu.Unlock()
		return nil, err
	}
	k.lastAttempt = now
	// Added under mu while not closed, so Close's Wait never races an Add.
	k.running.Add(1)
	k.mu.Unlock()
	defer k.running.Done()

	err := k.fetch()
	k.mu.Lock()
	k.lastErr = err
	k.mu.Unlock()
	return nil, err
}

// fetch discovers the JWKS URI if needed (never for a set built with URL),
// fetches the set and installs it.
func (k *OIDCKeys) fetch() error {
	ctx, cancel := context.WithTimeout(k.ctx, keyFetchTimeout)
	defer cancel()
	k.mu.Lock()
	uri := k.jwksURI
	k.mu.Unlock()
	if uri == "" {
		var err error
		if uri, err = k.discover(ctx); err != nil {
			return err
		}
	}
	body, err := k.get(ctx, uri, "application/jwk-set+json, application/json")
	var keys map[string]verificationKey
	if err == nil {
		keys, err = parseJWKS(body)
	}
	if k.discoveryURL != "" {
		k.mu.Lock()
		if err != nil {
			// The issuer may have moved its keys: discover again next time.
			k.jwksURI = ""
		} else {
			k.jwksURI = uri
		}
		k.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("fetching the JWKS of %s: %w", k.issuer, err)
	}
	k.current.Store(&keySnapshot{keys: newKeyMap(keys), fetchedAt: k.now()})
	return nil
}

// discover returns the JWKS URI from the issuer's discovery document.
func (k *OIDCKeys) discover(ctx context.Context) (string, error) {
	body, err := k.get(ctx, k.discoveryURL, "application/json")
	if err != nil {
		return "", fmt.Errorf("OIDC discovery for %s: %w", k.issuer, err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("OIDC discovery for %s: document is not a JSON object: %w", k.issuer, err)
	}
	if doc.Issuer != k.issuer {
		// Quoted in part only: the body is the issuer's, not ours to log.
		return "", fmt.Errorf("OIDC discovery for %s: document is for issuer %.200q", k.issuer, doc.Issuer)
	}
	if err := checkHTTPSURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("OIDC discovery for %s: jwks_uri: %v", k.issuer, err)
	}
	// checkHTTPSURL parsed it.
	u, _ := url.Parse(doc.JWKSURI)
	if o := origin.Of(u); !slices.Contains(k.jwksOrigins, o) {
		return "", fmt.Errorf("OIDC discovery for %s: jwks_uri is on origin %.200q, neither the issuer's nor one allowed with WithOrigins", k.issuer, o)
	}
	return doc.JWKSURI, nil
}

// get returns the body of a 200 answer to GET uri, at most
// MaxResponseBytes long. Errors name the status, never the body.
func (k *OIDCKeys) get(ctx context.Context, uri, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("GET %s: reading the body: %w", uri, err)
	case len(body) > MaxResponseBytes:
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", uri, MaxResponseBytes)
	}
	return body, nil
}

// loop refreshes the set every refresh interval, and after a failure
// sooner, backing off from the minimum refresh interval.
func (k *OIDCKeys) loop() {
	defer k.running.Done()
	backoff := k.minRefresh
	for {
		wait := k.refresh
		if _, err, _ := k.fetches.Do("fetch", k.fetchIfDue); err != nil {
			if errors.Is(err, errKeySetClosed) {
				return
			}
			wait, backoff = backoff, min(2*backoff, k.refresh)
		} else {
			backoff = k.minRefresh
		}
		// ±10% so that replicas started together do not fetch together.
		wait += time.Duration(rand.Int64N(int64(wait)/5+1)) - wait/10
		timer := time.NewTimer(wait)
		select {
		case <-k.ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}
