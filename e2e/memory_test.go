//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// scaleEnv sets how many access keys TestInformerMemory creates.
const scaleEnv = "AUTHCHAIN_E2E_SCALE"

// defaultScale keeps the test to about a minute on two cores.
const defaultScale = 10_000

// maxBytesPerKey is the goal for the cache the library recommends.
const maxBytesPerKey = 1024

// TestInformerMemory creates access keys in a real API server (two labels
// and four annotations each, as the platform writes them, spread over ten
// namespaces, plus a tenth as many unlabelled ServiceAccounts elsewhere)
// and measures the live heap each way of caching them costs per cached
// object:
//   - typed: the informer factory's ServiceAccount informer, as is;
//   - metadata: a metadata-only informer (PartialObjectMetadata);
//   - typed without managedFields: a transform clears them;
//   - projection: kubecache.New with Config.Projection (what the chain
//     reads), without and with the label selector of the access keys.
func TestInformerMemory(t *testing.T) {
	h := requireHarness(t)
	if raceEnabled {
		t.Skip("heap measurements: run without -race")
	}
	n := defaultScale
	if v := os.Getenv(scaleEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("%s=%q: want a number of at least 100", scaleEnv, v)
		}
	}
	c := h.StartCluster(t)
	cfg := c.Config(nil)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	createKeys(t, client, n)
	harness.Report.Addf(t, "created %d access keys and %d other ServiceAccounts in %v", n, n/10, time.Since(start).Round(time.Second))

	config := setup.Config{
		TrustCIDRs:    []string{"127.0.0.1/32"},
		RequireLabels: map[string]string{AccessKeyLabel: AccessKeyLabelValue},
		BindingKey:    string(bindingKey),
	}
	metaClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gvr := corev1.SchemeGroupVersion.WithResource("serviceaccounts")
	// A variant starts a cache, waits for it to sync, and returns how to
	// count its objects and how to stop it.
	type variant struct {
		name  string
		start func(t *testing.T, ctx context.Context) (count func() int, stop func())
	}
	factoryInformer := func(opts ...informers.SharedInformerOption) func(*testing.T, context.Context) (func() int, func()) {
		return func(_ *testing.T, ctx context.Context) (func() int, func()) {
			f := informers.NewSharedInformerFactoryWithOptions(client, 0, opts...)
			inf := f.Core().V1().ServiceAccounts().Informer()
			f.Start(ctx.Done())
			f.WaitForCacheSync(ctx.Done())
			return storeLen(inf), f.Shutdown
		}
	}
	setupCache := func(opts ...kubecache.Option) func(*testing.T, context.Context) (func() int, func()) {
		return func(t *testing.T, ctx context.Context) (func() int, func()) {
			cache, err := kubecache.New(ctx, client, opts...)
			if err != nil {
				t.Fatal(err)
			}
			cache.WaitForSync(ctx, 5*time.Minute)
			return cache.Len, cache.Shutdown
		}
	}
	for _, v := range []variant{
		{"typed", factoryInformer()},
		{"metadata", func(_ *testing.T, ctx context.Context) (func() int, func()) {
			f := metadatainformer.NewSharedInformerFactory(metaClient, 0)
			inf := f.ForResource(gvr).Informer()
			f.Start(ctx.Done())
			f.WaitForCacheSync(ctx.Done())
			return storeLen(inf), f.Shutdown
		}},
		{"typed without managedFields", factoryInformer(informers.WithTransform(dropManagedFields))},
		{"projection", setupCache(kubecache.WithProjection(config.Projection()))},
		{"projection, label selector", setupCache(kubecache.WithProjection(config.Projection()),
			kubecache.WithLabelSelector(AccessKeyLabel+"="+AccessKeyLabelValue))},
	} {
		t.Run(v.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			before := liveHeap()
			count, stop := v.start(t, ctx)
			after := liveHeap()
			objects := count()
			cancel()
			stop()
			if objects < n {
				t.Fatalf("%d objects cached; want at least %d", objects, n)
			}
			perObject := float64(int64(after)-int64(before)) / float64(objects)
			harness.Report.Addf(t, "%d objects cached, %.0f bytes of heap each", objects, perObject)
			if v.name == "projection" && perObject > maxBytesPerKey {
				t.Errorf("projection holds %.0f bytes per ServiceAccount; the goal is at most %d", perObject, maxBytesPerKey)
			}
		})
	}
}

func storeLen(inf cache.SharedIndexInformer) func() int {
	return func() int { return len(inf.GetStore().ListKeys()) }
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // the first may leave finalizer-held objects
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func dropManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// createKeys creates n access keys over ten namespaces, and n/10
// unlabelled ServiceAccounts in another, with many requests in flight.
func createKeys(t *testing.T, client kubernetes.Interface, n int) {
	t.Helper()
	ctx := t.Context()
	namespaces := []string{"other"}
	for i := range 10 {
		namespaces = append(namespaces, fmt.Sprintf("keys-%d", i))
	}
	for _, ns := range namespaces {
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		failure error
	)
	total := n + n/10
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				sa := accessKeyAt(i, n)
				if _, err := client.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
					errOnce.Do(func() { failure = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if failure != nil {
		t.Fatal(failure)
	}
}

// accessKeyAt returns the i-th ServiceAccount of createKeys: an access key
// for i < n, an unlabelled ServiceAccount otherwise. The binding has the
// length of a real one; it is not signed for the uid, which is unknown
// before creation and does not change what is cached.
func accessKeyAt(i, n int) *corev1.ServiceAccount {
	if i >= n {
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace: "other", Name: fmt.Sprintf("workload-%06d", i),
		}}
	}
	creator := fmt.Sprintf("user%05d@example.com", i%5000)
	name := fmt.Sprintf("ambient-key-%06d-write", i)
	ns := fmt.Sprintf("keys-%d", i%10)
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name,
		Labels: map[string]string{
			AccessKeyLabel:            AccessKeyLabelValue,
			"ambient-code.io/project": fmt.Sprintf("project-%04d", i%1000),
		},
		Annotations: map[string]string{
			strategies.DefaultCreatorAnnotation: creator,
			binding.DefaultAnnotation:           mustSignBinding(bindingKey, binding.Binding{Namespace: ns, Name: name, UID: "00000000-0000-0000-0000-000000000000", Creator: creator}),
			"ambient-code.io/description":       fmt.Sprintf("Access key for the CI pipeline of project %d", i%1000),
			"ambient-code.io/expires-at":        "2027-06-30T00:00:00Z",
		},
	}}
}
