package bearer

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/nilcheck"
)

// This file holds where a bearer token is read from, and the syntax every
// token must have before any strategy looks at it.

// Header names a bearer token is read from.
const (
	AuthorizationHeader        = "Authorization"
	ForwardedAccessTokenHeader = "X-Forwarded-Access-Token"
)

// MaxLength bounds a bearer token. Kubernetes tokens are 1–2 KiB;
// anything near this is hostile.
const MaxLength = 16 << 10

// Source says where bearer tokens are read from. The zero value reads
// only "Authorization: Bearer <token>" (the scheme is case-insensitive),
// which a caller reaching the API directly, or a proxy passing the token on
// (oauth2-proxy with --skip-jwt-bearer-tokens), sends.
type Source struct {
	forwardedTrust authn.TrustPolicy
	// forwarded matches ForwardedAccessTokenHeader in every spelling, for
	// removing a client's copy unread.
	forwarded authn.HeaderSet
}

// FromAuthorization returns the default Source.
func FromAuthorization() Source { return Source{} }

// AlsoFromForwardedAccessToken returns a Source that also reads
// X-Forwarded-Access-Token, but only on requests trust verifies came from
// the proxy. Configure it only if the proxy sets that header itself:
// oauth2-proxy overwrites it with --pass-access-token and otherwise passes a
// client's value through. On requests trust does not verify, the header is
// removed unread, in every spelling; on trusted ones, a non-canonical or
// repeated spelling is refused. Authorization is read first; when both
// carry a token they must be the same token. Once the strategies have run,
// a Chain strips the header from every request, trusted or not (it is one
// of authn.DefaultIdentityHeaders), so a handler never holds the token.
//
// trust must decide from the connection (peer address, client certificate):
// a policy that reads request headers (one whose StrippedHeaders is not
// empty, such as strategies.TrustSharedSecret) is refused,
// because the forwarded strategy strips those headers before a token
// strategy runs, and the trusted proxy's token would then be dropped unread.
func AlsoFromForwardedAccessToken(trust authn.TrustPolicy) (Source, error) {
	switch {
	case nilcheck.IsNil(trust):
		return Source{}, errors.New("bearer: AlsoFromForwardedAccessToken needs a TrustPolicy")
	case len(trust.StrippedHeaders()) > 0:
		return Source{}, errors.New("bearer: AlsoFromForwardedAccessToken needs a trust policy that reads no request headers (CIDR or client certificate)")
	}
	forwarded, err := authn.NewHeaderSet(ForwardedAccessTokenHeader)
	if err != nil {
		return Source{}, err
	}
	return Source{forwardedTrust: trust, forwarded: forwarded}, nil
}

// Headers lists the headers s reads: Authorization, and
// ForwardedAccessTokenHeader when s reads it. A token strategy returns them
// from its own Headers method (authn.HeaderReader), so that the chain
// strips them, in every spelling, from every request once the strategies
// have run: like Kubernetes' bearer-token authenticator, which deletes
// Authorization, it leaves no handler holding the token, to log or to pass
// on.
func (s Source) Headers() []string {
	if s.forwardedTrust == nil {
		return []string{AuthorizationHeader}
	}
	return []string{AuthorizationHeader, ForwardedAccessTokenHeader}
}

// Token returns the request's bearer token, "" when it carries none, or a
// reason (never containing the token) to reject the request: a repeated
// Authorization header, a malformed or over-long token, or two different
// tokens.
func (s Source) Token(r *http.Request) (token, reason string) { return s.token(r, true) }

// token is Token; with syntax false, an Authorization token's token68
// syntax is left to Cache.Get (see PresentedForCache).
func (s Source) token(r *http.Request, syntax bool) (token, reason string) {
	token, reason = bearerFromAuthorization(r.Header[AuthorizationHeader], syntax)
	if reason != "" || s.forwardedTrust == nil {
		return token, reason
	}
	// Every spelling counts ('_' for '-', any case), as for the forwarded
	// identity headers: something behind us may fold them together.
	var (
		values       []string
		spellings    int
		nonCanonical bool
	)
	for k, vs := range r.Header {
		if authn.HeaderNameEqual(k, ForwardedAccessTokenHeader) {
			values, spellings, nonCanonical = vs, spellings+1, nonCanonical || k != ForwardedAccessTokenHeader
		}
	}
	if spellings == 0 {
		return token, ""
	}
	if s.forwardedTrust.Verify(r) != nil {
		// A client's own value, passed through: never believed.
		s.forwarded.Strip(r.Header)
		return token, ""
	}
	switch {
	case nonCanonical:
		return "", ForwardedAccessTokenHeader + " header sent under a non-canonical name"
	case spellings > 1 || len(values) != 1:
		return "", "duplicate " + ForwardedAccessTokenHeader + " header"
	}
	forwarded := strings.TrimSpace(values[0])
	if reason := tokenProblem(forwarded); reason != "" {
		return "", ForwardedAccessTokenHeader + " " + reason
	}
	if token != "" && token != forwarded {
		return "", "Authorization and " + ForwardedAccessTokenHeader + " carry different tokens"
	}
	return forwarded, ""
}

// bearerFromAuthorization parses Authorization values. A scheme other than
// Bearer is not ours: "" and no reason. With syntax false only emptiness
// and MaxLength are checked, not the characters.
func bearerFromAuthorization(values []string, syntax bool) (token, reason string) {
	switch len(values) {
	case 0:
		return "", ""
	case 1:
	default:
		return "", "duplicate Authorization header"
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ""
	}
	token = strings.TrimSpace(rest)
	problem := tokenProblem
	if !syntax {
		problem = tokenSizeProblem
	}
	if reason := problem(token); reason != "" {
		return "", "bearer token " + reason
	}
	return token, ""
}

// tokenSizeProblem is the part of tokenProblem that costs no scan.
func tokenSizeProblem(token string) string {
	switch {
	case token == "":
		return "is empty"
	case len(token) > MaxLength:
		return "is too long"
	}
	return ""
}

// tokenProblem checks the token68 syntax of RFC 9110 section 11.2, so that
// no later parser sees spaces, control bytes or multi-byte text.
func tokenProblem(token string) string {
	if reason := tokenSizeProblem(token); reason != "" {
		return reason
	}
	end := len(token)
	for end > 0 && token[end-1] == '=' {
		end--
	}
	if end == 0 {
		return "is malformed"
	}
	for i := 0; i < end; i++ {
		c := token[i]
		if !(isAlnumByte(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return "is malformed"
		}
	}
	return ""
}

func isAlnumByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
