package tokenreview

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/internal/boundkind"
	"github.com/authchain/authchain/internal/nilcheck"
	"github.com/authchain/authchain/internal/notbuilt"
	"github.com/authchain/authchain/internal/tokenbind"
)

// Defaults of the TokenReview options.
const (
	// Two minutes, as kube-apiserver's --authentication-token-webhook-cache-ttl:
	// long enough that a busy client costs one review every two minutes, short
	// enough that a deleted ServiceAccount's token stops working soon.
	defaultReviewSuccessTTL = 2 * time.Minute
	// Short, so that a token for a ServiceAccount created a moment ago is
	// not refused for long, yet a flood of bad tokens reaches the API
	// server at most once per token per ten seconds.
	defaultReviewFailureTTL = 10 * time.Second
	// Ten thousand entries of a few hundred bytes each: a few MB.
	defaultReviewCacheSize = 10_000
	// Invalid answers matter less: they spare the API server a repeated
	// bad token, and the rate limit bounds the rest.
	defaultReviewFailureCacheSize = 1_000
	defaultReviewTimeout          = 5 * time.Second
)

// Defaults of the TokenReview limits. A valid token costs one review per
// success TTL (2 minutes), so even ten thousand active clients need fewer
// than 100 reviews a minute once warm; the burst absorbs a restart of a
// busy service, whose clients are refused with 503 and Retry-After beyond
// it and come back served. In flight, ten reviews keep a slow API server
// from tying up more than ten requests at a time.
const (
	DefaultRate        = 20
	DefaultBurst       = 40
	DefaultMaxInFlight = 10
)

// ErrLimited is the Cause of the Fail (503) a request gets when no
// TokenReview may start for it: all in flight, or the rate spent.
var ErrLimited = errors.New("tokenreview: TokenReview limit reached")

// User extra keys the API server sets on ServiceAccount tokens.
const (
	extraCredentialID = "authentication.kubernetes.io/credential-id"
	extraPodName      = "authentication.kubernetes.io/pod-name"
	extraPodUID       = "authentication.kubernetes.io/pod-uid"
	extraNodeName     = "authentication.kubernetes.io/node-name"
	extraNodeUID      = "authentication.kubernetes.io/node-uid"
)

// Fixed reasons of TokenReview rejections. They are cached, so none of them
// may carry anything from the token or from the API server's answer.
const (
	reasonReviewNotAuthenticated = "token not authenticated"
	reasonReviewAudience         = "token not accepted for the configured audiences"
	reasonReviewNoUsername       = "TokenReview returned no username"
	reasonReviewMalformedSubject = "TokenReview returned a malformed ServiceAccount subject"
	reasonReviewAuthenticated    = "TokenReview authenticated the token"
	reasonReviewGroup            = "TokenReview returned a group that "
	reasonReviewExtra            = "TokenReview returned an extra key or value that "
	reasonReviewUID              = "TokenReview returned a uid that "
)

// Option configures New. Options are checked when New builds the
// strategy.
type Option func(*tokenReviewConfig)

type tokenReviewConfig struct {
	audiences []string
	// cache are the options of the cache of answers WithCacheTTL and
	// WithCacheSize forward, checked by bearer.NewCache.
	cache      []bearer.CacheOption
	timeout    time.Duration
	rate       float64
	burst      int
	inFlight   int
	opaque     bool
	boundKinds []string
	source     bearer.Source
	now        func() time.Time
	observer   bearer.CacheObserver
	onCall     func(code string)
	errs       []error
}

func (c *tokenReviewConfig) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("tokenreview: New: "+format, args...))
}

