package kubecache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
	want := view{
		Namespace: "keys", Name: "k1", UID: "uid-keys-k1", Deleting: true,
		Labels:      map[string]string{"app": "ambient-access-key"},
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}
	if diff := cmp.Diff(want, viewOf(t, got)); diff != "" {
		t.Errorf("projected (-want +got):\n%s", diff)
	}
	again, err := transform(got)
	if err != nil {
		t.Fatal(err)
	}
	if again != got {
		t.Error("transform is not idempotent: it rebuilt a projected object")
	}
	if len(sa.ManagedFields) == 0 || len(sa.Annotations) != 2 {
		t.Error("transform modified its input")
	}
	tombstone := "not a ServiceAccount"
	if out, _ := transform(tombstone); out != tombstone {
		t.Error("transform changed an object that is not a ServiceAccount")
	}
}

// view is what a projected object answers, through the reader's
// ServiceAccountMeta and through the metav1.Object the informer reads.
type view struct {
	Namespace, Name, UID string
	Labels, Annotations  map[string]string
	Deleting             bool
}

// viewOf reads obj, a projected object, both ways and fails if they
// disagree.
func viewOf(t *testing.T, obj any) view {
	t.Helper()
	s, ok := obj.(*storedServiceAccount)
	if !ok {
		t.Fatalf("projected into a %T", obj)
	}
	m := s.meta()
	om := s.GetObjectMeta()
	v := view{Namespace: m.Namespace, Name: m.Name, UID: m.UID, Deleting: m.Deleting,
		Labels: om.GetLabels(), Annotations: om.GetAnnotations()}
	if om.GetNamespace() != m.Namespace || om.GetName() != m.Name || string(om.GetUID()) != m.UID ||
		(om.GetDeletionTimestamp() != nil) != m.Deleting {
		t.Errorf("metav1.Object %s/%s %s (deleting %v) disagrees with the meta %+v",
			om.GetNamespace(), om.GetName(), om.GetUID(), om.GetDeletionTimestamp() != nil, m)
	}
	for _, kind := range []struct {
		keys []string
		kept map[string]string
		get  func(string) (string, bool)
	}{{s.keys.labels, v.Labels, m.Label}, {s.keys.annotations, v.Annotations, m.Annotation}} {
		for _, k := range append(slices.Clone(kind.keys), "not-kept") {
			got, ok := kind.get(k)
			want, wantOK := kind.kept[k]
			if got != want || ok != wantOK {
				t.Errorf("key %q: %q %v through the meta, %q %v through metav1.Object", k, got, ok, want, wantOK)
			}
		}
	}
	return v
}

