package strategies_test

// Adversarial tests of CreatorAnnotation behind hostile or broken
// ServiceAccountReaders, and of Actor attributes an earlier strategy set.

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

const a8Role = "example.com/role"

// mapReader serves fixed metas, synced when synced says so.
type mapReader struct {
	metas  map[string]strategies.ServiceAccountMeta
	synced func() bool
	panics bool
}

func (m mapReader) ServiceAccount(namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	if m.panics {
		panic("reader exploded for " + namespace + "/" + name)
	}
	meta, ok := m.metas[namespace+"/"+name]
	return meta, ok, nil
}

func (m mapReader) HasSynced() bool { return m.synced == nil || m.synced() }

func actorWith(attrs map[string]string) authn.Strategy {
	return authn.StrategyFunc("custom-actor", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.Actor = &authn.ServiceAccount{Namespace: "team", Name: "key", Attributes: attrs}
		return authn.Contribute(p, "custom")
	})
}

// TestAttack8AnnotationOverridesAttributesAnEarlierStrategySet: an earlier
// strategy that sets a copied attribute (role=write) cannot lift a key's
// cap: the ServiceAccount's own value (read), or its absence, wins.
func TestAttack8AnnotationOverridesAttributesAnEarlierStrategySet(t *testing.T) {
	for name, sa := range map[string]*corev1.ServiceAccount{
		"key says read":     newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"), saAnnotate(a8Role, "read")),
		"key has no role":   newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com")),
		"no creator, read":  newTestSA("team", "key", saAccessKey(), saAnnotate(a8Role, "read")),
		"no creator, none":  newTestSA("team", "key", saAccessKey()),
		"role is a label":   newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"), saLabel(a8Role, "read")),
		"no creator, label": newTestSA("team", "key", saAccessKey(), saLabel(a8Role, "read")),
	} {
		reader := mapReader{metas: map[string]strategies.ServiceAccountMeta{"team/key": kubecache.Meta(sa)}}
		ann, err := strategies.CreatorAnnotation(reader, requireKeyLabel, strategies.CopyAttributes(a8Role))
		if err != nil {
			t.Fatal(err)
		}
		chain, err := authn.NewChain(actorWith(map[string]string{a8Role: "write"}), ann, strategies.Synthetic())
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := chain.Authenticate(httptest.NewRequest("GET", "/", nil))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := p.Actor.Attributes[a8Role]; got == "write" {
			t.Errorf("%s: the earlier strategy's role=write survived the annotation strategy", name)
		}
	}
}

// TestAttack8AnnotationResultDoesNotAliasTheReadersMaps: a handler that
// edits the Principal's Actor attributes must not edit the cache.
func TestAttack8AnnotationResultDoesNotAliasTheReadersMaps(t *testing.T) {
	sa := newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"), saAnnotate(a8Role, "read"))
	meta := kubecache.Meta(sa)
	ann, err := strategies.CreatorAnnotation(mapReader{metas: map[string]strategies.ServiceAccountMeta{"team/key": meta}},
		requireKeyLabel, strategies.CopyAttributes(a8Role))
	if err != nil {
		t.Fatal(err)
	}
	d := ann.Authenticate(httptest.NewRequest("GET", "/", nil), keyActor("team", "key"))
	if d.Outcome != authn.Contributed {
		t.Fatalf("%v %q", d.Outcome, d.Reason)
	}
	d.Principal.Actor.Attributes[a8Role] = "write"
	d.Principal.Actor.Attributes["extra"] = "x"
	if _, extra := meta.Annotations["extra"]; meta.Annotations[a8Role] != "read" || extra {
		t.Errorf("editing the result edited the reader's object: %v", meta.Annotations)
	}
}

func TestAttack8AnnotationNilMapsFromReader(t *testing.T) {
	reader := mapReader{metas: map[string]strategies.ServiceAccountMeta{
		"team/key": {Namespace: "team", Name: "key", UID: "uid-key"}, // no labels, no annotations
	}}
	ann, err := strategies.CreatorAnnotation(reader, requireKeyLabel, strategies.CopyAttributes(a8Role))
	if err != nil {
		t.Fatal(err)
	}
	err = noPanic8(func() {
		for _, sofar := range []authn.Principal{keyActor("team", "key"), {Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-key", Attributes: map[string]string{a8Role: "write"}}}} {
			d := ann.Authenticate(httptest.NewRequest("GET", "/", nil), sofar)
			if d.Outcome == authn.Contributed && d.Principal.Actor.Attributes[a8Role] == "write" {
				t.Errorf("a key with nil maps kept role=write")
			}
			if d.Outcome == authn.Contributed && !d.Principal.User.IsZero() {
				t.Errorf("a key with no creator got a human: %+v", d.Principal.User)
			}
		}
	})
	if err != nil {
		t.Error(err)
	}
}

// TestAttack8AnnotationFlappingSyncNeverWeakens: a reader whose HasSynced
// flips on every call answers 503 when unsynced, never a synthetic user
// for a key that has a creator.
func TestAttack8AnnotationFlappingSyncNeverWeakens(t *testing.T) {
	var n atomic.Int64
	sa := newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"))
	reader := mapReader{metas: map[string]strategies.ServiceAccountMeta{"team/key": kubecache.Meta(sa)},
		synced: func() bool { return n.Add(1)%2 == 0 }}
	ann, err := strategies.CreatorAnnotation(reader, requireKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(actorWith(nil), ann, strategies.Synthetic())
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		p, _, err := chain.Authenticate(httptest.NewRequest("GET", "/", nil))
		switch {
		case err != nil && authn.StatusCode(err) != http.StatusServiceUnavailable:
			t.Errorf("unsynced: %v, want 503", err)
		case err == nil && p.User.Name != "alice@example.com":
			t.Errorf("got %q (synthetic %v), want alice or 503", p.User.Name, p.Synthetic)
		}
	}
}

// TestAttack8AnnotationPanickingReaderStillStripsHeaders: the chain
// promises to strip identity headers even when a strategy panics.
func TestAttack8AnnotationPanickingReaderStillStripsHeaders(t *testing.T) {
	ann, err := strategies.CreatorAnnotation(mapReader{panics: true}, requireKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(actorWith(nil), ann)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["X-Forwarded-User"] = []string{"alice"}
	r.Header["X_forwarded_email"] = []string{"alice@example.com"}
	func() {
		defer func() { _ = recover() }()
		_, _, _ = chain.Authenticate(r)
		t.Error("the reader's panic did not reach the caller")
	}()
	for k := range r.Header {
		t.Errorf("%s survived a panicking strategy", k)
	}
}

func noPanic8(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicked8{r}
		}
	}()
	f()
	return nil
}

type panicked8 struct{ v any }

func (e panicked8) Error() string { return "panic" }
