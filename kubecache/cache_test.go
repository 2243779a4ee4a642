package kubecache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn/strategies"
)

func serviceAccount(ns, name string, lbls, annotations map[string]string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), ResourceVersion: "7",
		Labels: lbls, Annotations: annotations,
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}},
		Finalizers:    []string{"example.com/keep"},
	}, Secrets: []corev1.ObjectReference{{Name: "token"}}}
}

func startTestCache(t *testing.T, client *fake.Clientset, opts ...Option) *Cache {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(ctx, client, opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); c.Shutdown() })
	if !c.WaitForSync(ctx, 10*time.Second) {
		t.Fatal("cache did not sync")
	}
	return c
}

func TestNewCacheRejectsInvalidOptions(t *testing.T) {
	client := fake.NewClientset()
	for name, opt := range map[string]Option{
		"no namespaces":      WithNamespaces(),
		"bad namespace":      WithNamespaces("Not_A_Namespace"),
		"empty selector":     WithLabelSelector(""),
		"bad selector":       WithLabelSelector("app in (("),
		"bad projection key": WithProjection(Projection{Annotations: []string{"not a key"}}),
		"zero staleness":     WithMaxStaleness(0),
		"nil option":         nil,
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := New(t.Context(), client, opt); err == nil {
				t.Cleanup(c.Shutdown)
				t.Fatal("New accepted an invalid option")
			}
		})
	}
	if _, err := New(t.Context(), nil); err == nil {
		t.Error("New accepted a nil client")
	}
}

// TestNewCacheRefusesTypedNilArguments: a context or client interface that
// holds a nil pointer is refused, as a plain nil is, rather than panicking
// in an informer goroutine.
func TestNewCacheRefusesTypedNilArguments(t *testing.T) {
	if c, err := New(t.Context(), (*kubernetes.Clientset)(nil)); err == nil || !strings.Contains(err.Error(), "client is nil") {
		if c != nil {
			t.Cleanup(c.Shutdown)
		}
		t.Errorf("typed-nil client: err = %v", err)
	}
	var ctx context.Context = (*nilContext)(nil)
	if c, err := New(ctx, fake.NewClientset()); err == nil || !strings.Contains(err.Error(), "ctx is nil") {
		if c != nil {
			t.Cleanup(c.Shutdown)
		}
		t.Errorf("typed-nil context: err = %v", err)
	}
}

// nilContext's nil pointer is a context.Context whose methods panic.
type nilContext struct{ context.Context }

