package assertion

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/authchain/authchain/authn"
)

// MaxAudienceLength bounds an audience.
const MaxAudienceLength = 256

// Errors of Signer.Sign. Their messages never quote the Principal or the
// audience.
var (
	// ErrNoPrincipal: the Principal has no user; an unauthenticated
	// request is never given an identity to pass on.
	ErrNoPrincipal = errors.New("assertion: no authenticated principal")
	// ErrInvalidPrincipal: the Principal cannot be written in the wire
	// format, such as a synthetic user without an Actor.
	ErrInvalidPrincipal = errors.New("assertion: principal cannot be asserted")
	// ErrInvalidAudience: the audience is empty, longer than
	// MaxAudienceLength, or holds a byte outside visible ASCII.
	ErrInvalidAudience = errors.New("assertion: invalid audience")
)

// Signer mints assertions for one issuer. Build it with NewSigner; it is
// safe for concurrent use.
type Signer struct {
	issuer   string
	keys     *KeyRing
	now      func() time.Time
	lifetime time.Duration
}

// NewSigner returns a Signer that names itself issuer (an absolute http or
// https URL, the "iss" a verifier is configured with) and signs with the
// current key of keys. Options: WithLifetime, WithClock.
func NewSigner(issuer string, keys *KeyRing, opts ...Option) (*Signer, error) {
	c := apply(opts)
	if u, err := url.Parse(issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" {
		c.errorf("issuer must be an absolute http or https URL without user, query or fragment")
	}
	if keys == nil || keys.current == nil {
		c.errorf("no KeyRing: build one with NewKeyRing")
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, fmt.Errorf("assertion: NewSigner: %w", err)
	}
	return &Signer{issuer: issuer, keys: keys, now: c.now, lifetime: c.lifetime}, nil
}

// Issuer returns the issuer the Signer names in "iss".
func (s *Signer) Issuer() string { return s.issuer }

// Sign returns an assertion of p for audience, in the wire format the
// package documents, signed with the ring's current key and valid from now
// for the Signer's lifetime. It returns ErrNoPrincipal when p has no user,
// and an error wrapping ErrInvalidPrincipal for a Principal no verifier
// would rebuild (a synthetic user without an Actor, an Actor without a
// namespace or name, a user name, group or attribute that breaks the
// identity-name rule: authn.CheckUserName or CheckSyntheticName,
// CheckGroupName, CheckName) or ErrInvalidAudience.
func (s *Signer) Sign(p authn.Principal, audience string) (string, error) {
	if p.User.IsZero() {
		return "", ErrNoPrincipal
	}
	if err := checkPrincipal(p); err != nil {
		return "", fmt.Errorf("%w: %s", ErrInvalidPrincipal, err)
	}
	if !validAudience(audience) {
		return "", ErrInvalidAudience
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("assertion: jti: %w", err)
	}
	now := s.now()
	body, err := json.Marshal(payload{
		registered: registered{
			Issuer:    s.issuer,
			Subject:   p.User.Name,
			Audience:  audience,
			IssuedAt:  now.Unix(),
			NotBefore: now.Unix(),
			ExpiresAt: now.Add(s.lifetime).Unix(),
			ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Claims: claimsFor(p),
	})
	if err != nil {
		return "", fmt.Errorf("assertion: encode: %w", err)
	}
	jws, err := s.keys.signing().signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("assertion: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// checkPrincipal says why p cannot be asserted, or returns nil: what a
// verifier would refuse is never signed, so that no assertion of a name
// outside the identity-name rule exists to be replayed somewhere laxer.
// Errors never quote p.
func checkPrincipal(p authn.Principal) error {
	if p.Synthetic && p.Actor == nil {
		return errors.New("a synthetic user without an Actor")
	}
	if a := p.Actor; a != nil && (a.Namespace == "" || a.Name == "") {
		return errors.New("an Actor without a namespace or name")
	}
	if p.Synthetic {
		if err := authn.CheckSyntheticName(p.User.Name); err != nil {
			return fmt.Errorf("a synthetic user name that %w", err)
		}
	} else if err := authn.CheckUserName(p.User.Name); err != nil {
		return fmt.Errorf("a user name that %w", err)
	}
	for _, g := range p.User.Groups {
		if err := authn.CheckGroupName(g); err != nil {
			return fmt.Errorf("a group that %w", err)
		}
	}
	for _, v := range []string{p.User.UID, p.User.Email} {
		if v == "" {
			continue
		}
		if err := authn.CheckName(v); err != nil {
			return fmt.Errorf("a user attribute that %w", err)
		}
	}
	for k, vs := range p.User.Extra {
		for _, v := range append([]string{k}, vs...) {
			if err := authn.CheckName(v); err != nil || v == "" {
				return errors.New("an extra key or value that breaks the identity-name rule")
			}
		}
	}
	return nil
}

// validAudience reports whether aud is 1 to MaxAudienceLength bytes of
// visible ASCII.
func validAudience(aud string) bool {
	if aud == "" || len(aud) > MaxAudienceLength {
		return false
	}
	for i := 0; i < len(aud); i++ {
		if aud[i] <= ' ' || aud[i] > '~' {
			return false
		}
	}
	return true
}
