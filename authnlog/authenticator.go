package authnlog

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/decision"
	"github.com/authchain/authchain/internal/nilcheck"
)

// The levels of the records. A success is the access log of
// authentication (Info). A 401 or 403 is a client's mistake or an attack,
// worth a look but not a page (Warn). A 503 or 500 means the service is
// failing every user it cannot verify, which the on-call must fix (Error).
const (
	LevelAuthenticated = slog.LevelInfo
	LevelRefused       = slog.LevelWarn
	LevelFailed        = slog.LevelError
)

// Option configures Wrap.
type Option func(*config)

type config struct {
	requestAttrs func(*http.Request) []slog.Attr
}

// WithRequestAttrs adds attrs(r) to every record, for what the caller
// knows to be safe to log about the request, such as its method and path.
// attrs sees the request after the chain stripped its identity headers,
// and is the caller's promise: the package itself reads nothing from the
// request but its context. A nil attrs adds nothing.
func WithRequestAttrs(attrs func(r *http.Request) []slog.Attr) Option {
	return func(c *config) { c.requestAttrs = attrs }
}

// Authenticator is an authn.Authenticator that logs every decision of the
// one it wraps. It is safe for concurrent use if the wrapped one is.
type Authenticator struct {
	next authn.Authenticator
	log  *slog.Logger
	cfg  config
}

// Wrap returns an Authenticator that calls next and then writes one record
// to log with the request's context (so a handler may add a request or
// trace id from it). It passes next's answer on unchanged.
//
// The record's message is "authenticated" or "refused", and its attributes:
//
//	result     authenticated, unauthenticated, rejected, forbidden,
//	           unavailable, or error (an error outside the authn contract)
//	strategy   the strategy that refused, "chain", "authenticator", or on
//	           success the last one that contributed
//	reason     the refusal's Reason, or the contribution's
//	user       the effective user's name (success only)
//	actor      the acting ServiceAccount's subject, system:serviceaccount:NS:NAME
//	           (success, when there is one)
//	synthetic  whether the user stands in for the ServiceAccount (success)
//	via        the strategies that contributed (success)
//	credential the verified token's Credential.ID (a JTI), when known
//	status     the HTTP status the chi adapter answers (refusals)
//	detail     the refusal's Detail, when not empty
//	cause      the refusal's Cause, when not nil
//	trace      the decisions of the strategies that ran (refusals)
//
// at LevelAuthenticated, LevelRefused (401, 403) or LevelFailed (503,
// 500). Detail and cause go to logs because operators need them and
// clients never see logs; the authn contract keeps tokens out of both.
// Never recorded: a token, a header value, the user's groups, extra, email
// or uid, and anything else about the request unless WithRequestAttrs adds
// it.
//
// Wrap refuses a nil next or log.
func Wrap(next authn.Authenticator, log *slog.Logger, opts ...Option) (*Authenticator, error) {
	if nilcheck.IsNil(next) {
		return nil, errors.New("authnlog: Wrap: the authenticator is nil")
	}
	if log == nil {
		return nil, errors.New("authnlog: Wrap: the logger is nil")
	}
	a := &Authenticator{next: next, log: log}
	for _, o := range opts {
		if o != nil {
			o(&a.cfg)
		}
	}
	return a, nil
}

// Authenticate implements authn.Authenticator: it calls the wrapped one,
// logs its decision and returns its answer.
func (a *Authenticator) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	p, t, err := a.next.Authenticate(r)
	a.record(r, p, t, err)
	return p, t, err
}

func (a *Authenticator) record(r *http.Request, p authn.Principal, t authn.Trace, err error) {
	s := decision.Summarize(p, t, err)
	level := LevelAuthenticated
	switch {
	case s.Status >= 500:
		level = LevelFailed
	case s.Failed():
		level = LevelRefused
	}
	ctx := r.Context()
	if !a.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("result", s.Result), slog.String("strategy", s.Strategy), slog.String("reason", s.Reason))
	msg := "authenticated"
	if s.Failed() {
		msg = "refused"
		attrs = append(attrs, slog.Int("status", s.Status))
		if s.Detail != "" {
			attrs = append(attrs, slog.String("detail", s.Detail))
		}
		if s.Cause != nil {
			attrs = append(attrs, slog.String("cause", s.Cause.Error()))
		}
		attrs = append(attrs, slog.Any("trace", t))
	} else {
		attrs = append(attrs, slog.String("user", p.User.Name))
		if p.Actor != nil {
			attrs = append(attrs, slog.String("actor", p.Actor.Subject()))
		}
		attrs = append(attrs, slog.Bool("synthetic", p.Synthetic), slog.Any("via", p.Via))
		if p.Credential != nil && p.Credential.ID != "" {
			attrs = append(attrs, slog.String("credential", p.Credential.ID))
		}
	}
	if a.cfg.requestAttrs != nil {
		attrs = append(attrs, a.cfg.requestAttrs(r)...)
	}
	a.log.LogAttrs(ctx, level, msg, attrs...)
}

var _ authn.Authenticator = (*Authenticator)(nil)
