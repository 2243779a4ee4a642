package authn_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

type otherKey struct{}

// Each node answers only what it holds: a trace node does not hide the
// Principal of its parent, nor a Principal node its parent's trace, and
// other keys reach the parent.
func TestRequestContextLayers(t *testing.T) {
	alice := authn.Principal{User: authn.User{Name: "alice", Groups: []string{"dev"}}, Via: []string{"forwarded"}}
	trace := authn.Trace{{Strategy: "forwarded", Outcome: authn.Contributed}}
	parent := context.WithValue(context.Background(), otherKey{}, "kept")

	ctx := authn.NewTraceContext(authn.NewContext(parent, alice), trace)
	if p, ok := authn.FromContext(ctx); !ok || !cmp.Equal(p, alice) {
		t.Errorf("FromContext under a trace node = %+v, %v; want alice", p, ok)
	}
	if got := authn.TraceFromContext(ctx); !cmp.Equal(got, trace) {
		t.Errorf("TraceFromContext = %v, want %v", got, trace)
	}
	if ctx.Value(otherKey{}) != "kept" {
		t.Error("a parent's value is hidden")
	}

	bob := authn.Principal{User: authn.User{Name: "bob"}}
	both := authn.NewRequestContext(ctx, bob, nil)
	if p, _ := authn.FromContext(both); p.User.Name != "bob" {
		t.Errorf("the nearest Principal is %q, want bob", p.User.Name)
	}
	if got := authn.TraceFromContext(both); got != nil {
		t.Errorf("NewRequestContext with a nil trace shows %v, want nil", got)
	}

	if _, ok := authn.FromContext(authn.NewTraceContext(context.Background(), trace)); ok {
		t.Error("a trace alone reports a Principal")
	}
	if got := authn.TraceFromContext(authn.NewContext(context.Background(), alice)); got != nil {
		t.Errorf("a Principal alone reports trace %v", got)
	}
}

// A handler that edits the Principal it read edits its own copy.
func TestRequestContextCopies(t *testing.T) {
	ctx := authn.NewRequestContext(context.Background(), authn.Principal{User: authn.User{Name: "alice"}}, nil)
	p, _ := authn.FromContext(ctx)
	p.User.Name = "mallory"
	if again, _ := authn.FromContext(ctx); again.User.Name != "alice" {
		t.Errorf("after an edit of the copy, the context holds %q", again.User.Name)
	}
}

// Cancellation passes through the node: a child of it is cancelled with
// the parent.
func TestRequestContextCancellation(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	child, stop := context.WithCancel(authn.NewRequestContext(parent, authn.Principal{}, nil))
	defer stop()
	cancel()
	<-child.Done()
	if child.Err() != context.Canceled {
		t.Errorf("child error %v, want context.Canceled", child.Err())
	}
}

func TestRequestContextNilParent(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a nil parent did not panic")
		}
	}()
	//lint:ignore SA1012 a nil parent is the case under test
	authn.NewContext(nil, authn.Principal{}) //nolint:staticcheck
}

// Storing a request's Principal and trace takes one allocation, and
// reading them back none.
func TestRequestContextAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation guard: not under -short or -race")
	}
	p := authn.Principal{User: authn.User{Name: "alice"}}
	trace := authn.Trace{{Strategy: "forwarded"}}
	if n := testing.AllocsPerRun(100, func() {
		ctxSink = authn.NewRequestContext(context.Background(), p, trace)
	}); n != 1 {
		t.Errorf("NewRequestContext: %v allocations, want 1", n)
	}
	ctx := authn.NewRequestContext(context.Background(), p, trace)
	if n := testing.AllocsPerRun(100, func() {
		authn.FromContext(ctx)
		authn.TraceFromContext(ctx)
	}); n != 0 {
		t.Errorf("reading back: %v allocations, want 0", n)
	}
}

var ctxSink context.Context

func BenchmarkNewRequestContext(b *testing.B) {
	p := authn.Principal{User: authn.User{Name: "alice"}, Via: []string{"forwarded"}}
	trace := authn.Trace{{Strategy: "forwarded"}}
	b.Run("one node", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctxSink = authn.NewRequestContext(context.Background(), p, trace)
			authn.FromContext(ctxSink)
		}
	})
	b.Run("WithValue twice", func(b *testing.B) {
		type pk struct{}
		type tk struct{}
		b.ReportAllocs()
		for b.Loop() {
			ctxSink = context.WithValue(context.WithValue(context.Background(), pk{}, p), tk{}, trace)
			_ = ctxSink.Value(pk{}).(authn.Principal)
		}
	})
}

// KindOf's fast path for the chain's own errors answers as errors.Is does,
// and an error whose Cause wraps a stronger kind takes that kind.
func TestKindOfMatchesErrorsIs(t *testing.T) {
	kinds := []error{authn.ErrUnavailable, authn.ErrForbidden, authn.ErrRejected, authn.ErrUnauthenticated}
	for _, err := range []error{
		&authn.Error{Kind: authn.ErrRejected},
		&authn.Error{Kind: authn.ErrUnavailable},
		&authn.Error{Kind: errors.New("rejected")},
		&authn.Error{Kind: authn.ErrRejected, Cause: fmt.Errorf("cache: %w", authn.ErrUnavailable)},
		fmt.Errorf("wrapped: %w", &authn.Error{Kind: authn.ErrForbidden}),
		(*authn.Error)(nil),
		errors.New("other"),
		nil,
	} {
		var want error
		for _, k := range kinds {
			if errors.Is(err, k) {
				want = k
				break
			}
		}
		if got := authn.KindOf(err); got != want {
			t.Errorf("KindOf(%#v) = %v, want %v", err, got, want)
		}
	}
}