// WithAudiences sets the audiences a token must be valid for. It is
// required: they are sent in spec.audiences, and a token the API server
// accepts for none of them is rejected, so a token minted for another
// service (or for the API server itself) cannot be replayed here. Use an
// audience that names this service, and issue tokens for it with
// `kubectl create token --audience` or a projected volume's audience.
// Audiences must not be empty; repeated calls add to the list.
func WithAudiences(aud ...string) Option {
	return func(c *tokenReviewConfig) {
		if len(aud) == 0 {
			c.errorf("WithAudiences needs at least one audience")
			return
		}
		for _, a := range aud {
			switch {
			case a == "":
				c.errorf("WithAudiences: an audience is empty")
			case !slices.Contains(c.audiences, a):
				c.audiences = append(c.audiences, a)
			}
		}
	}
}

// WithCacheTTL sets how long answers are reused: success for a token
// the API server authenticated (default 2m, cut to the token's exp claim
// when the token is a JWT), failure for one it refused (default 10s). A
// deleted ServiceAccount's token keeps working for up to success; 0
// disables caching that kind of answer. Errors reaching the API server are
// never cached. Neither may be negative. It is bearer.WithTTL applied to
// the strategy's cache, and New reports what that refuses.
func WithCacheTTL(success, failure time.Duration) Option {
	return func(c *tokenReviewConfig) { c.cache = append(c.cache, bearer.WithTTL(success, failure)) }
}

// WithCacheSize bounds the number of cached answers: success for
// tokens the API server authenticated (default 10,000), failure for those
// it refused (default 1,000). The two are kept apart, so no number of bad
// tokens can evict a good token's answer; in each, the least recently used
// is evicted first. Both must be at least 1. It is bearer.WithSize
// applied to the strategy's cache, and New reports what that refuses.
func WithCacheSize(success, failure int) Option {
	return func(c *tokenReviewConfig) { c.cache = append(c.cache, bearer.WithSize(success, failure)) }
}

// WithRateLimit bounds how many TokenReviews start per second
// (default DefaultRate), with bursts of up to burst (default
// DefaultBurst). A request whose token is not cached and that finds
// the rate spent is not queued: it fails at once (503, which the chi
// adapter sends with Retry-After), so a flood of made-up tokens costs the
// API server at most this many reviews a second. Requests with cached
// tokens are not affected. perSecond must be positive and burst at least 1.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *tokenReviewConfig) {
		if !(perSecond > 0) || burst < 1 {
			c.errorf("WithRateLimit(%v, %d): the rate must be positive and the burst at least 1", perSecond, burst)
			return
		}
		c.rate, c.burst = perSecond, burst
	}
}

// WithMaxInFlight bounds the TokenReviews waiting for the API server
// at once (default DefaultMaxInFlight). As with the rate, a request
// that finds every slot taken fails at once with 503 rather than waiting
// for one. Concurrent requests with the same token share one review and
// one slot. n must be at least 1.
func WithMaxInFlight(n int) Option {
	return func(c *tokenReviewConfig) {
		if n < 1 {
			c.errorf("WithMaxInFlight(%d): must be at least 1", n)
			return
		}
		c.inFlight = n
	}
}

// InsecureOpaqueTokens also sends the API server tokens that are
// neither a JWS nor a bootstrap token, for clusters whose API server
// accepts opaque tokens (a static token file, a webhook token
// authenticator). Without it such a token is refused as "not a Kubernetes
// token" without an API call. It is insecure in that any string then costs
// a review, bounded only by WithRateLimit; MaxTokenLength
// still applies.
func InsecureOpaqueTokens() Option {
	return func(c *tokenReviewConfig) { c.opaque = true }
}

// WithBoundObjectKinds accepts ServiceAccount tokens bound to objects
// of the given kinds, such as bearer.BoundValidatingWebhookConfiguration,
// as the jwt strategy's jwt.WithBoundObjectKinds does. The API server reports a
// token's bindings in the user's extra (authentication.kubernetes.io/
// KIND-name and KIND-uid, attestation.authentication.kubernetes.io/NAME);
// without this option a ServiceAccount token with any extra key under
// those prefixes but the pod, node and credential-id keys is refused, and
// with it the binding and its attestations are recorded in
// Credential.Bindings. Repeated calls add kinds.
func WithBoundObjectKinds(kinds ...string) Option {
	return func(c *tokenReviewConfig) {
		var err error
		if c.boundKinds, err = boundkind.Add(c.boundKinds, kinds); err != nil {
			c.errorf("WithBoundObjectKinds: %v", err)
		}
	}
}

