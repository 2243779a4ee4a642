package authn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
)

// Attacks on the request context node (one node answering pointers into
// itself) and on KindOf's shortcut for the chain's own errors.

// TestAttack11_ContextCopiesOut: FromContext hands out a copy, so a
// handler that reassigns its Principal's fields, or the trace's entries,
// changes nothing a later FromContext in the same request returns.
func TestAttack11_ContextCopiesOut(t *testing.T) {
	p := authn.Principal{User: authn.User{Name: "alice"}, Actor: &authn.ServiceAccount{Namespace: "n", Name: "k"}}
	trace := authn.Trace{{Strategy: "forwarded", Outcome: authn.Contributed}}
	ctx := authn.NewRequestContext(context.Background(), p, trace)
	got, _ := authn.FromContext(ctx)
	got.User.Name, got.Actor, got.Synthetic, got.Via = "mallory", nil, true, []string{"evil"}
	tr := authn.TraceFromContext(ctx)
	_ = append(tr, authn.TraceEntry{Strategy: "evil"})
	again, _ := authn.FromContext(ctx)
	if again.User.Name != "alice" || again.Actor == nil || again.Synthetic || again.Via != nil {
		t.Errorf("a later FromContext sees a handler's reassignments: %+v", again)
	}
	if tr := authn.TraceFromContext(ctx); len(tr) != 1 {
		t.Errorf("a later TraceFromContext sees an append: %v", tr)
	}
	// Not a break of the node: the Principal's slices, maps and pointers,
	// and the trace's entries, are shared by every copy, as with
	// context.WithValue before; a handler owns its request's Principal.
}

// TestAttack11_ContextRequestsApart: concurrent requests, each with its
// own context built from one shared parent, each read back their own
// Principal only, whatever the others store; run with -race.
func TestAttack11_ContextRequestsApart(t *testing.T) {
	parent := context.WithValue(context.Background(), otherKey{}, "shared")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user-%d", w)
			for range 500 {
				ctx := authn.NewRequestContext(parent, authn.Principal{User: authn.User{Name: name}}, nil)
				ctx = authn.NewTraceContext(ctx, authn.Trace{{Strategy: name}})
				p, ok := authn.FromContext(ctx)
				if !ok || p.User.Name != name || authn.TraceFromContext(ctx)[0].Strategy != name {
					errs <- fmt.Errorf("worker %d read %q", w, p.User.Name)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, ok := authn.FromContext(parent); ok {
		t.Error("the shared parent carries a Principal")
	}
}

type contextKey struct{} // the same name as authn's key, in another package

// TestAttack11_ContextKeysAndCancellation: keys of other packages (one
// named like authn's, an empty struct, a string) neither read nor hide the
// Principal; cancelling the parent reaches the node and its children; a
// nil parent panics for all three constructors; the node's String names
// no user.
func TestAttack11_ContextKeysAndCancellation(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	parent = context.WithValue(parent, contextKey{}, "theirs")
	ctx := authn.NewRequestContext(parent, authn.Principal{User: authn.User{Name: "alice-secret-name"}}, nil)
	//lint:ignore SA1029 the attack: another package keying with a bare empty struct
	ctx = context.WithValue(ctx, struct{}{}, "empty")
	for _, k := range []any{contextKey{}, struct{}{}, "authn", 0} {
		if v := ctx.Value(k); v != nil {
			if _, isPrincipal := v.(*authn.Principal); isPrincipal {
				t.Errorf("key %T answers the Principal", k)
			}
		}
	}
	if ctx.Value(contextKey{}) != "theirs" {
		t.Error("another package's key is hidden by the node")
	}
	if p, ok := authn.FromContext(ctx); !ok || p.User.Name != "alice-secret-name" {
		t.Errorf("FromContext = %+v, %v", p, ok)
	}
	if s := fmt.Sprint(authn.NewContext(context.Background(), authn.Principal{User: authn.User{Name: "alice-secret-name"}})); strings.Contains(s, "alice") {
		t.Errorf("the node's String shows the user: %s", s)
	}
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	cancel()
	<-ctx.Done()
	<-child.Done()
	if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
		t.Errorf("errors after cancel: %v, %v", ctx.Err(), child.Err())
	}
	if p, ok := authn.FromContext(child); !ok || p.User.Name != "alice-secret-name" {
		t.Error("a cancelled context lost its Principal")
	}
	var nilParent context.Context
	for name, build := range map[string]func(){
		"NewContext":        func() { authn.NewContext(nilParent, authn.Principal{}) },
		"NewTraceContext":   func() { authn.NewTraceContext(nilParent, nil) },
		"NewRequestContext": func() { authn.NewRequestContext(nilParent, authn.Principal{}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(nil, …) did not panic", name)
				}
			}()
			build()
		}()
	}
}

type customKind struct{ error }

func (customKind) Is(target error) bool { return target == authn.ErrForbidden }

// referenceKind is KindOf as errors.Is alone answers it.
func referenceKind(err error) error {
	for _, k := range []error{authn.ErrUnavailable, authn.ErrForbidden, authn.ErrRejected, authn.ErrUnauthenticated} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// TestAttack11_KindOfAgreesWithErrorsIs: for Cause chains that carry
// another kind, custom Kind values, nil *Errors, wrapped and joined
// errors, KindOf (and so StatusCode) answers as errors.Is in KindOf's
// order does: the shortcut for the chain's own errors changes no answer.
func TestAttack11_KindOfAgreesWithErrorsIs(t *testing.T) {
	var nilErr *authn.Error
	rejected := &authn.Error{Strategy: "s", Kind: authn.ErrRejected, Reason: "r"}
	for name, err := range map[string]error{
		"nil":                            nil,
		"nil *Error":                     nilErr,
		"wrapped nil *Error":             fmt.Errorf("w: %w", nilErr),
		"plain":                          errors.New("x"),
		"rejected":                       rejected,
		"wrapped rejected":               fmt.Errorf("w: %w", rejected),
		"rejected, unavailable cause":    &authn.Error{Kind: authn.ErrRejected, Cause: fmt.Errorf("api: %w", authn.ErrUnavailable)},
		"unauthenticated, cause *Error":  &authn.Error{Kind: authn.ErrUnauthenticated, Cause: &authn.Error{Kind: authn.ErrForbidden}},
		"nil Kind":                       &authn.Error{Reason: "r"},
		"nil Kind, rejected cause":       &authn.Error{Cause: authn.ErrRejected},
		"custom Kind wrapping forbidden": &authn.Error{Kind: fmt.Errorf("policy: %w", authn.ErrForbidden)},
		"custom Kind with Is":            &authn.Error{Kind: customKind{errors.New("c")}},
		"joined Kind":                    &authn.Error{Kind: errors.Join(authn.ErrRejected, authn.ErrUnavailable)},
		"joined errors":                  errors.Join(rejected, &authn.Error{Kind: authn.ErrUnavailable}),
		"nil *Error cause":               &authn.Error{Kind: authn.ErrRejected, Cause: nilErr},
	} {
		if got, want := authn.KindOf(err), referenceKind(err); got != want {
			t.Errorf("%s: KindOf %v, errors.Is says %v", name, got, want)
		}
	}
}
