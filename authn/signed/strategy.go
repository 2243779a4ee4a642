package signed

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/jwtcheck"
	"github.com/authchain/authchain/internal/notbuilt"
)

// This file is the verification core every vendor shares; a vendor file
// says only what differs (header, issuer, claims).

// MaxAssertionLength bounds an assertion header's value; vendors' are
// under 2 KiB.
const MaxAssertionLength = 16 << 10

// vendor is what one proxy's assertions differ in.
type vendor struct {
	// name is the strategy's name and the Credential.Type.
	name   string
	header string
	// unsigned are the vendor's unsigned identity headers, which the chain
	// strips too so that no handler believes a forged one.
	unsigned []string
	// padded lets segments carry base64 padding, which ALB writes.
	padded bool
	// requireIAT refuses an assertion without iat.
	requireIAT bool
	// issuer reads the assertion's unverified issuer, which routes it.
	issuer func(header, claims map[string]any) string
	// checkHeader judges the vendor's own header fields before the
	// signature is checked; it returns a reason or "".
	checkHeader func(header, claims map[string]any) string
	// checkClaims judges verified claims; it returns a reason or "".
	checkClaims func(claims map[string]any) string
	// user maps verified claims to the User.
	user func(claims map[string]any) (authn.User, error)
}

// Strategy verifies one proxy's signed assertions. Build it with Pomerium,
// IAP, ALB or Teleport. It is safe for concurrent use.
type Strategy struct {
	v       vendor
	issuers []string
	// audiences are the accepted aud values; nil for a vendor without aud
	// (ALB, whose checkHeader pins signer and client instead).
	audiences []string
	algs      []string
	keys      jwks.KeySet
	boundKeys jwks.AlgorithmKeySet
	parser    *gojwt.Parser
	times     *gojwt.Validator
}

// build checks c against what v takes and returns the strategy.
func build(v vendor, c *config, keys jwks.KeySet, allowed []option, issuers, audiences []string) (*Strategy, error) {
	c.CheckKeys(keys)
	for _, o := range c.used {
		if !slices.Contains(allowed, o) {
			c.Errorf("%s does not apply to %s assertions", o, v.name)
		}
	}
	if err := errors.Join(c.Errs...); err != nil {
		return nil, err
	}
	parserOpts := []gojwt.ParserOption{gojwt.WithStrictDecoding()}
	if v.padded {
		parserOpts = append(parserOpts, gojwt.WithPaddingAllowed())
	}
	s := &Strategy{
		v:         v,
		issuers:   issuers,
		audiences: audiences,
		algs:      c.Algorithms,
		keys:      keys,
		parser:    gojwt.NewParser(parserOpts...),
		times:     jwtcheck.TimeValidator(&c.Options, gojwt.WithExpirationRequired()),
	}
	s.boundKeys, _ = keys.(jwks.AlgorithmKeySet)
	return s, nil
}

// newConfig returns the defaults of a vendor that signs with algs.
func newConfig(name string, algs ...string) config {
	c := config{Options: jwtcheck.NewOptions("signed: " + name + ": ")}
	c.Algorithms = algs
	return c
}