// WithTimeout bounds each TokenReview call (default 5s). A request
// waits at most this long for an answer, or less if its own context ends.
func WithTimeout(d time.Duration) Option {
	return func(c *tokenReviewConfig) {
		if d <= 0 {
			c.errorf("WithTimeout(%v): must be positive", d)
			return
		}
		c.timeout = d
	}
}

// WithTokenSource sets where the token is read from; the default is
// bearer.FromAuthorization().
func WithTokenSource(src bearer.Source) Option {
	return func(c *tokenReviewConfig) { c.source = src }
}

// WithClock sets the clock the cache TTLs and the rate limit are
// measured with; the default is time.Now. The call timeout always runs on
// the real clock.
func WithClock(now func() time.Time) Option {
	return func(c *tokenReviewConfig) {
		if now == nil {
			c.errorf("WithClock: now is nil")
			return
		}
		c.now = now
	}
}

// WithCacheObserver has o told of every look-up in the cache of answers
// and every review behind it (see bearer.WithObserver), for metrics. o
// must not be nil.
func WithCacheObserver(o bearer.CacheObserver) Option {
	return func(c *tokenReviewConfig) {
		if nilcheck.IsNil(o) {
			c.errorf("WithCacheObserver(nil)")
			return
		}
		c.observer = o
	}
}

// WithCallObserver has observe called once for every review the strategy
// makes or refuses to make, with its outcome, for metrics: the HTTP status
// the API server answered ("201" for an answer, authenticated or not;
// "403", "429", "500", …), or, when there was none, CodeLimited (refused
// by WithRateLimit or WithMaxInFlight, no call made), CodeTimeout,
// CodeCanceled or CodeError. The code never holds text from the answer.
// observe runs on the request path and must be quick; it must not be nil.
func WithCallObserver(observe func(code string)) Option {
	return func(c *tokenReviewConfig) {
		if observe == nil {
			c.errorf("WithCallObserver(nil)")
			return
		}
		c.onCall = observe
	}
}

// reviewedToken is what an authenticated TokenReview established, as
// cached: the arguments bearer.Bind needs.
type reviewedToken struct {
	// sa is the token's ServiceAccount, or nil when the token is a user's.
	sa   *authn.ServiceAccount
	user authn.User
	cred authn.Credential
}

// Strategy verifies bearer tokens by asking the API server (TokenReview)
// and caches the answers. Build it with New. It is safe for concurrent
// use.
type Strategy struct {
	client     authenticationv1client.TokenReviewInterface
	audiences  []string
	source     bearer.Source
	boundKinds []string
	cache      *bearer.Cache[reviewedToken]
	// rate and inFlight bound the reviews; both are tried, never waited
	// for.
	rate     *rate.Limiter
	inFlight *semaphore.Weighted
	now      func() time.Time
	// onCall is WithCallObserver's function, or nil.
	onCall func(code string)
}

