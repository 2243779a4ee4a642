package chiadapter

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/nilcheck"
)

// Option configures Authenticate. The Require* middlewares take no options:
// they answer with the configuration of the Authenticate in front of them.
type Option func(*config)

// config is built once per Authenticate call and only read afterwards, so
// one value is shared by all requests without locking.
type config struct {
	writeError func(w http.ResponseWriter, r *http.Request, err error)
	challenge  string // the whole WWW-Authenticate value, built once
	retryAfter string // whole seconds, formatted once
	observe    func(r *http.Request, p authn.Principal, t authn.Trace, err error)
}

func newConfig(opts []Option) *config {
	c := &config{writeError: WriteProblem, challenge: defaultChallenge, retryAfter: defaultRetryAfter}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	return c
}

// holdsNilError reports whether errors.As finds a nil *authn.Error in err:
// a writer or observer given err would find it too, and could panic on it.
func holdsNilError(err error) bool {
	if err == nil {
		return false
	}
	if ae, ok := err.(*authn.Error); ok {
		return ae == nil
	}
	return wrapsNilError(err)
}

// wrapsNilError is holdsNilError's errors.As, apart: the target it needs
// escapes to the heap, and only a wrapped error should pay for that.
func wrapsNilError(err error) bool {
	var ae *authn.Error
	return errors.As(err, &ae) && ae == nil
}

// fail answers an authentication or authorization error: it sets the headers
// the status calls for from the options, then lets the error writer write.
func (c *config) fail(w http.ResponseWriter, r *http.Request, err error) {
	setErrorHeaders(w.Header(), authn.StatusCode(err), c.challenge, c.retryAfter)
	c.writeError(w, r, err)
}

// WithErrorWriter replaces WriteProblem as the writer of error responses,
// for Authenticate and for the Require* middlewares behind it. When write is
// called the response already carries WWW-Authenticate (on 401), Retry-After
// (on 503), Cache-Control: no-store and X-Content-Type-Options: nosniff;
// write chooses the status and writes the body. err is an *authn.Error whose
// Cause is for logs, never for the client. A nil write keeps WriteProblem.
func WithErrorWriter(write func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(c *config) {
		if write != nil {
			c.writeError = write
		}
	}
}

// WithRealm sets the realm of the WWW-Authenticate: Bearer challenge sent
// with every 401; the default is "authchain". An empty realm sends a bare
// "Bearer" challenge. Quotes and backslashes are escaped. WithRealm panics if
// realm contains a control character, which would corrupt the header: the
// realm is configuration, so this is a programming error found at start-up.
func WithRealm(realm string) Option {
	challenge := bearerChallenge(realm)
	return func(c *config) { c.challenge = challenge }
}

func bearerChallenge(realm string) string {
	if realm == "" {
		return "Bearer"
	}
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	for i := 0; i < len(realm); i++ {
		ch := realm[i]
		switch {
		case ch < 0x20 && ch != '\t' || ch == 0x7f:
			panic("chiadapter: WithRealm: realm contains a control character")
		case ch == '"' || ch == '\\':
			b.WriteByte('\\') // a quoted-pair (RFC 9110, section 5.6.4)
		}
		b.WriteByte(ch)
	}
	b.WriteByte('"')
	return b.String()
}

// WithRetryAfter sets the Retry-After header sent with every 503; the
// default is 5s. It is written in whole seconds, rounded up, and never less
// than 1, so a client always waits before retrying.
func WithRetryAfter(d time.Duration) Option {
	secs := d / time.Second
	if d%time.Second > 0 {
		secs++
	}
	secs = max(secs, 1)
	retryAfter := strconv.FormatInt(int64(secs), 10)
	return func(c *config) { c.retryAfter = retryAfter }
}

// WithObserver calls observe once per request, right after the
// authenticator ran and before the next handler or the error writer, with
// the request (its identity headers already stripped, as the
// authn.Authenticator contract requires), the Principal (zero when err is
// not nil), the trace and the error.
// It is meant for logs and metrics. Nothing passed holds a token or a header
// value: the authn contract keeps them out of Principal, Trace and
// authn.Error.Reason; an error's Cause is meant for logs only. observe must
// not write to the response. A nil observe is ignored.
func WithObserver(observe func(r *http.Request, p authn.Principal, t authn.Trace, err error)) Option {
	return func(c *config) { c.observe = observe }
}

// configKey stores the *config of the Authenticate that admitted a request,
// so that Require* behind it answer the same way.
type configKey struct{}

// configFrom returns the configuration stored by Authenticate, or fallback.
func configFrom(ctx context.Context, fallback *config) *config {
	if c, ok := ctx.Value(configKey{}).(*config); ok {
		return c
	}
	return fallback
}

// Authenticate returns a middleware that authenticates every request with a,
// usually an *authn.Chain, or a wrapper of one (metrics, tracing, a chain
// chosen per route) that keeps the authn.Authenticator contract.
//
// On success the next handler gets the request with the Principal
// (authn.FromContext) and the trace (authn.TraceFromContext) in its context.
// On error the next handler is not called; the error writer (WriteProblem
// unless WithErrorWriter) answers with the status authn.StatusCode gives:
// 401 with WWW-Authenticate, 403, 503 with Retry-After, or 500. A success
// without a user (which a Chain never returns) is answered as a 401
// (authn.ErrUnauthenticated, strategy "authenticator"), and the Principal
// that comes with an error is dropped, so a wrapper that breaks the
// contract fails closed.
//
// The middleware logs nothing; use WithObserver. Authenticate panics if a
// is nil (or a nil pointer or function), and the middleware panics if next
// is nil: both are programming errors, found when the router is built
// rather than on the first request.
func Authenticate(a authn.Authenticator, opts ...Option) func(http.Handler) http.Handler {
	if nilcheck.IsNil(a) {
		panic("chiadapter: Authenticate needs an authenticator")
	}
	cfg := newConfig(opts)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("chiadapter: Authenticate: next handler is nil")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, trace, err := a.Authenticate(r)
			if holdsNilError(err) {
				// A nil *authn.Error in a non-nil error, however wrapped:
				// the authenticator broke its contract, and the request is
				// refused with an answer of its own.
				err = &authn.Error{Strategy: "authenticator", Kind: authn.ErrUnauthenticated, Reason: "authenticator returned a nil error value"}
			}
			switch {
			case err != nil:
				p = authn.Principal{}
			case p.User.IsZero():
				err = &authn.Error{Strategy: "authenticator", Kind: authn.ErrUnauthenticated, Reason: "no identity presented"}
			}
			if cfg.observe != nil {
				cfg.observe(r, p, trace, err)
			}
			if err != nil {
				cfg.fail(w, r, err)
				return
			}
			ctx := authn.NewRequestContext(r.Context(), p, trace)
			ctx = context.WithValue(ctx, configKey{}, cfg)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
