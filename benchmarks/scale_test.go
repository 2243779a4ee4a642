package benchmarks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// The scale benchmarks fill a kubecache.Cache with access keys spread over
// 100 namespaces, as the access-key service creates them: a uid, the label
// that marks a key and the creator annotation. The cache keeps only what
// the chain reads (WithProjection), as authnconfig builds it.
//
// 100, 10k and 100k keys run always (CI runs each once); a million only
// when AUTHCHAIN_BENCH_MILLION=1, since filling it takes about a minute and
// a gigabyte of transient heap.
const millionEnv = "AUTHCHAIN_BENCH_MILLION"

func scaleSizes() []int {
	sizes := []int{100, 10_000, 100_000}
	if os.Getenv(millionEnv) == "1" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

var scaleProjection = kubecache.Projection{
	Labels:      []string{"app"},
	Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/created-by-uid"},
}

func keyNamespace(i int) string { return fmt.Sprintf("team-%03d", i%100) }
func keyName(i int) string      { return fmt.Sprintf("ambient-key-%07d", i) }

// keyList builds the i-th of n keys afresh on every call, so that the
// cache holds the only copy: a list kept by the fake clientset's tracker
// would count in the heap figure.
func keyList(n int) *corev1.ServiceAccountList {
	list := &corev1.ServiceAccountList{ListMeta: metav1.ListMeta{ResourceVersion: "1"}, Items: make([]corev1.ServiceAccount, n)}
	for i := range list.Items {
		list.Items[i] = corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace:       keyNamespace(i),
			Name:            keyName(i),
			UID:             types.UID(fmt.Sprintf("6f1c2a5e-0d7b-4a53-9a51-%012d", i)),
			ResourceVersion: "1",
			Labels:          map[string]string{"app": "ambient-access-key"},
			Annotations: map[string]string{
				"ambient-code.io/created-by-user-id": fmt.Sprintf("user-%d@example.com", i%5000),
				// What the API server keeps and the projection drops.
				"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"ServiceAccount"}`,
			},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "access-key-service", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1"}},
		}}
	}
	return list
}

// fillCache starts a projected cache over a fake clientset that lists n
// keys, and returns once it has synced.
func fillCache(tb testing.TB, n int) *kubecache.Cache {
	tb.Helper()
	client := fake.NewClientset()
	client.PrependReactor("list", "serviceaccounts", func(k8stesting.Action) (bool, k8sruntime.Object, error) {
		return true, keyList(n), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := kubecache.New(ctx, client, kubecache.WithProjection(scaleProjection))
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); c.Shutdown() })
	// Polled every millisecond rather than with WaitForSync, whose
	// 100 ms period would be the resolution of the sync time.
	for deadline := time.Now().Add(5 * time.Minute); !c.HasSynced(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("the cache of %d keys did not sync", n)
		}
	}
	if got := c.Len(); got != n {
		tb.Fatalf("cache holds %d keys, want %d", got, n)
	}
	return c
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCacheFill times filling and syncing a cache of n keys (ns/op is
// the time to sync, including building the listed objects as a client
// decodes them) and reports the live heap the filled cache adds, per key
// (heap-B/key), measured after garbage collection with the cache still
// referenced. At 100k keys an access key costs about 230 bytes: some 140
// for the cache's packed object, the rest for the informer's own store (its
// map entry and "namespace/name" key), which bounds what projection can
// save.
func BenchmarkCacheFill(b *testing.B) {
	for _, n := range scaleSizes() {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			var perKey float64
			for range b.N {
				b.StopTimer()
				before := liveHeap()
				b.StartTimer()
				c := fillCache(b, n)
				b.StopTimer()
				perKey = float64(liveHeap()-before) / float64(n)
				runtime.KeepAlive(c)
				b.StartTimer()
			}
			b.ReportMetric(perKey, "heap-B/key")
		})
	}
}

// BenchmarkChainCachedKeys times the chain on an access key's forwarded
// subject (annotation look-up from the cache, as
// BenchmarkChainAccessKeyAnnotation at the root) with n keys cached. The
// requests cycle through up to 1024 keys spread over the whole cache, so
// that a bigger cache is not timed on one hot entry. Flat ns/op across n
// is the goal.
func BenchmarkChainCachedKeys(b *testing.B) {
	for _, n := range scaleSizes() {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			c := fillCache(b, n)
			chain, err := setup.Config{
				TrustCIDRs:                           []string{"10.0.0.0/8"},
				RequireLabels:                        map[string]string{"app": "ambient-access-key"},
				InsecureForwardedSubjectWithoutToken: true,
			}.Chain(c)
			if err != nil {
				b.Fatal(err)
			}
			distinct := min(n, 1024)
			subjects := make([][]string, distinct)
			creators := make([]string, distinct)
			for j := range subjects {
				i := j * (n / distinct)
				subjects[j] = []string{"system:serviceaccount:" + keyNamespace(i) + ":" + keyName(i)}
				creators[j] = fmt.Sprintf("user-%d@example.com", i%5000)
			}
			r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
			r.RemoteAddr = benchPeer
			for j := range subjects {
				r.Header["X-Forwarded-User"] = subjects[j]
				p, _, err := chain.Authenticate(r)
				if err != nil || p.User.Name != creators[j] || p.Actor == nil {
					b.Fatalf("key %s: principal %+v, err %v; want user %s", subjects[j][0], p, err, creators[j])
				}
			}
			b.ReportAllocs()
			j := 0
			for b.Loop() {
				r.Header["X-Forwarded-User"] = subjects[j]
				if _, _, err := chain.Authenticate(r); err != nil {
					b.Fatal(err)
				}
				if j++; j == distinct {
					j = 0
				}
			}
		})
	}
}