// New returns the strategy named "tokenreview". Put it after the
// strategies that read forwarded headers and before
// strategies.CreatorAnnotation:
//
//   - when the Principal already has a Credential, another strategy
//     verified the token and it does not apply; likewise when the request
//     carries no bearer token (see bearer.Source); a malformed one is rejected;
//   - a token that cannot be a Kubernetes token is rejected without an API
//     call: longer than MaxTokenLength, or neither a JWS (three
//     base64url segments, the first a JSON object) nor a bootstrap token
//     (see InsecureOpaqueTokens);
//   - it asks the API server to review the token for the configured
//     audiences. A token the API server does not authenticate, or accepts
//     for none of those audiences, is rejected; an API server that cannot
//     be reached fails the request (503), with a Cause that names the
//     client error's type and any HTTP status and reason, never its
//     message, which may quote the request and so the token;
//   - reviews are bounded in flight and per second (WithMaxInFlight,
//     WithRateLimit); a request that would exceed either fails at
//     once (503, Cause ErrLimited) and is never queued;
//   - a user that is not a ServiceAccount must pass authn.CheckUserName,
//     and its uid, groups (which may be system: groups, since the API
//     server assigns them) and extra keys and values authn.CheckName;
//   - a ServiceAccount token bound to an object kind not accepted with
//     WithBoundObjectKinds is rejected;
//   - a ServiceAccount's token becomes the Actor, with its uid, and the
//     Credential (type "tokenreview", the credential id and the bound pod
//     and node, if any); a forwarded identity or an Actor established
//     before must name the same ServiceAccount, uid included. A token for
//     any other user becomes the User, which must match a forwarded user;
//   - answers are cached under a keyed MAC of the token, never the token: for
//     WithCacheTTL, never past a JWT's exp claim, with refusals in a
//     cache of their own (WithCacheSize), and concurrent requests
//     with the same uncached token share one review.
//
// Unlike the other strategies it calls the API server while answering, on a
// cache miss only and for at most WithTimeout. The client needs RBAC
// permission to create tokenreviews (system:auth-delegator grants it).
// Credential.ExpiresAt stays zero: TokenReview does not return the expiry,
// and a JWT's exp claim read without its signature is used only to shorten
// the cache TTL.
//
// Every request gets its own deep copy of a cached answer's User and
// Credential, so no handler can change what another request sees.
//
// It returns an error if client is nil (or holds a nil pointer), an option
// is invalid, or no audience is set.
func New(client authenticationv1client.TokenReviewInterface, opts ...Option) (*Strategy, error) {
	c := tokenReviewConfig{
		timeout:  defaultReviewTimeout,
		rate:     DefaultRate,
		burst:    DefaultBurst,
		inFlight: DefaultMaxInFlight,
		source:   bearer.FromAuthorization(),
		now:      time.Now,
	}
	if nilcheck.IsNil(client) {
		c.errorf("client is nil")
	}
	for i, opt := range opts {
		if opt == nil {
			c.errorf("option %d is nil", i)
			continue
		}
		opt(&c)
	}
	if len(c.audiences) == 0 {
		c.errorf("no audience: use WithAudiences, since a token accepted for any audience " +
			"may have been issued to another service")
	}
	s := &Strategy{
		client:     client,
		audiences:  c.audiences,
		source:     c.source,
		boundKinds: c.boundKinds,
		rate:       rate.NewLimiter(rate.Limit(c.rate), c.burst),
		inFlight:   semaphore.NewWeighted(int64(c.inFlight)),
		now:        c.now,
		onCall:     c.onCall,
	}
	cacheOpts := []bearer.CacheOption{
		bearer.WithSize(defaultReviewCacheSize, defaultReviewFailureCacheSize),
		bearer.WithTTL(defaultReviewSuccessTTL, defaultReviewFailureTTL),
		bearer.WithTimeout(c.timeout),
		bearer.WithClock(c.now),
		// Asked on a miss only: a token with a cached answer was one the
		// API server could judge.
		bearer.WithAdmission(func(token string) string { return shapeProblem(token, c.opaque) }),
	}
	cacheOpts = append(cacheOpts, c.cache...)
	if c.observer != nil {
		cacheOpts = append(cacheOpts, bearer.WithObserver(c.observer))
	}
	// Built before the errors are reported, so that a refused cache
	// option is reported with every other problem.
	cache, err := bearer.NewCache(s.review, cacheOpts...)
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("tokenreview: New: %w", err))
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Validate implements authn.Validator: it returns an error wrapping
// authn.ErrNotBuilt unless s was built by New.
func (s *Strategy) Validate() error {
	if s == nil || s.client == nil || s.cache == nil || s.rate == nil || s.inFlight == nil ||
		s.now == nil || len(s.audiences) == 0 {
		return notbuilt.Error("tokenreview.Strategy", "tokenreview.New")
	}
	return nil
}

