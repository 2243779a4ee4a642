package authnaudit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/decision"
	"github.com/authchain/authchain/internal/nilcheck"
)

// DefaultRequestIDHeader is the header the request id is read from unless
// WithRequestIDHeader says otherwise.
const DefaultRequestIDHeader = "X-Request-Id"

// The longest values an event records. A longer request or trace id is
// dropped, since a cut id names no request; a longer user agent is cut.
const (
	MaxIDLength        = 128
	MaxUserAgentLength = 256
)

// Option configures Wrap.
type Option func(*config) error

type config struct {
	requestIDHeader string
	traceID         func(context.Context) string
	now             func() time.Time
}

// WithRequestIDHeader reads the request id from the named header instead
// of X-Request-Id; "" records none. Wrap refuses a name that is not a valid
// header name, and the identity headers the chain strips (authn
// DefaultIdentityHeaders), Authorization, Proxy-Authorization and Cookie,
// whose values are secrets; it also refuses a header the wrapped
// authenticator says it strips (a StrippedHeaders method, as authn.Chain
// has), such as a proxy's shared-secret header. The id is read after the
// wrapped authenticator ran, so a header it strips is never recorded.
func WithRequestIDHeader(name string) Option {
	return func(c *config) error {
		if name == "" {
			c.requestIDHeader = ""
			return nil
		}
		if !authn.ValidHeaderName(name) {
			return fmt.Errorf("request id header %q is not a valid header name", name)
		}
		secret, _ := authn.NewHeaderSet("Authorization", "Proxy-Authorization", "Cookie")
		if secret.Contains(name) || authn.DefaultIdentityHeaders().Contains(name) {
			return fmt.Errorf("request id header %q carries credentials or identity; name another", name)
		}
		c.requestIDHeader = name
		return nil
	}
}

// WithTraceID records traceID(ctx) of the request's context as
// AnnotationTraceID, such as authntrace.TraceID, which reads the
// OpenTelemetry span. A value that breaks the identity-name rule or is
// longer than MaxIDLength is dropped.
func WithTraceID(traceID func(ctx context.Context) string) Option {
	return func(c *config) error {
		c.traceID = traceID
		return nil
	}
}

// WithClock sets the clock of the timestamps; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("the clock is nil")
		}
		c.now = now
		return nil
	}
}

// Authenticator is an authn.Authenticator that audits every decision of
// the one it wraps. It is safe for concurrent use if the wrapped one and
// the sink are.
type Authenticator struct {
	next authn.Authenticator
	sink Sink
	cfg  config
}

// Wrap returns an Authenticator that calls next, hands sink one Event per
// call and passes next's answer on unchanged.
//
// On success the Event's User is the credential holder: the acting
// ServiceAccount (its subject, system:serviceaccount:NS:NAME, and uid) if
// there is one, and ImpersonatedUser the effective user (name, uid,
// groups, extra); without a ServiceAccount User is the effective user and
// ImpersonatedUser is nil. User.Extra holds the verified credential's id
// (Credential.ID, "JTI=…") and the Pod and Node a token is bound to, under
// the keys Kubernetes uses. A refused request has an empty User, a
// ResponseStatus with the status the chi adapter answers and the refusal's
// Reason, and its Detail as AnnotationDetail. Every event carries the
// annotations above that apply and the Trace of strategy decisions.
//
// Never recorded: a token, the value of any header but User-Agent and the
// request id header (both checked with authn.CheckName and capped), the
// user's email, the query string, an error's Cause. Wrap refuses a nil next
// or sink, and an invalid option.
func Wrap(next authn.Authenticator, sink Sink, opts ...Option) (*Authenticator, error) {
	if nilcheck.IsNil(next) {
		return nil, errors.New("authnaudit: Wrap: the authenticator is nil")
	}
	if nilcheck.IsNil(sink) {
		return nil, errors.New("authnaudit: Wrap: the sink is nil")
	}
	a := &Authenticator{next: next, sink: sink, cfg: config{requestIDHeader: DefaultRequestIDHeader, now: time.Now}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&a.cfg); err != nil {
			return nil, fmt.Errorf("authnaudit: Wrap: %w", err)
		}
	}
	if s, ok := next.(interface{ StrippedHeaders() []string }); ok && a.cfg.requestIDHeader != "" {
		stripped, err := authn.NewHeaderSet(s.StrippedHeaders()...)
		if err == nil && stripped.Contains(a.cfg.requestIDHeader) {
			return nil, fmt.Errorf("authnaudit: Wrap: request id header %q is one the authenticator strips, a credential or identity; name another", a.cfg.requestIDHeader)
		}
	}
	return a, nil
}

