package authntrace

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/decision"
	"github.com/authchain/authchain/internal/nilcheck"
)

// ScopeName is the instrumentation scope of the tracer Wrap asks for.
const ScopeName = "github.com/authchain/authchain/authntrace"

// SpanName names the span of every run, whoever the user: a span name is
// an index in most back-ends, and a user name would make one per user.
const SpanName = "authchain.authenticate"

// EventName names the event recorded for each strategy decision.
const EventName = "authchain.decision"

// The attribute keys the span and its events carry.
const (
	// AttrResult: authenticated, unauthenticated, rejected, forbidden,
	// unavailable, or error (an error outside the authn contract).
	AttrResult = attribute.Key("authchain.result")
	// AttrStrategy: on the span, the strategy that refused, "chain" or
	// "authenticator", or on success the last one that contributed; on an
	// event, the strategy that decided.
	AttrStrategy = attribute.Key("authchain.strategy")
	// AttrOutcome: an event's decision, as authn.Outcome names it.
	AttrOutcome = attribute.Key("authchain.outcome")
	// AttrReason: the refusal's Reason on the span, the decision's on an
	// event.
	AttrReason = attribute.Key("authchain.reason")
	// AttrDetail: the decision's Detail, on an event, when not empty.
	AttrDetail = attribute.Key("authchain.detail")
	// AttrSynthetic: whether the user stands in for a ServiceAccount
	// (success only).
	AttrSynthetic = attribute.Key("authchain.synthetic")
	// AttrActor: whether a ServiceAccount acted (success only); not which.
	AttrActor = attribute.Key("authchain.actor")
	// AttrVia: the strategies that contributed (success only).
	AttrVia = attribute.Key("authchain.via")
	// AttrCredentialType: "jwt" or "tokenreview" when a token was verified.
	AttrCredentialType = attribute.Key("authchain.credential.type")
	// AttrStatusCode: the HTTP status of a refusal.
	AttrStatusCode = attribute.Key("authchain.status_code")
)

// Authenticator is an authn.Authenticator that traces the one it wraps.
// It is safe for concurrent use if the wrapped one is.
type Authenticator struct {
	next   authn.Authenticator
	tracer trace.Tracer
}

// Wrap returns an Authenticator that runs next inside a span named
// SpanName, started from the request's context so that it nests under the
// server's span, and hands next the request with the span in its context
// (so spans of a TokenReview or a key-set fetch nest under it). It passes
// next's answer on unchanged.
//
// The span carries AttrResult and AttrStrategy; on success AttrSynthetic,
// AttrActor, AttrVia and AttrCredentialType; on a refusal AttrReason and
// AttrStatusCode, the status Error with "RESULT: REASON" as description,
// and the refusal's Cause, if any, as an exception event. Each entry of
// the authn.Trace becomes an EventName event with AttrStrategy, AttrOutcome,
// AttrReason and AttrDetail. The events are added when next returns, in
// the order the strategies ran, so they all bear that time.
//
// Never recorded from the Principal: the user's name, groups, email, uid
// or extra, the ServiceAccount's namespace and name, the credential's id.
// Reasons and details are what the strategies wrote, which the authn
// contract keeps free of tokens and header values. Wrap refuses a nil next
// or tp.
func Wrap(next authn.Authenticator, tp trace.TracerProvider) (*Authenticator, error) {
	if nilcheck.IsNil(next) {
		return nil, errors.New("authntrace: Wrap: the authenticator is nil")
	}
	if nilcheck.IsNil(tp) {
		return nil, errors.New("authntrace: Wrap: the tracer provider is nil")
	}
	return &Authenticator{next: next, tracer: tp.Tracer(ScopeName)}, nil
}

// Authenticate implements authn.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	ctx, span := a.tracer.Start(r.Context(), SpanName, trace.WithSpanKind(trace.SpanKindInternal))
	defer span.End()
	if span.SpanContext().IsValid() {
		// The request shares r's header map, which the chain strips.
		r = r.WithContext(ctx)
	}
	p, t, err := a.next.Authenticate(r)
	if span.IsRecording() {
		record(span, p, t, err)
	}
	return p, t, err
}

func record(span trace.Span, p authn.Principal, t authn.Trace, err error) {
	for _, e := range t {
		attrs := make([]attribute.KeyValue, 0, 4)
		attrs = append(attrs, AttrStrategy.String(e.Strategy), AttrOutcome.String(e.Outcome.String()), AttrReason.String(e.Reason))
		if e.Detail != "" {
			attrs = append(attrs, AttrDetail.String(e.Detail))
		}
		span.AddEvent(EventName, trace.WithAttributes(attrs...))
	}
	s := decision.Summarize(p, t, err)
	span.SetAttributes(AttrResult.String(s.Result), AttrStrategy.String(s.Strategy))
	if !s.Failed() {
		span.SetAttributes(AttrSynthetic.Bool(p.Synthetic), AttrActor.Bool(p.Actor != nil), AttrVia.StringSlice(p.Via))
		if p.Credential != nil {
			span.SetAttributes(AttrCredentialType.String(p.Credential.Type))
		}
		return
	}
	span.SetAttributes(AttrReason.String(s.Reason), AttrStatusCode.Int(s.Status))
	if s.Cause != nil {
		span.RecordError(s.Cause)
	}
	span.SetStatus(codes.Error, s.Result+": "+s.Reason)
}

// TraceID returns the hex id of the trace the span in ctx belongs to, or ""
// when ctx holds no valid span; give it to authnaudit.WithTraceID so that
// audit events point at their trace.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

var _ authn.Authenticator = (*Authenticator)(nil)