// Name returns "tokenreview".
func (*Strategy) Name() string { return "tokenreview" }

// Headers implements authn.HeaderReader with the Headers of the strategy's
// bearer.Source: the chain strips Authorization (and
// X-Forwarded-Access-Token, when read), in every spelling, from every
// request, so that no handler holds the token.
func (s *Strategy) Headers() []string { return s.source.Headers() }

// Authenticate implements authn.Strategy; see New.
func (s *Strategy) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
	// The token goes to the cache alone, which checks its syntax on a miss.
	token, d, ok := s.source.PresentedForCache(r, sofar)
	if !ok {
		return d
	}
	ctx := r.Context()
	v, err := s.cache.Get(ctx, token, s.audiences)
	if err != nil {
		switch {
		case errors.Is(err, ErrLimited):
			return authn.Fail("too many TokenReviews; try again later", err)
		case ctx.Err() != nil:
			return authn.Fail("request ended before TokenReview answered", err)
		case errors.Is(err, context.DeadlineExceeded):
			return authn.Fail("TokenReview timed out", err)
		}
		return authn.Fail("TokenReview failed", err)
	}
	if v.Invalid != "" {
		return authn.Reject(v.Invalid)
	}
	// Deep copies per request, so that no Principal can change the cached
	// answer another request will get.
	actor, cred := tokenbind.PerRequest(v.Value.sa, &v.Value.cred)
	return tokenbind.Bind(sofar, actor, v.Value.user.Clone(), cred, reasonReviewAuthenticated)
}

// review asks the API server about token, within the limits; it is the
// cache's verify function, so its answer depends on token and audiences
// alone, and a refusal to start is an error, which is never cached.
func (s *Strategy) review(ctx context.Context, token string, audiences []string) (bearer.Verdict[reviewedToken], error) {
	if !s.inFlight.TryAcquire(1) {
		s.observeCall(CodeLimited)
		return bearer.Verdict[reviewedToken]{}, fmt.Errorf("%w: every in-flight slot is taken", ErrLimited)
	}
	defer s.inFlight.Release(1)
	if !s.rate.AllowN(s.now(), 1) {
		s.observeCall(CodeLimited)
		return bearer.Verdict[reviewedToken]{}, fmt.Errorf("%w: the rate is spent", ErrLimited)
	}
	tr, err := s.client.Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: slices.Clone(audiences)},
	}, metav1.CreateOptions{})
	if err != nil {
		s.observeCall(callErrorCode(err))
		return bearer.Verdict[reviewedToken]{}, reviewCallError(err)
	}
	if tr == nil {
		s.observeCall(CodeError)
		return bearer.Verdict[reviewedToken]{}, errors.New("TokenReview returned no object")
	}
	s.observeCall(codeCreated)
	st := &tr.Status
	// st.Error is not looked at: it may echo the token back.
	if !st.Authenticated {
		return rejectedToken(reasonReviewNotAuthenticated), nil
	}
	// The API server answers the intersection of the token's audiences and
	// ours; an empty answer means "valid for the API server", not for us.
	accepted := slices.DeleteFunc(slices.Clone(st.Audiences), func(a string) bool {
		return !slices.Contains(audiences, a)
	})
	if len(accepted) == 0 {
		return rejectedToken(reasonReviewAudience), nil
	}
	u := &st.User
	if u.Username == "" {
		return rejectedToken(reasonReviewNoUsername), nil
	}
	v := reviewedToken{cred: authn.Credential{
		Type:      "tokenreview",
		ID:        firstExtra(u.Extra, extraCredentialID),
		Audiences: accepted,
		Pod:       boundObject(u.Extra, extraPodName, extraPodUID),
		Node:      boundObject(u.Extra, extraNodeName, extraNodeUID),
	}}
	if authn.IsServiceAccountSubject(u.Username) {
		sa, err := authn.ParseServiceAccountSubject(u.Username)
		if err != nil {
			return rejectedToken(reasonReviewMalformedSubject), nil
		}
		bindings, reason := s.bindings(u.Extra)
		if reason != "" {
			return rejectedToken(reason), nil
		}
		sa.UID = u.UID
		v.sa, v.cred.Bindings = &sa, bindings
	} else {
		if reason := reviewedUserProblem(u); reason != "" {
			return rejectedToken(reason), nil
		}
		v.user = authn.User{Name: u.Username, UID: u.UID, Groups: slices.Clone(u.Groups), Extra: userExtra(u.Extra)}
	}
	return bearer.Verdict[reviewedToken]{Value: v, ExpiresAt: unverifiedJWTExpiry(token)}, nil
}

