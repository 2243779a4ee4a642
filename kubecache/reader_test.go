package kubecache

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/tokentest"
)

func TestFromInformer(t *testing.T) {
	if _, err := FromInformer(nil); err == nil {
		t.Error("FromInformer(nil): no error")
	}
	client := fake.NewClientset(serviceAccount("keys", "ci", nil, map[string]string{"a": "b"}))
	factory := informers.NewSharedInformerFactory(client, 0)
	r, err := FromInformer(factory.Core().V1().ServiceAccounts().Informer())
	if err != nil {
		t.Fatal(err)
	}
	if r.HasSynced() {
		t.Fatal("synced before the informer started")
	}
	factory.Start(t.Context().Done())
	t.Cleanup(factory.Shutdown)
	factory.WaitForCacheSync(t.Context().Done())
	if !r.HasSynced() {
		t.Fatal("not synced after WaitForCacheSync")
	}
	if sa, ok, err := r.ServiceAccount("keys", "ci"); !ok || err != nil || sa.Annotations["a"] != "b" || sa.UID != "uid-keys-ci" {
		t.Errorf("hit: %v %v %v", sa, ok, err)
	}
	for _, key := range [][2]string{{"keys", "absent"}, {"other", "ci"}, {"", "ci"}, {"keys/ci", ""}} {
		if sa, ok, err := r.ServiceAccount(key[0], key[1]); ok || err != nil || sa.Name != "" {
			t.Errorf("ServiceAccount(%q, %q) = %v %v %v, want a miss", key[0], key[1], sa, ok, err)
		}
	}
}

// TestLookupWrongType: a store holding something else is an error (the
// strategy answers 503), never a panic.
func TestLookupWrongType(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	secret := &corev1.Secret{}
	secret.Namespace, secret.Name = "keys", "ci"
	if err := idx.Add(secret); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := lookup(idx, "keys", "ci"); ok || err == nil {
		t.Errorf("lookup of a non-ServiceAccount: ok %v, err %v", ok, err)
	}
}

// projectedIndexer returns a store of n projected keys, spread over 50
// namespaces, as a projected cache's informer holds them.
func projectedIndexer(tb testing.TB, n int) cache.Indexer {
	tb.Helper()
	transform := Projection{Labels: []string{"app"}, Annotations: []string{strategies.DefaultCreatorAnnotation}}.transform()
	idx := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{})
	for i := range n {
		obj, err := transform(serviceAccount(fmt.Sprintf("team-%d", i%50), fmt.Sprintf("key-%d", i),
			map[string]string{"app": "ambient-access-key"}, map[string]string{strategies.DefaultCreatorAnnotation: "alice"}))
		if err != nil {
			tb.Fatal(err)
		}
		if err := idx.Add(obj); err != nil {
			tb.Fatal(err)
		}
	}
	return idx
}

// TestProjectedLookupAllocs holds the count BenchmarkReader writes down for
// a projected store: a hit, with its labels and annotations read, costs
// the one allocation of the store's key, as a miss does.
func TestProjectedLookupAllocs(t *testing.T) {
	if testing.Short() || tokentest.RaceDetectorOn() {
		t.Skip("allocation guard: not under -short or -race")
	}
	idx := projectedIndexer(t, 100)
	for _, name := range []string{"key-57", "absent"} {
		n := testing.AllocsPerRun(100, func() {
			sa, ok, err := lookup(idx, "team-7", name)
			if err != nil || ok != (name != "absent") {
				t.Fatal(ok, err)
			}
			if app, _ := sa.Label("app"); ok && app != "ambient-access-key" {
				t.Fatalf("label app = %q", app)
			}
			if creator, _ := sa.Annotation(strategies.DefaultCreatorAnnotation); ok && creator != "alice" {
				t.Fatalf("creator = %q", creator)
			}
		})
		if n > 1 {
			t.Errorf("%s: %v allocs/op, want at most 1", name, n)
		}
	}
}

// BenchmarkReader sets the store read the annotation strategy makes
// (lookup) against a client-go lister's Get over the same store, for a hit
// and for a miss. The numbers back the choice, recorded on
// strategies.ServiceAccountReader, of a read interface over a lister.
// impl=projected reads the packed objects of a projected cache, creator
// annotation included: 1 allocs/op, the store's key, as for the others.
func BenchmarkReader(b *testing.B) {
	projected := projectedIndexer(b, 10000)
	for _, tc := range []struct{ outcome, name string }{{"hit", "key-4257"}, {"miss", "absent"}} {
		b.Run("impl=projected/outcome="+tc.outcome, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sa, ok, err := lookup(projected, "team-7", tc.name)
				if err != nil || ok != (tc.outcome == "hit") {
					b.Fatal(ok, err)
				}
				if creator, _ := sa.Annotation(strategies.DefaultCreatorAnnotation); ok && creator != "alice" {
					b.Fatal(creator)
				}
			}
		})
	}
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for i := range 10000 {
		if err := idx.Add(serviceAccount(fmt.Sprintf("team-%d", i%50), fmt.Sprintf("key-%d", i), nil, nil)); err != nil {
			b.Fatal(err)
		}
	}
	lister := corev1listers.NewServiceAccountLister(idx)
	for _, tc := range []struct{ outcome, name string }{{"hit", "key-4257"}, {"miss", "absent"}} {
		b.Run("impl=lister/outcome="+tc.outcome, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sa, err := lister.ServiceAccounts("team-7").Get(tc.name)
				if (err == nil) != (tc.outcome == "hit") || (err == nil && sa == nil) {
					b.Fatal(err)
				}
			}
		})
		b.Run("impl=reader/outcome="+tc.outcome, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sa, ok, err := lookup(idx, "team-7", tc.name)
				if err != nil || ok != (tc.outcome == "hit") || (ok && sa.Name != tc.name) {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
