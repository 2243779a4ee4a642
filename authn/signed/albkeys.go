package signed

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/notbuilt"
)

// Limits of ALBKeys.
const (
	// MaxALBKeyBytes bounds a fetched PEM key; a P-256 key is under 200.
	MaxALBKeyBytes = 4 << 10
	// ALBUnknownKeyTTL is how long a kid the endpoint did not know is
	// answered as unknown without asking again.
	ALBUnknownKeyTTL = time.Minute
	// albCacheSize bounds both the known keys and the unknown kids.
	albCacheSize = 1024
	// albFetchTimeout bounds one fetch, whatever the request's context.
	albFetchTimeout = 5 * time.Second
	// ALBFetchBurst and ALBFetchInterval bound the fetches of kids not
	// seen before: anyone who knows the load balancer's ARN can write
	// assertions with made-up kids, each of which would cost a request
	// to AWS. A key rotation needs one fetch.
	ALBFetchBurst    = 10
	ALBFetchInterval = time.Second
)

// albKid is the syntax of a kid before it goes into a URL: ALB's are
// UUIDs; anything else cannot name a key there.
var albKid = regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)

var albRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// ALBKeysOption configures ALBKeys.
type ALBKeysOption func(*ALBKeySet) error

// WithALBHTTPClient sets the client that fetches keys; the default trusts
// the system roots and sends no credentials. c must not be nil. A copy of
// it is used that follows no redirect.
func WithALBHTTPClient(c *http.Client) ALBKeysOption {
	return func(k *ALBKeySet) error {
		if c == nil {
			return errors.New("WithALBHTTPClient(nil)")
		}
		k.client = noRedirects(c)
		return nil
	}
}

// noRedirects returns a copy of c that follows no redirect: AWS serves the
// keys at the documented address, and a redirect elsewhere (to http, to
// another host) would let whoever answers there choose a key.
func noRedirects(c *http.Client) *http.Client {
	copied := *c
	copied.CheckRedirect = func(*http.Request, []*http.Request) error {
		return errors.New("signed: ALBKeys: redirect refused")
	}
	return &copied
}

// ALBKeySet is the public keys of one region's Application Load Balancers,
// fetched by kid. Build it with ALBKeys. It is safe for concurrent use.
type ALBKeySet struct {
	base   string
	client *http.Client
	now    func() time.Time
	fetch  singleflight.Group
	// fetches limits the fetches of new kids; see ALBFetchBurst.
	fetches *rate.Limiter

	mu      sync.Mutex
	known   map[string]*ecdsa.PublicKey
	unknown map[string]time.Time // kid → when it may be asked again
}

var _ jwks.KeySet = (*ALBKeySet)(nil)

// ALBKeys returns the key set of region (such as "eu-west-1"): the key of
// kid is the PEM public key at https://public-keys.auth.elb.REGION.amazonaws.com/KID
// (AWS's documented endpoint), fetched on first use and kept (a kid names
// one key for good). A kid that is not 1 to 128 letters, digits and '-' is
// unknown without a request, so nothing a client writes shapes the URL
// beyond that. A 404 or 403 makes the kid unknown for ALBUnknownKeyTTL; a
// key that is not a P-256 ECDSA key in PKIX PEM, or a body over
// MaxALBKeyBytes, is unknown too. Other answers and network errors are
// ErrKeysUnavailable (503), never cached. Concurrent look-ups of one kid
// share one fetch, which the request's context bounds, and at most 5
// seconds. Beyond ALBFetchBurst fetches, one more is made each
// ALBFetchInterval; a kid that would need another answers
// ErrKeysUnavailable without a request. The known keys and the unknown kids are kept apart, each at most
// 1024 and started over when full, so that made-up kids never evict a key.
func ALBKeys(region string, opts ...ALBKeysOption) (*ALBKeySet, error) {
	var errs []error
	if !albRegion.MatchString(region) {
		errs = append(errs, fmt.Errorf("region %.100q is not an AWS region such as eu-west-1", region))
	}
	k := &ALBKeySet{
		base:    "https://public-keys.auth.elb." + region + ".amazonaws.com/",
		client:  noRedirects(&http.Client{Timeout: albFetchTimeout}),
		now:     time.Now,
		known:   map[string]*ecdsa.PublicKey{},
		unknown: map[string]time.Time{},
		fetches: rate.NewLimiter(rate.Every(ALBFetchInterval), ALBFetchBurst),
	}
	for i, opt := range opts {
		if opt == nil {
			errs = append(errs, fmt.Errorf("option %d is nil", i))
			continue
		}
		if err := opt(k); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("signed: ALBKeys: %w", err)
	}
	return k, nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless k was built by ALBKeys.
func (k *ALBKeySet) Validate() error {
	if k == nil || k.client == nil || k.known == nil {
		return notbuilt.Error("signed.ALBKeySet", "signed.ALBKeys")
	}
	return nil
}

// Key implements jwks.KeySet; see ALBKeys.
func (k *ALBKeySet) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	if !albKid.MatchString(kid) {
		return nil, jwks.ErrUnknownKey
	}
	k.mu.Lock()
	key, known := k.known[kid]
	until, unknown := k.unknown[kid]
	k.mu.Unlock()
	switch {
	case known:
		return key, nil
	case unknown && k.now().Before(until):
		return nil, jwks.ErrUnknownKey
	}
	ch := k.fetch.DoChan(kid, func() (any, error) {
		if !k.fetches.Allow() {
			return nil, fmt.Errorf("%w: too many key fetches", jwks.ErrKeysUnavailable)
		}
		return k.get(kid)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*ecdsa.PublicKey), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", jwks.ErrKeysUnavailable, ctx.Err())
	}
}

// get fetches and records the key of kid. It runs under its own timeout,
// not a request's, so that a caller that gives up does not fail the others.
func (k *ALBKeySet) get(kid string) (*ecdsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), albFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.base+kid, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jwks.ErrKeysUnavailable, err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: key endpoint unreachable", jwks.ErrKeysUnavailable)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		return nil, k.forget(kid)
	default:
		return nil, fmt.Errorf("%w: key endpoint answered %d", jwks.ErrKeysUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxALBKeyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: key endpoint answer cut off", jwks.ErrKeysUnavailable)
	}
	key := parseALBKey(body)
	if key == nil {
		return nil, k.forget(kid)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.known) >= albCacheSize {
		// Real kids rotate slowly; a full cache starts over rather than
		// grow.
		clear(k.known)
	}
	k.known[kid] = key
	return key, nil
}

// forget records kid as unknown and returns jwks.ErrUnknownKey.
func (k *ALBKeySet) forget(kid string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.unknown) >= albCacheSize {
		clear(k.unknown)
	}
	k.unknown[kid] = k.now().Add(ALBUnknownKeyTTL)
	return jwks.ErrUnknownKey
}

// parseALBKey returns the P-256 key of a PKIX PEM block, or nil.
func parseALBKey(body []byte) *ecdsa.PublicKey {
	if len(body) > MaxALBKeyBytes {
		return nil
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil
	}
	return ec
}