// reviewCallError stands in for an error of the TokenReview call. None of
// err's message is kept: client-go quotes the response body in it, and a
// gateway or proxy in front of the API server may answer with the request
// it could not pass on, token included. What is kept is fixed text, err's
// type, the HTTP status and reason of an API status error (the reason only
// when it is one apimachinery defines), and context.DeadlineExceeded or
// context.Canceled for errors.Is.
func reviewCallError(err error) error {
	msg := fmt.Sprintf("TokenReview call failed (%T)", err)
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		s := status.Status()
		msg += fmt.Sprintf(": HTTP %d, reason %s", s.Code, knownStatusReason(s.Reason))
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", msg, context.Canceled)
	}
	return errors.New(msg)
}

// knownStatusReason returns r if apimachinery defines it, and "Unknown"
// otherwise: a reason is the server's text, so only a known one is quoted.
func knownStatusReason(r metav1.StatusReason) string {
	switch r {
	case metav1.StatusReasonUnauthorized, metav1.StatusReasonForbidden, metav1.StatusReasonNotFound,
		metav1.StatusReasonAlreadyExists, metav1.StatusReasonConflict, metav1.StatusReasonGone,
		metav1.StatusReasonInvalid, metav1.StatusReasonServerTimeout, metav1.StatusReasonStoreReadError,
		metav1.StatusReasonTimeout, metav1.StatusReasonTooManyRequests, metav1.StatusReasonBadRequest,
		metav1.StatusReasonMethodNotAllowed, metav1.StatusReasonNotAcceptable,
		metav1.StatusReasonRequestEntityTooLarge, metav1.StatusReasonUnsupportedMediaType,
		metav1.StatusReasonInternalError, metav1.StatusReasonExpired, metav1.StatusReasonServiceUnavailable:
		return string(r)
	}
	return "Unknown"
}

// reviewedUserProblem applies the identity-name rule to a user that is not
// a ServiceAccount. The reasons name the field, never its value.
func reviewedUserProblem(u *authenticationv1.UserInfo) string {
	if err := authn.CheckUserName(u.Username); err != nil {
		return "token user name " + err.Error()
	}
	if err := authn.CheckName(u.UID); err != nil {
		return reasonReviewUID + err.Error()
	}
	for _, g := range u.Groups {
		if err := authn.CheckName(g); err != nil {
			return reasonReviewGroup + err.Error()
		}
	}
	for k, vs := range u.Extra {
		if err := authn.CheckName(k); err != nil {
			return reasonReviewExtra + err.Error()
		}
		for _, v := range vs {
			if err := authn.CheckName(v); err != nil {
				return reasonReviewExtra + err.Error()
			}
		}
	}
	return ""
}

// Extra key prefixes under which the API server describes a ServiceAccount
// token's bindings.
const (
	extraBindingPrefix     = "authentication.kubernetes.io/"
	extraAttestationPrefix = "attestation.authentication.kubernetes.io/"
)

