package strategies

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/nilcheck"
)

// This file holds what every bearer-token strategy shares: where a token is
// read from, and how a verified token's identity is joined to what the
// chain established before it.

// Header names a bearer token is read from.
const (
	AuthorizationHeader        = "Authorization"
	ForwardedAccessTokenHeader = "X-Forwarded-Access-Token"
)

// MaxTokenLength bounds a bearer token. Kubernetes tokens are 1–2 KiB;
// anything near this is hostile.
const MaxTokenLength = 16 << 10

// TokenSource says where bearer tokens are read from. The zero value reads
// only "Authorization: Bearer <token>" (the scheme is case-insensitive),
// which a caller reaching the API directly, or a proxy passing the token on
// (oauth2-proxy with --skip-jwt-bearer-tokens), sends.
type TokenSource struct {
	forwardedTrust TrustPolicy
	// forwarded matches ForwardedAccessTokenHeader in every spelling, for
	// removing a client's copy unread.
	forwarded authn.HeaderSet
}

// TokensFromAuthorization returns the default TokenSource.
func TokensFromAuthorization() TokenSource { return TokenSource{} }

// TokensAlsoFromForwardedAccessToken returns a TokenSource that also reads
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
// a policy that reads request headers, such as TrustSharedSecret, is refused,
// because the forwarded strategy strips those headers before a token
// strategy runs, and the trusted proxy's token would then be dropped unread.
func TokensAlsoFromForwardedAccessToken(trust TrustPolicy) (TokenSource, error) {
	switch {
	case nilcheck.IsNil(trust):
		return TokenSource{}, errors.New("strategies: TokensAlsoFromForwardedAccessToken needs a TrustPolicy")
	case len(trust.StrippedHeaders()) > 0:
		return TokenSource{}, errors.New("strategies: TokensAlsoFromForwardedAccessToken needs a trust policy that reads no request headers (CIDR or client certificate)")
	}
	forwarded, err := authn.NewHeaderSet(ForwardedAccessTokenHeader)
	if err != nil {
		return TokenSource{}, err
	}
	return TokenSource{forwardedTrust: trust, forwarded: forwarded}, nil
}

