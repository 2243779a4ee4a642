package authn

import (
	"context"
	"fmt"
)

type (
	contextKey struct{}
	traceKey   struct{}
)

// requestContext is the context node that carries a request's Principal,
// its Trace, or both. It holds them by value and answers Value with
// pointers into itself, so that storing both costs one allocation and
// reading either costs none: context.WithValue would take one allocation
// per value, and boxing a Principal into an interface another
// (BenchmarkNewRequestContext).
type requestContext struct {
	context.Context
	principal Principal
	trace     Trace
	holds     uint8
}

const (
	holdsPrincipal uint8 = 1 << iota
	holdsTrace
)

func newRequestContext(parent context.Context, p Principal, t Trace, holds uint8) context.Context {
	if parent == nil {
		// As context.WithValue: a nil parent is a programming error.
		panic("authn: cannot create a context from a nil parent")
	}
	return &requestContext{Context: parent, principal: p, trace: t, holds: holds}
}

// Value answers the keys this node holds and asks the parent for the rest,
// as context.WithValue's node does.
func (c *requestContext) Value(key any) any {
	switch key.(type) {
	case contextKey:
		if c.holds&holdsPrincipal != 0 {
			return &c.principal
		}
	case traceKey:
		if c.holds&holdsTrace != 0 {
			return &c.trace
		}
	}
	return c.Context.Value(key)
}

func (c *requestContext) String() string {
	return fmt.Sprint(c.Context) + ".WithValue(authn)"
}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return newRequestContext(ctx, p, nil, holdsPrincipal)
}

// NewTraceContext returns a copy of ctx carrying the trace of the chain run
// that authenticated the request, for debugging endpoints and logs.
func NewTraceContext(ctx context.Context, t Trace) context.Context {
	return newRequestContext(ctx, Principal{}, t, holdsTrace)
}

// NewRequestContext returns a copy of ctx carrying p and t, as NewContext
// and NewTraceContext would one after the other, in one allocation: what an
// adapter calls for every authenticated request.
func NewRequestContext(ctx context.Context, p Principal, t Trace) context.Context {
	return newRequestContext(ctx, p, t, holdsPrincipal|holdsTrace)
}

// FromContext returns the Principal stored by NewContext or
// NewRequestContext (as the chi adapter does for every authenticated
// request) and whether there was one.
func FromContext(ctx context.Context) (Principal, bool) {
	if p, ok := ctx.Value(contextKey{}).(*Principal); ok {
		return *p, true
	}
	return Principal{}, false
}

// TraceFromContext returns the trace stored by NewTraceContext or
// NewRequestContext, or nil.
func TraceFromContext(ctx context.Context) Trace {
	if t, ok := ctx.Value(traceKey{}).(*Trace); ok {
		return *t
	}
	return nil
}