// bindings reads the bound objects and attestations of a ServiceAccount
// token from the TokenReview's extra, and returns the Credential's Bindings
// or the reason to refuse the token: any key under the two prefixes but
// the credential id, pod and node keys must be KIND-name or KIND-uid of an
// accepted kind, or an attestation beside such a binding.
func (s *Strategy) bindings(extra map[string]authenticationv1.ExtraValue) ([]authn.Binding, string) {
	var (
		objects      map[string]authn.BoundObject
		attestations map[string][]string
	)
	for key, values := range extra {
		if name, ok := strings.CutPrefix(key, extraAttestationPrefix); ok {
			if attestations == nil {
				attestations = make(map[string][]string)
			}
			attestations[name] = slices.Clone([]string(values))
			continue
		}
		switch key {
		case extraCredentialID, extraPodName, extraPodUID, extraNodeName, extraNodeUID:
			continue
		}
		rest, ok := strings.CutPrefix(key, extraBindingPrefix)
		if !ok {
			continue // not the API server's binding vocabulary
		}
		kind, field := "", ""
		if k, ok := strings.CutSuffix(rest, "-name"); ok {
			kind, field = k, "name"
		} else if k, ok := strings.CutSuffix(rest, "-uid"); ok {
			kind, field = k, "uid"
		}
		if kind == "" || !slices.Contains(s.boundKinds, kind) {
			return nil, boundkind.ReasonUnchecked
		}
		if objects == nil {
			objects = make(map[string]authn.BoundObject)
		}
		o := objects[kind]
		if field == "name" {
			o.Name = firstExtra(extra, key)
		} else {
			o.UID = firstExtra(extra, key)
		}
		objects[kind] = o
	}
	return boundkind.Bindings(s.boundKinds, objects, attestations)
}

func rejectedToken(reason string) bearer.Verdict[reviewedToken] {
	return bearer.Verdict[reviewedToken]{Invalid: reason}
}

func firstExtra(extra map[string]authenticationv1.ExtraValue, key string) string {
	if v := extra[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// boundObject returns the object a token is bound to, from the extra keys
// the API server sets, or nil when it sets none.
func boundObject(extra map[string]authenticationv1.ExtraValue, nameKey, uidKey string) *authn.BoundObject {
	name := firstExtra(extra, nameKey)
	if name == "" {
		return nil
	}
	return &authn.BoundObject{Name: name, UID: firstExtra(extra, uidKey)}
}

func userExtra(extra map[string]authenticationv1.ExtraValue) map[string][]string {
	if len(extra) == 0 {
		return nil
	}
	out := make(map[string][]string, len(extra))
	for k, v := range extra {
		out[k] = slices.Clone([]string(v))
	}
	return out
}

// maxJWTExpiry is far enough that no real token reaches it, and small
// enough that converting seconds to time.Time cannot overflow.
const maxJWTExpiry = 1 << 40

// unverifiedJWTExpiry returns the exp claim of token if it is shaped like a
// signed JWT (three base64url parts, a JSON payload with a numeric exp),
// and the zero time otherwise. The signature is NOT checked, so the result
// may only shorten how long an answer about the token is trusted, never
// lengthen it or stand as a fact about the token.
func unverifiedJWTExpiry(token string) time.Time {
	header, rest, ok := strings.Cut(token, ".")
	if !ok || header == "" {
		return time.Time{}
	}
	payload, signature, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(signature, '.') >= 0 {
		return time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == nil {
		return time.Time{}
	}
	exp := *claims.Exp
	switch {
	case exp <= 0:
		// Before 1970: long expired, and still a bound.
		return time.Unix(0, 0)
	case exp > maxJWTExpiry:
		return time.Time{}
	}
	sec, frac := math.Modf(exp)
	return time.Unix(int64(sec), int64(frac*1e9))
}