func TestProjectionKeepsOnlyWhatTheChainReads(t *testing.T) {
	sa := serviceAccount("keys", "k1",
		map[string]string{"app": "ambient-access-key", "team": "x"},
		map[string]string{strategies.DefaultCreatorAnnotation: "alice", "kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("x", 500)})
	deleting := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	sa.DeletionTimestamp = &deleting // held by its finalizer
	transform := Projection{Labels: []string{"app", "absent"}, Annotations: []string{strategies.DefaultCreatorAnnotation}}.transform()
	got, err := transform(sa)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "keys", Name: "k1", UID: "uid-keys-k1", ResourceVersion: "7",
		DeletionTimestamp: &deleting,
		Labels:            map[string]string{"app": "ambient-access-key"},
		Annotations:       map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("projected (-want +got):\n%s", diff)
	}
	again, err := transform(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("transform is not idempotent (-once +twice):\n%s", diff)
	}
	if len(sa.ManagedFields) == 0 || len(sa.Annotations) != 2 {
		t.Error("transform modified its input")
	}
	tombstone := "not a ServiceAccount"
	if out, _ := transform(tombstone); out != tombstone {
		t.Error("transform changed an object that is not a ServiceAccount")
	}
}

// TestProjectedCacheSeesDeletionStart: a key whose deletion a finalizer
// holds up reaches the strategies with its deletionTimestamp, so they can
// refuse it.
func TestProjectedCacheSeesDeletionStart(t *testing.T) {
	sa := serviceAccount("keys", "held", map[string]string{"app": "ambient-access-key"}, nil)
	client := fake.NewClientset(sa)
	c := startTestCache(t, client, WithProjection(Projection{Labels: []string{"app"}}))
	got, found, err := c.ServiceAccount("keys", "held")
	if !found || err != nil || got.Deleting {
		t.Fatalf("before: %v, %v, %v", got, found, err)
	}
	deleting := sa.DeepCopy()
	now := metav1.Now()
	deleting.DeletionTimestamp, deleting.ResourceVersion = &now, "8"
	if _, err := client.CoreV1().ServiceAccounts("keys").Update(t.Context(), deleting, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, found, err := c.ServiceAccount("keys", "held")
		if found && err == nil && got.Deleting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache never saw the deletion start: %v, %v", got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCheckProjection(t *testing.T) {
	need := Projection{Labels: []string{"app", "ambient-code.io/role"}, Annotations: []string{"ambient-code.io/created-by-user-id", "ambient-code.io/role"}}
	other := Projection{Annotations: []string{"example.com/owner"}}
	for _, tt := range []struct {
		name    string
		p       Projection
		needs   []Projection
		missing []string // substrings the error must hold; nil for no error
	}{
		{"nothing needed", Projection{}, nil, nil},
		{"exactly what is needed", need, []Projection{need}, nil},
		{"more than is needed", Projection{Labels: []string{"app", "ambient-code.io/role", "x"}, Annotations: append([]string{"y"}, need.Annotations...)}, []Projection{need}, nil},
		{"the role attribute dropped", Projection{Labels: []string{"app"}, Annotations: []string{"ambient-code.io/created-by-user-id"}}, []Projection{need},
			[]string{`labels ["ambient-code.io/role"]`, `annotations ["ambient-code.io/role"]`}},
		{"every need is checked", need, []Projection{need, other}, []string{`labels []`, `annotations ["example.com/owner"]`}},
		{"a label is not an annotation", Projection{Labels: need.Annotations, Annotations: need.Labels}, []Projection{need},
			[]string{`labels ["app"]`, `annotations ["ambient-code.io/created-by-user-id"]`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckProjection(tt.p, tt.needs...)
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("CheckProjection = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrProjectionIncomplete) {
				t.Fatalf("CheckProjection = %v, want ErrProjectionIncomplete", err)
			}
			for _, m := range tt.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
		})
	}
}

func TestCacheCheckProjection(t *testing.T) {
	need := Projection{Annotations: []string{"ambient-code.io/role"}}
	full := startTestCache(t, fake.NewClientset())
	if err := full.CheckProjection(need); err != nil {
		t.Errorf("a cache of whole objects: %v", err)
	}
	given := Projection{Annotations: []string{strategies.DefaultCreatorAnnotation}}
	projected := startTestCache(t, fake.NewClientset(), WithProjection(given))
	given.Annotations[0] = "ambient-code.io/role" // the cache copied its projection
	if err := projected.CheckProjection(need); !errors.Is(err, ErrProjectionIncomplete) {
		t.Errorf("a projection without the role: %v", err)
	}
}

func TestCacheFilters(t *testing.T) {
	labelled := map[string]string{"app": "ambient-access-key"}
	client := fake.NewClientset(
		serviceAccount("keys", "labelled", labelled, nil),
		serviceAccount("keys", "plain", nil, nil),
		serviceAccount("more-keys", "labelled", labelled, nil),
		serviceAccount("elsewhere", "labelled", labelled, nil),
	)
	for _, tc := range []struct {
		name string
		opts []Option
		want []string // namespace/name found by Get
	}{
		{"everything", nil, []string{"keys/labelled", "keys/plain", "more-keys/labelled", "elsewhere/labelled"}},
		{"namespaces", []Option{WithNamespaces("keys", "more-keys")}, []string{"keys/labelled", "keys/plain", "more-keys/labelled"}},
		{"label selector", []Option{WithLabelSelector("app=ambient-access-key")}, []string{"keys/labelled", "more-keys/labelled", "elsewhere/labelled"}},
		{"both", []Option{WithNamespaces("keys"), WithLabelSelector("app=ambient-access-key")}, []string{"keys/labelled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startTestCache(t, client, tc.opts...)
			var found []string
			for _, key := range []string{"keys/labelled", "keys/plain", "more-keys/labelled", "elsewhere/labelled"} {
				ns, name, _ := strings.Cut(key, "/")
				sa, ok, err := c.ServiceAccount(ns, name)
				switch {
				case err != nil:
					t.Errorf("ServiceAccount(%s): %v", key, err)
				case ok && sa.Name == name && sa.Namespace == ns:
					found = append(found, key)
				case ok:
					t.Errorf("ServiceAccount(%s) answered %s/%s", key, sa.Namespace, sa.Name)
				}
			}
			if diff := cmp.Diff(tc.want, found); diff != "" {
				t.Errorf("found (-want +got):\n%s", diff)
			}
			if c.Len() != len(tc.want) {
				t.Errorf("Len %d, want %d", c.Len(), len(tc.want))
			}
		})
	}
}

// fakeClock is a settable clock for staleness.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestMaxStaleness cuts the informer's watch and refuses new ones: the
// cache stays usable for the allowed staleness, then reports unsynced until
// a watch succeeds again.
func TestMaxStaleness(t *testing.T) {
	client := fake.NewClientset(serviceAccount("keys", "k1", nil, nil))
	var (
		mu      sync.Mutex
		current *watch.FakeWatcher
		refuse  bool
	)
	client.PrependWatchReactor("serviceaccounts", func(k8stesting.Action) (bool, watch.Interface, error) {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			return true, nil, fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED)
		}
		current = watch.NewFake()
		return true, current, nil
	})
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	c := startTestCache(t, client, WithMaxStaleness(time.Minute), withCacheClock(clock.Now))
	waitFor(t, "the first watch", func() bool { mu.Lock(); defer mu.Unlock(); return current != nil })
	waitFor(t, "the first sync", c.HasSynced)
	if c.Stale() {
		t.Fatal("Stale true while the watch is open")
	}

	mu.Lock()
	refuse = true
	current.Stop() // the API server went away: the result channel closes
	mu.Unlock()
	waitFor(t, "the link to go down", func() bool { clock.Add(time.Millisecond); return c.links[0].downFor() > 0 })
	if !c.HasSynced() {
		t.Fatal("HasSynced false right after the watch ended; want the cache usable within the staleness bound")
	}
	if !c.Stale() {
		t.Fatal("Stale false after the watch ended")
	}
	clock.Add(time.Minute)
	if c.HasSynced() {
		t.Fatal("HasSynced true after the staleness bound passed")
	}

	// The informer's own backoff has grown meanwhile; the cache retries by
	// itself (TestCallRetriesOnlyAnUnreachableServer pins the policy), so
	// it is back once the API server is. How fast is logged, not asserted:
	// timings on a shared machine are for benchmarks.
	time.Sleep(3 * time.Second)
	mu.Lock()
	refuse = false
	mu.Unlock()
	back := time.Now()
	waitFor(t, "the informer to watch again", c.HasSynced)
	waitFor(t, "Stale to turn false", func() bool { return !c.Stale() })
	t.Logf("reconnected %v after the API server was back (retries at most %v apart)", time.Since(back), reconnectMaxDelay)
}

