package tokenreview_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/internal/tokentest"
)

// Attacks on the per-request copies of a cached TokenReview answer: a
// handler that edits everything it can reach of its Principal, and many
// requests for different accounts at once.

// scribble edits every piece of p a handler can reach, in place.
func scribble(p authn.Principal) {
	if p.Actor != nil {
		p.Actor.Namespace, p.Actor.Name, p.Actor.UID = "evil", "evil", "evil"
		for k := range p.Actor.Attributes {
			p.Actor.Attributes[k] = "evil"
		}
	}
	for i := range p.User.Groups {
		p.User.Groups[i] = "system:masters"
	}
	for k, v := range p.User.Extra {
		for i := range v {
			v[i] = "evil"
		}
		p.User.Extra[k] = append(v, "evil")
	}
	if p.User.Extra != nil {
		p.User.Extra["added"] = []string{"evil"}
	}
	if c := p.Credential; c != nil {
		c.ID, c.Issuer, c.Type = "evil", "evil", "evil"
		for i := range c.Audiences {
			c.Audiences[i] = "evil"
		}
		_ = append(c.Audiences, "evil") // into spare capacity, if any
		if c.Pod != nil {
			c.Pod.Name, c.Pod.UID = "evil", "evil"
		}
		if c.Node != nil {
			c.Node.Name, c.Node.UID = "evil", "evil"
		}
		for i := range c.Bindings {
			b := &c.Bindings[i]
			b.Kind, b.Name, b.UID = "evil", "evil", "evil"
			for k, v := range b.Attestations {
				for j := range v {
					v[j] = "*"
				}
				b.Attestations[k] = append(v, "*")
			}
			if b.Attestations != nil {
				b.Attestations["added"] = []string{"*"}
			}
		}
		_ = append(c.Bindings, authn.Binding{Kind: "evil"})
	}
}

// TestAttack11_HandlerEditsStayInRequest: for a ServiceAccount with pod
// and node, a human with groups and extra, and a webhook-bound token with
// attestations, a handler scribbling over its whole Principal changes
// nothing the next request with the same cached token gets.
func TestAttack11_HandlerEditsStayInRequest(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	s := newTokenReview(t, api, tokenreview.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration))
	for _, token := range []string{ciBotToken, aliceToken, webhookToken} {
		first := s.Authenticate(tokentest.Request(token), authn.Principal{})
		if first.Outcome != authn.Contributed {
			t.Fatalf("%.20s: %v %q", token, first.Outcome, first.Reason)
		}
		want := s.Authenticate(tokentest.Request(token), authn.Principal{})
		scribble(first.Principal)
		scribble(want.Principal) // a second request's own copy, edited too
		want = s.Authenticate(tokentest.Request(token), authn.Principal{})
		for i := range 3 {
			got := s.Authenticate(tokentest.Request(token), authn.Principal{})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%.20s, hit %d after edits (-want +got):\n%s", token, i, diff)
			}
			scribble(got.Principal)
		}
	}
	wantCalls(t, api, 3, "after the hits")
}

// TestAttack11_ActorAttributesNotCached: the Attributes an earlier
// strategy gave the Actor go to that request's Actor only; the next
// request for the same token, with an Actor without Attributes, gets
// none, and the cached answer never carries them.
func TestAttack11_ActorAttributesNotCached(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	s := newTokenReview(t, api)
	withAttrs := authn.Principal{Actor: &authn.ServiceAccount{
		Namespace: "team", Name: "ci-bot", UID: "uid-ci-bot", Attributes: map[string]string{"role": "admin"},
	}}
	d := s.Authenticate(tokentest.Request(ciBotToken), withAttrs)
	if d.Outcome != authn.Contributed || d.Principal.Actor.Attributes["role"] != "admin" {
		t.Fatalf("with Attributes: %+v", d)
	}
	d.Principal.Actor.Attributes["role"] = "edited"
	for _, sofar := range []authn.Principal{{}, {Actor: &authn.ServiceAccount{Namespace: "team", Name: "ci-bot"}}} {
		got := s.Authenticate(tokentest.Request(ciBotToken), sofar)
		if got.Outcome != authn.Contributed || got.Principal.Actor.Attributes != nil {
			t.Errorf("after %v: Actor %+v, want no Attributes", sofar.Actor, got.Principal.Actor)
		}
	}
}

// TestAttack11_ConcurrentAccountsNeverCross: requests for three accounts'
// cached tokens at once, each handler scribbling over its Principal,
// always get their own account's identity; run with -race.
func TestAttack11_ConcurrentAccountsNeverCross(t *testing.T) {
	api := newReviewAPI(reviewTokens())
	s := newTokenReview(t, api, tokenreview.WithBoundObjectKinds(bearer.BoundValidatingWebhookConfiguration))
	tokens := []string{ciBotToken, aliceToken, webhookToken}
	want := map[string]authn.Decision{}
	for _, token := range tokens {
		want[token] = s.Authenticate(tokentest.Request(token), authn.Principal{})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*8)
	for w := range 3 * 8 {
		token := tokens[w%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				got := s.Authenticate(tokentest.Request(token), authn.Principal{})
				if diff := cmp.Diff(want[token], got); diff != "" {
					errs <- fmt.Errorf("worker %d (-want +got):\n%s", w, diff)
					return
				}
				scribble(got.Principal)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantCalls(t, api, 3, "after the hits")
}
