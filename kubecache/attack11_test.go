package kubecache

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
)

// Attacks on the packed objects of a projected cache: values an owner of a
// ServiceAccount chooses, projections that name a key twice or change
// after the cache is built, objects that are not ServiceAccounts, and
// readers racing the informer's updates.

// forged returns the packing of field index holding value, as store
// writes it after the name and uid.
func forged(index int, value string) string {
	b := binary.AppendUvarint(nil, uint64(index))
	b = binary.AppendUvarint(b, uint64(len(value)))
	return string(b) + value
}

// TestAttack11_HostileValuesForgeNoField: values and names carrying the
// packing of other fields (a kept key the object lacks, the creator), NUL
// and invalid UTF-8, separators, lengths that read as varints, and a
// value of 1 MiB, read back as written, and a key the object does not
// carry stays absent, never another key's value.
func TestAttack11_HostileValuesForgeNoField(t *testing.T) {
	creator := strategies.DefaultCreatorAnnotation
	p := Projection{Labels: []string{"app", "role"}, Annotations: []string{creator, "note"}}
	transform := p.transform()
	// Indexes: app 0, role 1, creator 2, note 3.
	forgeCreator := forged(2, "root")
	forgeRole := forged(1, "admin")
	for name, sa := range map[string]*corev1.ServiceAccount{
		"value forges a later field": serviceAccount("ns", "k", map[string]string{"app": forgeRole + forgeCreator}, nil),
		"name forges fields":         serviceAccount("ns", "k"+forgeRole+forgeCreator, map[string]string{"app": "x"}, nil),
		"uid forges fields": func() *corev1.ServiceAccount {
			sa := serviceAccount("ns", "k", nil, map[string]string{"note": "n"})
			sa.UID = types.UID("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01" + forgeCreator)
			return sa
		}(),
		"NUL, invalid UTF-8, separators": serviceAccount("ns\x00/x", "k/../\x00",
			map[string]string{"app": "\x00\xff\xfe/=,;\n"}, map[string]string{"note": "\x80"}),
		"huge value then forged bytes": serviceAccount("ns", "k",
			map[string]string{"app": strings.Repeat("\x80", 1<<20) + forgeCreator}, map[string]string{"note": forgeRole}),
		"empty name and value": serviceAccount("ns", "", map[string]string{"app": ""}, nil),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := transform(sa)
			if err != nil {
				t.Fatal(err)
			}
			s := out.(*storedServiceAccount)
			m := s.meta()
			if m.Namespace != sa.Namespace || m.Name != sa.Name || m.UID != string(sa.UID) {
				t.Errorf("identity %q/%q %q, want %q/%q %q", m.Namespace, m.Name, m.UID, sa.Namespace, sa.Name, sa.UID)
			}
			for _, k := range []string{"app", "role", "absent", creator, "note"} {
				for _, get := range []struct {
					what string
					fn   func(string) (string, bool)
					src  map[string]string
					kept []string
				}{{"label", m.Label, sa.Labels, p.Labels}, {"annotation", m.Annotation, sa.Annotations, p.Annotations}} {
					want, wantOK := get.src[k]
					if !contains(get.kept, k) {
						want, wantOK = "", false
					}
					if got, ok := get.fn(k); got != want || ok != wantOK {
						t.Errorf("%s %q: %.40q %v, want %.40q %v", get.what, k, got, ok, want, wantOK)
					}
				}
			}
		})
	}
}

