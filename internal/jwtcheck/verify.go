package jwtcheck

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

// Verifier checks the signature of tokens with a key set; it is safe for
// concurrent use.
type Verifier struct {
	keys jwks.KeySet
	// boundKeys is keys when it knows each key's algorithm, else nil.
	boundKeys  jwks.AlgorithmKeySet
	algorithms []string
	// parser decodes segments off the hot path; jws reads tokens on it.
	parser *gojwt.Parser
	jws    *jwsReader
	// ours reports whether an unverified iss is the strategy's.
	ours func(iss string) bool
}

// NewVerifier returns a Verifier of tokens whose iss ours accepts, signed
// with one of algorithms by a key of keys.
func NewVerifier(keys jwks.KeySet, algorithms []string, ours func(iss string) bool) *Verifier {
	v := &Verifier{
		keys:       keys,
		algorithms: algorithms,
		// Strict: a segment has one encoding, so a token has one spelling.
		parser: gojwt.NewParser(gojwt.WithStrictDecoding()),
		jws:    newJWSReader(),
		ours:   ours,
	}
	v.boundKeys, _ = keys.(jwks.AlgorithmKeySet)
	return v
}

// Built reports whether v came from NewVerifier, for Validate methods.
func (v *Verifier) Built() bool { return v != nil && v.keys != nil && v.parser != nil && v.jws != nil }

// Signed is what proved a token: the key its kid named, the algorithm,
// and the token without its signature (header.payload).
type Signed struct {
	Kid  string
	Key  crypto.PublicKey
	Alg  string
	Data string
	// Typ is the header's typ: "" when absent, not a string, or when the
	// header also spells the name in another case or with escapes.
	Typ string
}

// ReasonKeyAlgorithmMismatch is the reason for a token whose alg is not the
// one its key was published for.
const ReasonKeyAlgorithmMismatch = "token algorithm does not match its key"

// Signature parses token into claims unverified, so that its issuer routes
// it before anything is judged, then checks its header and signature.
// ok is false when d is the decision to return: Skip for a token that is
// not a JWT or not the strategy's issuer's, Reject for one of its issuer's
// that fails, Fail when the keys are unavailable. No reason quotes the
// token. claims are the issuer's only when ok.
func (v *Verifier) Signature(ctx context.Context, token string, claims gojwt.Claims) (s Signed, d authn.Decision, ok bool) {
	parsed, err := v.jws.parse(token, claims)
	defer v.jws.release(&parsed)
	if err != nil {
		return Signed{}, v.unparsable(token, err), false
	}
	if iss, _ := claims.GetIssuer(); !v.ours(iss) {
		return Signed{}, authn.Skip("token for another issuer"), false
	}
	alg := parsed.alg
	if !slices.Contains(v.algorithms, alg) {
		return Signed{}, authn.Reject("token signature algorithm not accepted"), false
	}
	if parsed.crit {
		// No extension is understood, so none may be critical (RFC 7515).
		return Signed{}, authn.Reject("token header has critical parameters"), false
	}
	kid := parsed.kid
	if parsed.hasKid && !parsed.kidString {
		return Signed{}, authn.Reject("token header kid is not a string"), false
	}
	key, keyAlg, err := v.key(ctx, kid)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey):
		return Signed{}, authn.Reject(ReasonUnknownKey), false
	case err != nil:
		return Signed{}, authn.Fail("signing keys unavailable", err), false
	case keyAlg != "" && keyAlg != alg:
		// An RS256 key must not verify a PS256 signature, say: the issuer
		// bound the key to one algorithm (RFC 7517, section 4.4).
		return Signed{}, authn.Reject(ReasonKeyAlgorithmMismatch), false
	}
	data := parsed.data
	if err := verifySignature(parsed.method, data, parsed.signed, parsed.signature, key); err != nil {
		return Signed{}, authn.Reject("token signature invalid"), false
	}
	// The claims were decoded with encoding/json's forgiving names; only
	// one reading of the signed payload may count.
	if parsed.claimsProblem != "" {
		return Signed{}, authn.Reject(parsed.claimsProblem), false
	}
	return Signed{Kid: kid, Key: key, Alg: alg, Data: data, Typ: parsed.typ}, authn.Decision{}, true
}

// Recheck judges a cached token's signing again: it is good only if the
// key set still gives the same key for its kid, bound to the same
// algorithm, so that rotation and staleness apply to it as to a new token.
func (v *Verifier) Recheck(ctx context.Context, s Signed) (authn.Decision, bool) {
	key, keyAlg, err := v.key(ctx, s.Kid)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey):
		return authn.Reject(ReasonUnknownKey), false
	case err != nil:
		return authn.Fail("signing keys unavailable", err), false
	case !sameKey(key, s.Key):
		// The kid now names another key, which did not sign the token.
		return authn.Reject("token signature invalid"), false
	case keyAlg != "" && keyAlg != s.Alg:
		// The issuer has since bound the key to another algorithm.
		return authn.Reject(ReasonKeyAlgorithmMismatch), false
	}
	return authn.Decision{}, true
}