// Authenticate implements authn.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	e := Event{
		Kind: Kind, APIVersion: APIVersion, Level: LevelMetadata,
		AuditID:                  newAuditID(),
		RequestURI:               r.URL.EscapedPath(),
		Verb:                     strings.ToLower(r.Method),
		SourceIPs:                peer(r.RemoteAddr),
		UserAgent:                capped(r.UserAgent(), MaxUserAgentLength),
		RequestReceivedTimestamp: a.cfg.now(),
		Annotations:              make(map[string]string, 8),
	}
	if a.cfg.traceID != nil {
		if id := checkedID(a.cfg.traceID(r.Context())); id != "" {
			e.Annotations[AnnotationTraceID] = id
		}
	}
	p, t, err := a.next.Authenticate(r)
	// Read after the chain ran: a header it strips (a proxy's shared
	// secret, say) is a credential, and is gone by now.
	if a.cfg.requestIDHeader != "" {
		if id := checkedID(r.Header.Get(a.cfg.requestIDHeader)); id != "" {
			e.Annotations[AnnotationRequestID] = id
		}
	}
	e.StageTimestamp = a.cfg.now()
	e.Trace = t
	describe(&e, p, decision.Summarize(p, t, err))
	a.sink.Audit(e)
	return p, t, err
}

// describe fills in who the event is about and how the run ended.
func describe(e *Event, p authn.Principal, s decision.Summary) {
	e.Annotations[AnnotationResult] = s.Result
	e.Annotations[AnnotationStrategy] = s.Strategy
	if s.Reason != "" {
		e.Annotations[AnnotationReason] = s.Reason
	}
	if s.Failed() {
		e.Stage = StageResponseStarted
		e.ResponseStatus = &ResponseStatus{Status: "Failure", Code: s.Status, Message: s.Reason, Reason: statusReason(s.Status)}
		if s.Detail != "" {
			e.Annotations[AnnotationDetail] = s.Detail
		}
		return
	}
	e.Stage = StageRequestReceived
	u := p.User.Clone() // the sink may keep or change what it gets
	effective := UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
	if p.Actor != nil {
		e.User = UserInfo{Username: p.Actor.Subject(), UID: p.Actor.UID}
		e.ImpersonatedUser = &effective
	} else {
		e.User = effective
	}
	if c := p.Credential; c != nil {
		e.Annotations[AnnotationCredentialType] = c.Type
		addExtra(&e.User, ExtraCredentialID, c.ID)
		if c.Pod != nil {
			addExtra(&e.User, ExtraPodName, c.Pod.Name)
			addExtra(&e.User, ExtraPodUID, c.Pod.UID)
		}
		if c.Node != nil {
			addExtra(&e.User, ExtraNodeName, c.Node.Name)
			addExtra(&e.User, ExtraNodeUID, c.Node.UID)
		}
	}
	e.Annotations[AnnotationVia] = strings.Join(p.Via, ",")
	if p.Synthetic {
		e.Annotations[AnnotationSynthetic] = "true"
	}
}

func addExtra(u *UserInfo, key, value string) {
	if value == "" {
		return
	}
	if u.Extra == nil {
		u.Extra = map[string][]string{}
	}
	u.Extra[key] = []string{value}
}

func statusReason(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	}
	return "InternalError"
}

// peer returns the IP of a "host:port" remote address, or nothing.
func peer(remoteAddr string) []string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil
	}
	return []string{ip.String()}
}

// checkedID returns id if it obeys the identity-name rule's format and is
// at most MaxIDLength bytes, and "" otherwise.
func checkedID(id string) string {
	if len(id) > MaxIDLength || authn.CheckName(id) != nil {
		return ""
	}
	return id
}

// capped cuts v to max bytes at a character boundary and returns it if it
// obeys the identity-name rule's format, and "" otherwise.
func capped(v string, max int) string {
	if len(v) > max {
		i := max
		for i > 0 && !utf8.RuneStart(v[i]) {
			i--
		}
		v = strings.TrimRight(v[:i], " ")
	}
	if authn.CheckName(v) != nil {
		return ""
	}
	return v
}

// newAuditID returns a random (version 4) UUID.
func newAuditID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails, as crypto/rand documents
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

var _ authn.Authenticator = (*Authenticator)(nil)