// apply runs opts on c.
func (c *config) apply(opts []Option) {
	for i, opt := range opts {
		if opt == nil {
			c.Errorf("option %d is nil", i)
			continue
		}
		opt(c)
	}
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by a vendor's constructor.
func (s *Strategy) Validate() error {
	if s == nil || s.keys == nil || s.parser == nil || s.times == nil || s.v.user == nil || len(s.issuers) == 0 {
		return notbuilt.Error("signed.Strategy", "signed.Pomerium, signed.IAP, signed.ALB or signed.Teleport")
	}
	return nil
}

// Name returns the vendor's name: "pomerium", "iap", "alb" or "teleport".
func (s *Strategy) Name() string { return s.v.name }

// Headers implements authn.HeaderReader: the chain strips the assertion
// header, and the vendor's unsigned identity headers, in every spelling,
// from every request, so that no handler sees a copy a client forged.
func (s *Strategy) Headers() []string { return append([]string{s.v.header}, s.v.unsigned...) }

// Authenticate implements authn.Strategy; see the vendor's constructor. It
// does not apply when the request carries no assertion, when a credential
// was already verified (the assertion is then ignored, and stripped), or
// when the assertion names an issuer this strategy was not configured for.
// It waits on the network only when the key set must fetch the key.
func (s *Strategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	token, err := readHeader(r.Header, s.v.header)
	switch {
	case err != nil:
		return authn.Reject(err.Error())
	case token == "":
		return authn.Skip("no " + s.v.header + " header")
	case sofar.Credential != nil:
		return authn.Skip("credential already verified")
	}
	user, cred, d, ok := s.verify(r.Context(), token)
	if !ok {
		return d
	}
	return bearer.Bind(sofar, nil, user, &cred, "assertion of "+s.v.name+" verified")
}

// readHeader reads the assertion strictly (see authn.TakeHeader) without
// removing it: another strategy for the same header, configured for
// another route, may be next.
func readHeader(h http.Header, name string) (string, error) {
	var mine http.Header
	for k, vs := range h {
		if authn.HeaderNameEqual(k, name) {
			if mine == nil {
				mine = http.Header{}
			}
			mine[k] = vs
		}
	}
	if mine == nil {
		return "", nil
	}
	return authn.TakeHeader(mine, name, MaxAssertionLength)
}

// verify checks token and returns what it proves; ok is false when d is
// the decision to return. No reason quotes the token or a claim.
func (s *Strategy) verify(ctx context.Context, token string) (authn.User, authn.Credential, authn.Decision, bool) {
	fail := func(d authn.Decision) (authn.User, authn.Credential, authn.Decision, bool) {
		return authn.User{}, authn.Credential{}, d, false
	}
	headerSeg, rest, _ := strings.Cut(token, ".")
	payloadSeg, sigSeg, ok := strings.Cut(rest, ".")
	var header, claims map[string]any
	if !ok || strings.IndexByte(sigSeg, '.') >= 0 || !s.decode(headerSeg, &header) || !s.decode(payloadSeg, &claims) {
		// The header is the vendor's alone: whatever it holds claims to
		// come from the proxy.
		return fail(authn.Reject("malformed assertion"))
	}
	iss := s.v.issuer(header, claims)
	if !slices.Contains(s.issuers, iss) {
		return fail(authn.Skip("assertion for another issuer"))
	}
	alg, _ := header["alg"].(string)
	if !slices.Contains(s.algs, alg) {
		return fail(authn.Reject("assertion signature algorithm not accepted"))
	}
	if _, ok := header["crit"]; ok {
		// No extension is understood, so none may be critical (RFC 7515).
		return fail(authn.Reject("assertion header has critical parameters"))
	}
	kid, ok := "", true
	if k, present := header["kid"]; present {
		if kid, ok = k.(string); !ok {
			return fail(authn.Reject("assertion header kid is not a string"))
		}
	}
	if s.v.checkHeader != nil {
		if reason := s.v.checkHeader(header, claims); reason != "" {
			return fail(authn.Reject(reason))
		}
	}
	if d, ok := s.signature(ctx, alg, kid, token[:len(headerSeg)+1+len(payloadSeg)], sigSeg); !ok {
		return fail(d)
	}
	// Only now are the claims the proxy's.
	if payload, err := s.parser.DecodeSegment(payloadSeg); err != nil {
		return fail(authn.Reject("malformed assertion"))
	} else if problem := jwtcheck.ClaimsProblem(payload); problem != "" {
		return fail(authn.Reject(problem))
	}
	mc := gojwt.MapClaims(claims)
	if err := s.times.Validate(mc); err != nil {
		return fail(authn.Reject(jwtcheck.TimeProblem(err)))
	}
	if s.v.requireIAT && claims["iat"] == nil {
		return fail(authn.Reject("assertion has no issue time"))
	}
	aud, err := mc.GetAudience()
	if err != nil {
		return fail(authn.Reject("malformed assertion"))
	}
	accepted := jwtcheck.AcceptedAudiences(aud, s.audiences)
	if s.audiences != nil && len(accepted) == 0 {
		return fail(authn.Reject("assertion audience not accepted"))
	}
	if s.v.checkClaims != nil {
		if reason := s.v.checkClaims(claims); reason != "" {
			return fail(authn.Reject(reason))
		}
	}
	user, err := s.v.user(claims)
	if err != nil {
		return fail(authn.Reject("assertion claims: " + err.Error()))
	}
	if reason := badName(user); reason != "" {
		return fail(authn.Reject("assertion claims map to a " + reason))
	}
	exp, _ := mc.GetExpirationTime()
	cred := authn.Credential{Type: s.v.name, Issuer: iss, Audiences: accepted, ExpiresAt: exp.UTC()}
	if jti, _ := claims["jti"].(string); jti != "" {
		cred.ID = "JTI=" + jti
	}
	return user, cred, authn.Decision{}, true
}

// decode decodes one segment into a JSON object.
func (s *Strategy) decode(seg string, into *map[string]any) bool {
	b, err := s.parser.DecodeSegment(seg)
	return err == nil && json.Unmarshal(b, into) == nil && *into != nil
}

// signature checks sig over data with the key kid names, bound to alg.
func (s *Strategy) signature(ctx context.Context, alg, kid, data, sigSeg string) (authn.Decision, bool) {
	key, keyAlg, err := s.key(ctx, kid)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey):
		return authn.Reject("assertion signed with an unknown key"), false
	case err != nil:
		return authn.Fail("signing keys unavailable", err), false
	case keyAlg != "" && keyAlg != alg:
		return authn.Reject(jwtcheck.ReasonKeyAlgorithmMismatch), false
	}
	sig, err := s.parser.DecodeSegment(sigSeg)
	if err != nil {
		return authn.Reject("malformed assertion"), false
	}
	// alg is one of s.algs, all registered with golang-jwt.
	if err := gojwt.GetSigningMethod(alg).Verify(data, sig, key); err != nil {
		return authn.Reject("assertion signature invalid"), false
	}
	return authn.Decision{}, true
}

func (s *Strategy) key(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	if s.boundKeys != nil {
		return s.boundKeys.KeyAndAlgorithm(ctx, kid)
	}
	key, err := s.keys.Key(ctx, kid)
	return key, "", err
}

// badName returns why u breaks the identity-name rule, or "": the chain
// checks its result too, but checking here names the assertion as the
// cause.
func badName(u authn.User) string {
	if err := authn.CheckUserName(u.Name); err != nil {
		return "user name that " + err.Error()
	}
	for _, g := range u.Groups {
		if err := authn.CheckGroupName(g); err != nil {
			return "group name that " + err.Error()
		}
	}
	for what, v := range map[string]string{"uid": u.UID, "email": u.Email} {
		if err := authn.CheckName(v); err != nil {
			return what + " that " + err.Error()
		}
	}
	for k, vs := range u.Extra {
		for _, v := range append([]string{k}, vs...) {
			if err := authn.CheckName(v); err != nil {
				return fmt.Sprintf("extra entry that %v", err)
			}
		}
	}
	return ""
}