// Payload decodes the verified payload of s as a map (numbers are
// float64), for claims checks and mappings.
func (v *Verifier) Payload(s Signed) (map[string]any, bool) {
	_, payload, _ := strings.Cut(s.Data, ".")
	b, err := v.parser.DecodeSegment(payload)
	var claims map[string]any
	if err == nil {
		err = json.Unmarshal(b, &claims)
	}
	// The parser read this payload already; an error cannot happen.
	return claims, err == nil
}

// CheckClaims hands the verified payload of s to check; a non-nil error's
// message is the rejection's reason.
func (v *Verifier) CheckClaims(s Signed, check func(map[string]any) error) (authn.Decision, bool) {
	claims, ok := v.Payload(s)
	if !ok {
		return authn.Reject("malformed token"), false
	}
	if err := check(claims); err != nil {
		return authn.Reject(err.Error()), false
	}
	return authn.Decision{}, true
}

// key returns the key for kid and the algorithm it is bound to, "" when
// keys does not say or the key has none.
func (v *Verifier) key(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	if v.boundKeys != nil {
		return v.boundKeys.KeyAndAlgorithm(ctx, kid)
	}
	key, err := v.keys.Key(ctx, kid)
	return key, "", err
}

// sameKey reports whether a and b are the same public key. A refetched set
// holds new values for unchanged keys, hence Equal.
func sameKey(a, b crypto.PublicKey) bool {
	if a == b {
		return true
	}
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// unparsable decides about a token golang-jwt could not parse: not the
// strategy's business unless it is a JWT from its issuer.
func (v *Verifier) unparsable(token string, err error) authn.Decision {
	iss, isJWT := v.peekIssuer(token)
	switch {
	case !isJWT:
		return authn.Skip("not a JWT")
	case !v.ours(iss):
		return authn.Skip("token for another issuer")
	case errors.Is(err, errUnverifiable):
		// The alg is missing or names no known algorithm.
		return authn.Reject("token signature algorithm not accepted")
	}
	return authn.Reject("malformed token")
}

// peekIssuer reports whether token is a JWS compact serialization whose
// header and payload are JSON objects, and its unverified iss if that is a
// string. It is called only for tokens the parser refused, so its cost is
// off the common path.
func (v *Verifier) peekIssuer(token string) (iss string, isJWT bool) {
	header, rest, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sig, '.') >= 0 {
		return "", false
	}
	var objects [2]map[string]json.RawMessage
	for i, seg := range [2]string{header, payload} {
		b, err := v.parser.DecodeSegment(seg)
		if err != nil || json.Unmarshal(b, &objects[i]) != nil || objects[i] == nil {
			return "", false
		}
	}
	// A non-string iss is no issuer's: the error leaves iss "".
	_ = json.Unmarshal(objects[1]["iss"], &iss)
	return iss, true
}

// Reasons of rejections that may not hold for long: the key set may
// catch up with a new kid, and a time not yet reached will be. The cache
// never remembers them (see NewCache).
const (
	ReasonUnknownKey     = "token signed with an unknown key"
	ReasonNotYetValid    = "token is not valid yet"
	ReasonIssuedInFuture = "token was issued in the future"
)

// TimeProblem names what a validator refused.
func TimeProblem(err error) string {
	switch {
	case errors.Is(err, gojwt.ErrTokenExpired):
		return "token has expired"
	case errors.Is(err, gojwt.ErrTokenNotValidYet):
		return ReasonNotYetValid
	case errors.Is(err, gojwt.ErrTokenUsedBeforeIssued):
		return ReasonIssuedInFuture
	case errors.Is(err, gojwt.ErrTokenRequiredClaimMissing):
		return "token has no expiry"
	}
	return "token has invalid time claims"
}

// TimeValidator checks exp, nbf and iat with o's skew and clock; required
// adds parser options such as gojwt.WithExpirationRequired.
func TimeValidator(o *Options, required ...gojwt.ParserOption) *gojwt.Validator {
	opts := []gojwt.ParserOption{gojwt.WithLeeway(o.Skew), gojwt.WithTimeFunc(o.Now), gojwt.WithIssuedAt()}
	return gojwt.NewValidator(append(opts, required...)...)
}

// AcceptedAudiences returns the configured audiences aud names, each once.
func AcceptedAudiences(aud, configured []string) []string {
	var accepted []string
	for _, a := range aud {
		if slices.Contains(configured, a) && !slices.Contains(accepted, a) {
			accepted = append(accepted, a)
		}
	}
	return accepted
}