func TestCallRetriesOnlyAnUnreachableServer(t *testing.T) {
	refused := fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED)
	denied := apierrors.NewForbidden(corev1.Resource("serviceaccounts"), "", errors.New("RBAC"))
	for _, tc := range []struct {
		name      string
		retry     bool
		errs      []error // returned by successive calls, then nil
		wantCalls int
		wantErr   bool
	}{
		{"success", true, nil, 1, false},
		{"refused, then back", true, []error{refused, refused}, 3, false},
		{"unavailable, then back", true, []error{apierrors.NewServiceUnavailable("starting")}, 2, false},
		{"denied is the informer's to handle", true, []error{denied}, 1, true},
		{"expired is the informer's to handle", true, []error{apierrors.NewResourceExpired("too old")}, 1, true},
		{"without a staleness bound", false, []error{refused}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := &apiLink{now: time.Now, retry: tc.retry}
			calls := 0
			err := link.call(t.Context(), func() error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Errorf("%d calls, err %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
			if err == nil && link.downFor() != 0 {
				t.Error("link down after a successful call")
			}
		})
	}
	t.Run("ends with its context", func(t *testing.T) {
		link := &apiLink{now: time.Now, retry: true}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		if err := link.call(ctx, func() error { return refused }); err == nil {
			t.Error("call succeeded against a server that never came back")
		}
	})
}