func contains(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// TestAttack11_ProjectionTwiceAndEditedAfter: a projection that names a
// key twice, or whose slices its caller edits after the cache is built,
// still answers each key with its own value.
func TestAttack11_ProjectionTwiceAndEditedAfter(t *testing.T) {
	p := Projection{Labels: []string{"app", "app", "team"}, Annotations: []string{"creator", "app"}}
	transform := p.transform()
	p.Labels[0], p.Labels[2], p.Annotations[0] = "team", "app", "app" // the caller's slices, edited
	out, err := transform(serviceAccount("ns", "k",
		map[string]string{"app": "label-app", "team": "label-team"},
		map[string]string{"creator": "alice", "app": "annotation-app"}))
	if err != nil {
		t.Fatal(err)
	}
	s := out.(*storedServiceAccount)
	for _, c := range []struct {
		get       func(string) (string, bool)
		key, want string
	}{
		{s.Label, "app", "label-app"},
		{s.Label, "team", "label-team"},
		{s.Annotation, "creator", "alice"},
		{s.Annotation, "app", "annotation-app"},
		{s.Label, "creator", ""},
		{s.Annotation, "team", ""},
	} {
		if got, _ := c.get(c.key); got != c.want {
			t.Errorf("%q: %q, want %q", c.key, got, c.want)
		}
	}
}

// TestAttack11_WrongObjectsFailClosed: what the transform passes through
// unchanged (another kind, a nil ServiceAccount, a tombstone) and a store
// then holds is an error on lookup, never a ServiceAccount found.
func TestAttack11_WrongObjectsFailClosed(t *testing.T) {
	transform := Projection{Labels: []string{"app"}}.transform()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "keys", Name: "secret"}}
	tomb := cache.DeletedFinalStateUnknown{Key: "keys/tomb", Obj: serviceAccount("keys", "tomb", nil, nil)}
	for _, obj := range []any{secret, (*corev1.ServiceAccount)(nil), tomb, (*storedServiceAccount)(nil)} {
		out, err := transform(obj)
		if err != nil {
			t.Fatalf("%T: %v", obj, err)
		}
		if out != obj {
			t.Errorf("%T: transformed into %T", obj, out)
		}
	}
	// A nil *corev1.ServiceAccount is left out here: client-go's store
	// itself dereferences it for its resourceVersion.
	for _, obj := range []any{secret, tomb, (*storedServiceAccount)(nil)} {
		// Each under the key a reader asks for, as a broken store might.
		idx := cache.NewIndexer(func(any) (string, error) { return "keys/k", nil }, cache.Indexers{})
		if err := idx.Add(obj); err != nil {
			t.Fatal(err)
		}
		if sa, ok, err := lookup(idx, "keys", "k"); ok || err == nil {
			t.Errorf("%T: found %v, err %v; want an error", obj, sa, err)
		}
	}
}

// TestAttack11_ConcurrentReadsDuringRecreation: readers asking for a key
// while it is deleted and re-created under new uids, again and again,
// only ever see one whole incarnation (its creator is its own) or a
// miss; run with -race.
func TestAttack11_ConcurrentReadsDuringRecreation(t *testing.T) {
	creator := strategies.DefaultCreatorAnnotation
	incarnation := func(i int) *corev1.ServiceAccount {
		sa := serviceAccount("keys", "k", map[string]string{"app": "key"},
			map[string]string{creator: fmt.Sprintf("user-%d", i)})
		sa.UID = types.UID(fmt.Sprintf("uid-%d", i))
		return sa
	}
	client := fake.NewClientset(incarnation(0))
	c := startTestCache(t, client, WithProjection(Projection{Labels: []string{"app"}, Annotations: []string{creator}}))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var seen atomic.Int64
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				sa, found, err := c.ServiceAccount("keys", "k")
				if err != nil {
					errs <- err
					return
				}
				if !found {
					continue
				}
				who, _ := sa.Annotation(creator)
				if app, _ := sa.Label("app"); app != "key" || sa.Name != "k" ||
					"uid-"+strings.TrimPrefix(who, "user-") != sa.UID {
					errs <- fmt.Errorf("incarnation %q answered with creator %q, app %q", sa.UID, who, app)
					return
				}
				seen.Add(1)
			}
		}()
	}
	ctx := t.Context()
	sas := client.CoreV1().ServiceAccounts("keys")
	for i := 1; i <= 40; i++ {
		if err := sas.Delete(ctx, "k", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := sas.Create(ctx, incarnation(i), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the last incarnation", func() bool {
		sa, found, _ := c.ServiceAccount("keys", "k")
		return found && sa.UID == "uid-40"
	})
	time.Sleep(10 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if seen.Load() == 0 {
		t.Error("no reader saw the key; the test proved nothing")
	}
}