// TestStoredServiceAccountRoundTrip packs objects whose strings and key
// counts cross the encoding's boundaries (empty values, lengths past one
// varint byte, a key that is both a label and an annotation) and reads
// every field back.
func TestStoredServiceAccountRoundTrip(t *testing.T) {
	var labels, annotations []string
	for i := range 140 {
		labels = append(labels, fmt.Sprintf("l%d", i))
		annotations = append(annotations, fmt.Sprintf("a%d", i))
	}
	labels = append(labels, "both")
	annotations = append(annotations, "both")
	transform := Projection{Labels: labels, Annotations: annotations}.transform()
	for _, tc := range []struct {
		name        string
		sa          *corev1.ServiceAccount
		labels      map[string]string
		annotations map[string]string
	}{
		{"empty", &corev1.ServiceAccount{}, nil, nil},
		{"no kept keys", serviceAccount("ns", "n", map[string]string{"x": "1"}, map[string]string{"y": "2"}), nil, nil},
		{"empty values", serviceAccount("ns", "n", map[string]string{"l0": ""}, map[string]string{"a0": ""}),
			map[string]string{"l0": ""}, map[string]string{"a0": ""}},
		{"long strings", serviceAccount(strings.Repeat("n", 63), strings.Repeat("m", 253),
			map[string]string{"l139": strings.Repeat("v", 63)}, map[string]string{"a1": strings.Repeat("w", 70000)}),
			map[string]string{"l139": strings.Repeat("v", 63)}, map[string]string{"a1": strings.Repeat("w", 70000)}},
		{"keys past one varint byte", serviceAccount("ns", "n",
			map[string]string{"l5": "x", "l130": "y", "both": "label"}, map[string]string{"a0": "p", "a127": "q", "a139": "r", "both": "annotation"}),
			map[string]string{"l5": "x", "l130": "y", "both": "label"}, map[string]string{"a0": "p", "a127": "q", "a139": "r", "both": "annotation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transform(tc.sa)
			if err != nil {
				t.Fatal(err)
			}
			want := view{Namespace: tc.sa.Namespace, Name: tc.sa.Name, UID: string(tc.sa.UID), Labels: tc.labels, Annotations: tc.annotations}
			if diff := cmp.Diff(want, viewOf(t, got)); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzStoredServiceAccount packs arbitrary strings and reads them back.
func FuzzStoredServiceAccount(f *testing.F) {
	f.Add("ns", "name", "uid", "app", "ambient-access-key", "creator", "alice", true)
	f.Add("", "", "", "", "", "", "", false)
	f.Add("n", strings.Repeat("x", 200), "\x80\xff", "k", "\x00", "k", "", false)
	f.Fuzz(func(t *testing.T, ns, name, uid, labelKey, labelValue, annotationKey, annotationValue string, deleting bool) {
		sa := serviceAccount(ns, name, map[string]string{labelKey: labelValue}, map[string]string{annotationKey: annotationValue})
		sa.UID = types.UID(uid)
		if deleting {
			now := metav1.Now()
			sa.DeletionTimestamp = &now
		}
		got, err := Projection{Labels: []string{labelKey, "absent"}, Annotations: []string{"absent", annotationKey}}.transform()(sa)
		if err != nil {
			t.Fatal(err)
		}
		want := view{Namespace: ns, Name: name, UID: uid, Deleting: deleting,
			Labels: map[string]string{labelKey: labelValue}, Annotations: map[string]string{annotationKey: annotationValue}}
		if diff := cmp.Diff(want, viewOf(t, got)); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
	})
}

// TestProjectionSharesNamespaces: projected objects of one namespace hold
// one copy of its name; their values are their own.
func TestProjectionSharesNamespaces(t *testing.T) {
	transform := Projection{Labels: []string{"app"}, Annotations: []string{strategies.DefaultCreatorAnnotation}}.transform()
	project := func(sa *corev1.ServiceAccount) *storedServiceAccount {
		out, err := transform(sa)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*storedServiceAccount)
	}
	// Built apart, so that equal strings start as different copies.
	a := project(serviceAccount(strings.Clone("keys"), "a", nil, map[string]string{strategies.DefaultCreatorAnnotation: "alice"}))
	b := project(serviceAccount(strings.Clone("keys"), "b", nil, map[string]string{strategies.DefaultCreatorAnnotation: "bob"}))
	other := project(serviceAccount("other", "a", nil, nil))
	if unsafe.StringData(a.meta().Namespace) != unsafe.StringData(b.meta().Namespace) {
		t.Error("the namespace is held once per object")
	}
	if other.meta().Namespace != "other" || a.meta().Namespace != "keys" {
		t.Errorf("namespaces %q and %q", a.meta().Namespace, other.meta().Namespace)
	}
	if v, _ := a.Annotation(strategies.DefaultCreatorAnnotation); v != "alice" {
		t.Errorf("a's creator %q", v)
	}
	if v, _ := b.Annotation(strategies.DefaultCreatorAnnotation); v != "bob" {
		t.Errorf("b's creator %q", v)
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

// TestProjectedCacheFollowsDeletionAndRecreation drives a projected cache
// through a deletion, a re-creation under the same name, and relists that
// find a key gone (the informer's tombstone path) or re-created meanwhile:
// a lookup never answers with an incarnation the API server no longer has.
func TestProjectedCacheFollowsDeletionAndRecreation(t *testing.T) {
	incarnation := func(uid string) *corev1.ServiceAccount {
		sa := serviceAccount("keys", "k", map[string]string{"app": "ambient-access-key"},
			map[string]string{strategies.DefaultCreatorAnnotation: "alice-" + uid})
		sa.UID = types.UID(uid)
		return sa
	}
	var (
		mu      sync.Mutex
		listed  []corev1.ServiceAccount
		watcher *watch.FakeWatcher
	)
	client := fake.NewClientset()
	client.PrependReactor("list", "serviceaccounts", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		return true, &corev1.ServiceAccountList{ListMeta: metav1.ListMeta{ResourceVersion: "10"}, Items: slices.Clone(listed)}, nil
	})
	client.PrependWatchReactor("serviceaccounts", func(k8stesting.Action) (bool, watch.Interface, error) {
		mu.Lock()
		defer mu.Unlock()
		watcher = watch.NewFakeWithChanSize(10, false)
		return true, watcher, nil
	})
	currentWatch := func() *watch.FakeWatcher {
		mu.Lock()
		defer mu.Unlock()
		return watcher
	}
	// relist makes the API server hold items, and ends the watch as a
	// compacted history does, so that the informer lists again.
	relist := func(items ...*corev1.ServiceAccount) {
		mu.Lock()
		listed = nil
		for _, sa := range items {
			listed = append(listed, *sa)
		}
		old := watcher
		mu.Unlock()
		old.Error(&apierrors.NewResourceExpired("too old resource version").ErrStatus)
		waitFor(t, "a new watch", func() bool { return currentWatch() != old })
	}
	// uidOf returns the uid the cache answers with, or "" for a miss.
	uidOf := func(c *Cache) string {
		sa, found, err := c.ServiceAccount("keys", "k")
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			return ""
		}
		if creator, _ := sa.Annotation(strategies.DefaultCreatorAnnotation); creator != "alice-"+sa.UID {
			t.Fatalf("incarnation %s answered with the creator %q", sa.UID, creator)
		}
		return sa.UID
	}
	expect := func(c *Cache, what, uid string) {
		t.Helper()
		waitFor(t, what, func() bool { return uidOf(c) == uid })
	}

	listed = []corev1.ServiceAccount{*incarnation("uid-1")}
	c := startTestCache(t, client, WithProjection(Projection{Labels: []string{"app"}, Annotations: []string{strategies.DefaultCreatorAnnotation}}))
	waitFor(t, "the first watch", func() bool { return currentWatch() != nil })
	expect(c, "the listed key", "uid-1")

	currentWatch().Delete(incarnation("uid-1"))
	expect(c, "the deletion", "")
	currentWatch().Add(incarnation("uid-2"))
	expect(c, "the re-creation", "uid-2")

	relist() // deleted while the watch was down: a tombstone
	expect(c, "the relist without the key", "")
	if c.Len() != 0 {
		t.Errorf("Len %d after the key's tombstone, want 0", c.Len())
	}
	relist(incarnation("uid-3"))
	expect(c, "the relist with a new incarnation", "uid-3")
	relist(incarnation("uid-4")) // deleted and re-created while the watch was down
	expect(c, "the relist with another incarnation", "uid-4")
}