func TestWatchStoppedByInformerIsNotAnOutage(t *testing.T) {
	link := &apiLink{now: time.Now}
	inner := watch.NewFake()
	w := link.track(inner)
	go inner.Add(&corev1.ServiceAccount{})
	if ev := <-w.ResultChan(); ev.Type != watch.Added {
		t.Fatalf("event %v, want Added", ev.Type)
	}
	w.Stop()
	w.Stop() // idempotent
	for range w.ResultChan() {
	}
	if d := link.downFor(); d != 0 {
		t.Errorf("downFor = %v after Stop; want 0", d)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProjectionSharesRepeatedValues(t *testing.T) {
	transform := Projection{Labels: []string{"app"}, Annotations: []string{strategies.DefaultCreatorAnnotation}}.transform()
	project := func(sa *corev1.ServiceAccount) *corev1.ServiceAccount {
		out, err := transform(sa)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*corev1.ServiceAccount)
	}
	key := map[string]string{"app": "ambient-access-key", "team": "a"}
	a := project(serviceAccount("keys", "a", key, map[string]string{strategies.DefaultCreatorAnnotation: "alice"}))
	b := project(serviceAccount("keys", "b", map[string]string{"app": "ambient-access-key", "team": "b"}, map[string]string{strategies.DefaultCreatorAnnotation: "alice"}))
	other := project(serviceAccount("keys", "c", map[string]string{"app": "other"}, nil))
	none := project(serviceAccount("keys", "d", map[string]string{"team": "a"}, nil))

	if !sameMap(a.Labels, b.Labels) {
		t.Error("equal projected labels are not shared")
	}
	if sameMap(a.Labels, other.Labels) || other.Labels["app"] != "other" {
		t.Errorf("different labels shared or wrong: %v", other.Labels)
	}
	if none.Labels != nil {
		t.Errorf("labels %v, want nil when none is projected", none.Labels)
	}
	if sameMap(a.Annotations, b.Annotations) {
		t.Error("annotations are shared; they hold per-key values")
	}
}

func TestInternerIsBounded(t *testing.T) {
	var in interner
	for i := range maxInternedStrings + 10 {
		in.str(fmt.Sprint(i))
	}
	for i := range maxInternedLabels + 10 {
		in.labelSet(map[string]string{"app": fmt.Sprint(i)}, []string{"app"})
	}
	if len(in.strs) > maxInternedStrings || len(in.labelSets) > maxInternedLabels {
		t.Errorf("interner holds %d strings and %d label sets; bounds are %d and %d",
			len(in.strs), len(in.labelSets), maxInternedStrings, maxInternedLabels)
	}
	if got := in.labelSet(map[string]string{"app": "new"}, []string{"app"}); got["app"] != "new" {
		t.Errorf("a full interner returned %v", got)
	}
}

// sameMap reports whether a and b are the same map, not merely equal.
func sameMap(a, b map[string]string) bool {
	if a == nil || b == nil {
		return false
	}
	a["\x00probe"] = "x"
	defer delete(a, "\x00probe")
	_, ok := b["\x00probe"]
	return ok
}

// BenchmarkHasSyncedWithStaleness is the check the annotation strategy
// makes on every request when the cache has a staleness bound: 0 allocs/op.
func BenchmarkHasSyncedWithStaleness(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(ctx, fake.NewClientset(serviceAccount("keys", "k1", nil, nil)),
		WithNamespaces("keys", "more-keys"), WithMaxStaleness(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cancel(); c.Shutdown() }()
	if !c.WaitForSync(ctx, 10*time.Second) {
		b.Fatal("cache did not sync")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !c.HasSynced() {
			b.Fatal("not synced")
		}
	}
}