// Token returns the request's bearer token, "" when it carries none, or a
// reason (never containing the token) to reject the request: a repeated
// Authorization header, a malformed or over-long token, or two different
// tokens.
func (s TokenSource) Token(r *http.Request) (token, reason string) {
	token, reason = bearerFromAuthorization(r.Header[AuthorizationHeader])
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
// Bearer is not ours: "" and no reason.
func bearerFromAuthorization(values []string) (token, reason string) {
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
	if reason := tokenProblem(token); reason != "" {
		return "", "bearer token " + reason
	}
	return token, ""
}

// tokenProblem checks the token68 syntax of RFC 9110 section 11.2, so that
// no later parser sees spaces, control bytes or multi-byte text.
func tokenProblem(token string) string {
	switch {
	case token == "":
		return "is empty"
	case len(token) > MaxTokenLength:
		return "is too long"
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

// Bound-object kinds Kubernetes 1.37 puts in ServiceAccount tokens besides
// a Pod, Node or Secret, spelled as in the token's kubernetes.io claim and
// in a TokenReview's user extra (authentication.kubernetes.io/KIND-name and
// KIND-uid). A token bound to one of them is meant for an admission
// webhook; the token strategies refuse it unless told to accept the kind.
const (
	BoundValidatingWebhookConfiguration = "validatingwebhookconfiguration"
	BoundMutatingWebhookConfiguration   = "mutatingwebhookconfiguration"
)

// Reasons a token's binding is refused; fixed text.
const (
	reasonUncheckedBinding     = "token bound to an object kind this verifier does not check"
	reasonUncheckedAttestation = "token carries attestations without a binding this verifier accepts"
	reasonIncompleteBinding    = "token names a bound object without name and uid"
)

// reservedClaimKeys are the keys of the kubernetes.io claim that a bound-kind
// option may not name: the strategies read them themselves.
func reservedClaimKeys() []string {
	return []string{"namespace", "serviceaccount", "pod", "node", "secret", "warnafter", "attestations"}
}

// addBoundKinds returns kinds added to have, without repeats, once
// checkBoundKinds accepts them; it is the body of the bound-kind options.
func addBoundKinds(have, kinds []string) ([]string, error) {
	if err := checkBoundKinds(kinds); err != nil {
		return have, err
	}
	for _, k := range kinds {
		if !slices.Contains(have, k) {
			have = append(have, k)
		}
	}
	return have, nil
}

// checkBoundKinds validates the kinds given to a bound-kind option: lower
// case letters and digits, as Kubernetes spells them, and none the
// strategies read themselves.
func checkBoundKinds(kinds []string) error {
	if len(kinds) == 0 {
		return errors.New("needs at least one kind")
	}
	for _, k := range kinds {
		if k == "" || strings.TrimFunc(k, func(r rune) bool { return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' }) != "" {
			return fmt.Errorf("kind %.64q is not lower-case letters and digits, as Kubernetes names bound kinds", k)
		}
		if slices.Contains(reservedClaimKeys(), k) {
			return fmt.Errorf("kind %q is read by the strategy itself", k)
		}
	}
	return nil
}

// bindingsFrom turns the bound objects and attestations a verified token
// carries into the Credential's Bindings: every kind must be in accepted,
// every object must have a name and a uid, and attestations come only with
// such a binding. objects maps kinds to name and uid; the order of the
// result follows accepted. It returns the reason to refuse the token, or "".
func bindingsFrom(accepted []string, objects map[string]authn.BoundObject, attestations map[string][]string) ([]authn.Binding, string) {
	if len(objects) == 0 {
		if len(attestations) > 0 {
			return nil, reasonUncheckedAttestation
		}
		return nil, ""
	}
	var out []authn.Binding
	for _, kind := range accepted {
		o, ok := objects[kind]
		if !ok {
			continue
		}
		if o.Name == "" || o.UID == "" {
			return nil, reasonIncompleteBinding
		}
		b := authn.Binding{Kind: kind, Name: o.Name, UID: o.UID}
		if len(attestations) > 0 {
			b.Attestations = make(map[string][]string, len(attestations))
			for k, v := range attestations {
				b.Attestations[k] = slices.Clone(v)
			}
		}
		out = append(out, b)
	}
	if len(out) != len(objects) {
		return nil, reasonUncheckedBinding
	}
	return out, ""
}

// presentedToken is how every token strategy starts: a credential already
// verified by an earlier strategy leaves nothing to do, a malformed token is
// rejected, and no token is not applicable. ok reports that token is there
// to verify; otherwise d is the decision to return.
func presentedToken(src TokenSource, r *http.Request, sofar authn.Principal) (token string, d authn.Decision, ok bool) {
	if sofar.Credential != nil {
		return "", authn.Skip("credential already verified"), false
	}
	token, reason := src.Token(r)
	switch {
	case reason != "":
		return "", authn.Reject(reason), false
	case token == "":
		return "", authn.Skip("no bearer token"), false
	}
	return token, authn.Decision{}, true
}

// bindToken joins the identity a verified token proves to the Principal
// established so far, and is the one place the subject-binding rule lives:
//
//   - a token for a ServiceAccount, after a forwarded
//     system:serviceaccount:NS:NAME header, must name the same namespace and
//     name, and then becomes the Actor (with its uid) and clears User;
//   - after a forwarded human user, a ServiceAccount token is a conflict;
//   - a token for a user that is not a ServiceAccount (only TokenReview
//     returns those) must name the same user as a forwarded header, if any,
//     and that name must pass authn.CheckUserName;
//   - an Actor set earlier must be the same ServiceAccount, uid included.
//
// Any disagreement is a rejection: two proofs that disagree prove nothing.
// sa is nil when the token is not a ServiceAccount's; user is then the
// token's user.
func bindToken(sofar authn.Principal, sa *authn.ServiceAccount, user authn.User, cred *authn.Credential, reason string) authn.Decision {
	if sa == nil {
		switch {
		case sofar.Actor != nil:
			return authn.Reject("token user does not match the ServiceAccount already established")
		case !sofar.User.IsZero() && sofar.User.Name != user.Name:
			return authn.Reject("token user does not match the forwarded user")
		}
		if err := authn.CheckUserName(user.Name); err != nil {
			return authn.Reject("token user name " + err.Error())
		}
		p := sofar
		p.User, p.Credential = user, cred
		return authn.Contribute(p, reason)
	}
	actor := *sa
	switch {
	case sofar.Actor != nil:
		if sofar.Actor.Namespace != sa.Namespace || sofar.Actor.Name != sa.Name ||
			sofar.Actor.UID != "" && sofar.Actor.UID != sa.UID {
			return authn.Reject("token ServiceAccount does not match the ServiceAccount already established")
		}
		actor.Attributes = sofar.Actor.Attributes
		if !sofar.User.IsZero() {
			// Someone already resolved the human; keep it.
			p := sofar
			p.Actor, p.Credential = &actor, cred
			return authn.Contribute(p, reason)
		}
	case !sofar.User.IsZero():
		forwarded, err := authn.ParseServiceAccountSubject(sofar.User.Name)
		if err != nil {
			return authn.Reject("forwarded user does not match the token's ServiceAccount")
		}
		if forwarded.Namespace != sa.Namespace || forwarded.Name != sa.Name {
			return authn.Reject("forwarded ServiceAccount does not match the token's ServiceAccount")
		}
	}
	p := sofar
	p.User, p.Actor, p.Credential = authn.User{}, &actor, cred
	return authn.Contribute(p, reason)
}
