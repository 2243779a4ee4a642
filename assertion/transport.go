package assertion

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/authchain/authchain/authn"
)

// AssertionHeader carries an assertion to the downstream. It is not
// Authorization because that header authenticates the calling workload
// (its own ServiceAccount token, say), which a downstream may check
// beside the assertion, and because proxies on the way rewrite it.
const AssertionHeader = "Authchain-Assertion"

// Transport is an http.RoundTripper that sends each request with an
// assertion of the Principal in its context (authn.FromContext, as
// chiadapter stores it) in AssertionHeader, for an audience chosen per
// request. It never forwards an inbound identity: every header of
// authn.DefaultIdentityHeaders and AssertionHeader, in every spelling, is
// removed from the copy it sends, even when a handler copied the inbound
// headers into the outgoing request. Authorization is left as the caller
// set it. Build it with NewTransport; it is safe for concurrent use.
type Transport struct {
	signer    *Signer
	base      http.RoundTripper
	audience  func(*http.Request) string
	allowNone bool
	strip     authn.HeaderSet
}

// TransportOption configures NewTransport.
type TransportOption func(*transportConfig)

type transportConfig struct {
	base      http.RoundTripper
	audience  func(*http.Request) string
	audiences int
	allowNone bool
	errs      []error
}

// WithBase sets the RoundTripper that sends the requests; the default is
// http.DefaultTransport. rt must not be nil.
func WithBase(rt http.RoundTripper) TransportOption {
	return func(c *transportConfig) {
		if rt == nil {
			c.errs = append(c.errs, errors.New("WithBase(nil)"))
			return
		}
		c.base = rt
	}
}

// WithAudience makes every assertion for aud, a downstream that has one
// name whatever URL it is called by. Without WithAudience or
// WithAudienceFunc the audience is the origin of the request's URL,
// "https://runner.example.com" or "http://runner.ns.svc:8080", so that an
// assertion sent to one host is refused by another.
func WithAudience(aud string) TransportOption {
	return func(c *transportConfig) {
		if !validAudience(aud) {
			c.errs = append(c.errs, ErrInvalidAudience)
			return
		}
		c.audience = func(*http.Request) string { return aud }
		c.audiences++
	}
}

// WithAudienceFunc has audience choose each request's audience. An
// audience Sign refuses fails the request. audience must not be nil.
func WithAudienceFunc(audience func(*http.Request) string) TransportOption {
	return func(c *transportConfig) {
		if audience == nil {
			c.errs = append(c.errs, errors.New("WithAudienceFunc(nil)"))
			return
		}
		c.audience = audience
		c.audiences++
	}
}

// InsecureAllowNoPrincipal sends a request whose context has no Principal
// without an assertion (still stripped of identity headers) rather than
// failing it with ErrNoPrincipal. The downstream then sees an anonymous
// call, which code that forgot to pass the request's context makes by
// mistake; use it only for a client shared with anonymous calls.
func InsecureAllowNoPrincipal() TransportOption {
	return func(c *transportConfig) { c.allowNone = true }
}

// NewTransport returns a Transport minting with signer. It returns an
// error if signer is nil, an option is invalid, or both WithAudience and
// WithAudienceFunc are given.
func NewTransport(signer *Signer, opts ...TransportOption) (*Transport, error) {
	c := transportConfig{base: http.DefaultTransport, audience: origin}
	if signer == nil || signer.keys == nil {
		c.errs = append(c.errs, errors.New("no Signer: build one with NewSigner"))
	}
	for i, opt := range opts {
		if opt == nil {
			c.errs = append(c.errs, fmt.Errorf("option %d is nil", i))
			continue
		}
		opt(&c)
	}
	if c.audiences > 1 {
		c.errs = append(c.errs, errors.New("give one of WithAudience and WithAudienceFunc"))
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, fmt.Errorf("assertion: NewTransport: %w", err)
	}
	return &Transport{
		signer:    signer,
		base:      c.base,
		audience:  c.audience,
		allowNone: c.allowNone,
		strip:     outboundStripped(),
	}, nil
}

// outboundStripped is every header a request must not carry out of the
// service but the ones this package sets.
func outboundStripped() authn.HeaderSet {
	own, err := authn.NewHeaderSet(AssertionHeader)
	if err != nil {
		panic(err) // a constant
	}
	return authn.DefaultIdentityHeaders().Union(own)
}

// origin is the default audience: the scheme and host of the URL.
func origin(r *http.Request) string {
	return strings.ToLower(r.URL.Scheme + "://" + r.URL.Host)
}

// RoundTrip implements http.RoundTripper: it sends a stripped copy of req
// with an assertion, leaving req itself unchanged. A redirect that
// http.Client follows to another origin than the first request's is sent
// stripped and without an assertion. Without a Principal in
// the context it returns an error wrapping ErrNoPrincipal and sends
// nothing, unless InsecureAllowNoPrincipal was given.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if out.Header == nil {
		out.Header = http.Header{}
	}
	t.strip.Strip(out.Header)
	p, ok := authn.FromContext(req.Context())
	if !ok || p.User.IsZero() {
		if t.allowNone {
			return t.base.RoundTrip(out)
		}
		return nil, closeBody(req, ErrNoPrincipal)
	}
	if !sameOriginAsFirst(req) {
		// A redirect to another host (object storage, say) gets no
		// assertion: with a fixed audience it would be one for the first
		// host, which the new one could replay there.
		return t.base.RoundTrip(out)
	}
	token, err := t.signer.Sign(p, t.audience(req))
	if err != nil {
		return nil, closeBody(req, err)
	}
	out.Header.Set(AssertionHeader, token)
	return t.base.RoundTrip(out)
}

// sameOriginAsFirst reports whether req, when http.Client follows a
// redirect with it, goes to the origin of the request that started the
// chain of redirects; a first request always does.
func sameOriginAsFirst(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return origin(first) == origin(req)
}

// closeBody closes req's body, as a RoundTripper must even when it fails,
// and returns err.
func closeBody(req *http.Request, err error) error {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return err
}
