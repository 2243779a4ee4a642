package strategies_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/internal/tokentest"
	"github.com/authchain/authchain/kubecache"
)

// --- cluster fixtures ---------------------------------------------------

// saOpt edits a fixture ServiceAccount; options apply in order, so
// saSigned sees the uid and creator set before it.
type saOpt func(*corev1.ServiceAccount)

// newTestSA returns a ServiceAccount with uid "uid-NAME" and the options
// applied.
func newTestSA(namespace, name string, opts ...saOpt) *corev1.ServiceAccount {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: namespace,
		Name:      name,
		UID:       types.UID("uid-" + name),
	}}
	for _, opt := range opts {
		opt(sa)
	}
	return sa
}

func saUID(uid string) saOpt { return func(sa *corev1.ServiceAccount) { sa.UID = types.UID(uid) } }

func saLabel(k, v string) saOpt {
	return func(sa *corev1.ServiceAccount) {
		if sa.Labels == nil {
			sa.Labels = map[string]string{}
		}
		sa.Labels[k] = v
	}
}

func saAnnotate(k, v string) saOpt {
	return func(sa *corev1.ServiceAccount) {
		if sa.Annotations == nil {
			sa.Annotations = map[string]string{}
		}
		sa.Annotations[k] = v
	}
}

// saAccessKey sets the label the access-key service puts on its keys.
func saAccessKey() saOpt { return saLabel("app", "ambient-access-key") }

func saCreatedBy(user string) saOpt { return saAnnotate(strategies.DefaultCreatorAnnotation, user) }

// saCreatedByKey names another ServiceAccount as the creator and pins its
// incarnation, by the fixtures' convention uid "uid-NAME".
func saCreatedByKey(namespace, name string) saOpt {
	return func(sa *corev1.ServiceAccount) {
		saCreatedByKeyUnpinned(namespace, name)(sa)
		saAnnotate(strategies.DefaultCreatorUIDAnnotation, "uid-"+name)(sa)
	}
}

// saCreatedByKeyUnpinned names another ServiceAccount as the creator
// without recording its uid.
func saCreatedByKeyUnpinned(namespace, name string) saOpt {
	return saCreatedBy(authn.ServiceAccountSubjectPrefix + namespace + ":" + name)
}

// signBinding is binding.Sign for fixtures, which are valid.
func signBinding(key []byte, b binding.Binding) string {
	v, err := binding.Sign(key, b)
	if err != nil {
		panic(err)
	}
	return v
}

// saSigned signs the current uid, creator annotation and the attributes
// attrs (read from the annotations, else the labels) with key. A
// ServiceAccount creator's uid is "uid-NAME", the fixtures' convention.
func saSigned(key []byte, attrs ...string) saOpt {
	return func(sa *corev1.ServiceAccount) {
		b := binding.Binding{Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID),
			Creator: sa.Annotations[strategies.DefaultCreatorAnnotation]}
		if parent, err := authn.ParseServiceAccountSubject(b.Creator); err == nil {
			b.CreatorUID = "uid-" + parent.Name
		}
		for _, k := range attrs {
			v, ok := sa.Annotations[k]
			if !ok {
				v = sa.Labels[k]
			}
			if b.Attributes == nil {
				b.Attributes = map[string]string{}
			}
			b.Attributes[k] = v
		}
		saAnnotate(binding.DefaultAnnotation, signBinding(key, b))(sa)
	}
}

// saV1Signed writes the v1 binding of the current uid and creator, as
// releases before v2 signed it: the documented v1 encoding, computed here
// independently of the package.
func saV1Signed(key []byte) saOpt {
	return func(sa *corev1.ServiceAccount) {
		var msg []byte
		for _, f := range []string{"authchain/serviceaccount-creator-binding/v1", sa.Namespace, sa.Name, string(sa.UID), sa.Annotations[strategies.DefaultCreatorAnnotation]} {
			msg = binary.BigEndian.AppendUint64(msg, uint64(len(f)))
			msg = append(msg, f...)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(msg)
		saAnnotate(binding.DefaultAnnotation, "v1."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))(sa)
	}
}

// saDeleting marks the ServiceAccount as being deleted, held by a
// finalizer.
func saDeleting() saOpt {
	return func(sa *corev1.ServiceAccount) {
		at := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		sa.DeletionTimestamp = &at
		sa.Finalizers = append(sa.Finalizers, "example.com/hold")
	}
}

func saRemoveAnnotation(k string) saOpt {
	return func(sa *corev1.ServiceAccount) { delete(sa.Annotations, k) }
}

// saBinding writes a binding for an explicit uid and user.
func saBinding(key []byte, uid, user string) saOpt {
	return func(sa *corev1.ServiceAccount) {
		saAnnotate(binding.DefaultAnnotation, signBinding(key,
			binding.Binding{Namespace: sa.Namespace, Name: sa.Name, UID: uid, Creator: user}))(sa)
	}
}

// indexerReader serves sas from a plain cache indexer, synced.
func indexerReader(t testing.TB, sas ...*corev1.ServiceAccount) strategies.ServiceAccountReader {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, sa := range sas {
		if err := idx.Add(sa); err != nil {
			t.Fatal(err)
		}
	}
	return storeReader{idx}
}

// storeReader reads a client-go store as kubecache does, always synced.
type storeReader struct{ store cache.Store }

func (r storeReader) ServiceAccount(namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	obj, ok, err := r.store.GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return strategies.ServiceAccountMeta{}, false, err
	}
	return kubecache.Meta(obj.(*corev1.ServiceAccount)), true, nil
}

func (storeReader) HasSynced() bool { return true }

// startedInformer serves sas through a real ServiceAccount informer over a
// fake clientset, synced before it returns and stopped when t ends.
func startedInformer(t testing.TB, sas ...*corev1.ServiceAccount) (strategies.ServiceAccountReader, *fake.Clientset) {
	t.Helper()
	objs := make([]runtime.Object, len(sas))
	for i, sa := range sas {
		objs[i] = sa.DeepCopy()
	}
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	sai := factory.Core().V1().ServiceAccounts()
	reader, err := kubecache.FromInformer(sai.Informer())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
	})
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}
	return reader, client
}

// keyActor is the Principal after strategies.ServiceAccount for
// system:serviceaccount:NAMESPACE:NAME.
func keyActor(namespace, name string) authn.Principal {
	return authn.Principal{Actor: &authn.ServiceAccount{Namespace: namespace, Name: name}}
}

// resolvedTo is the contribution for a key resolved to human.
func resolvedTo(human, namespace, name, uid string, attrs map[string]string, reason string) authn.Decision {
	return authn.Contribute(authn.Principal{
		User:  authn.User{Name: human},
		Actor: &authn.ServiceAccount{Namespace: namespace, Name: name, UID: uid, Attributes: attrs},
	}, reason)
}

// --- the spec, as a table -----------------------------------------------

type annotationCase struct {
	name    string
	opts    []strategies.AnnotationOption
	cluster []*corev1.ServiceAccount
	sofar   authn.Principal
	want    authn.Decision
}

var (
	// Fixed binding keys; 32 bytes is the minimum accepted.
	keyA = []byte("0123456789abcdef0123456789abcdef")
	keyB = []byte("fedcba9876543210fedcba9876543210")
	keyC = []byte("a third key, retired long ago...")

	requireKeyLabel = strategies.RequireLabels(map[string]string{"app": "ambient-access-key"})
)

func annotationCases() []annotationCase {
	const alice = "alice@example.com"
	key := func(opts ...saOpt) *corev1.ServiceAccount { return newTestSA("team", "key", opts...) }
	cases := []annotationCase{
		// Applicability.
		{
			name:  "human without actor is not its business",
			opts:  []strategies.AnnotationOption{requireKeyLabel},
			sofar: authn.Principal{User: authn.User{Name: alice}},
			want:  authn.Skip("no actor awaiting a user"),
		},
		{
			name:    "actor whose user is already known",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("mallory"))},
			sofar:   authn.Principal{User: authn.User{Name: alice}, Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"}},
			want:    authn.Skip("no actor awaiting a user"),
		},
		// Look-up.
		{
			name:  "ServiceAccount not in cache",
			opts:  []strategies.AnnotationOption{requireKeyLabel},
			sofar: keyActor("team", "key"),
			want:  authn.Skip("ServiceAccount not in cache"),
		},
		{
			name:  "token-proven ServiceAccount not in cache: deleted, refused",
			opts:  []strategies.AnnotationOption{requireKeyLabel},
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-from-token"}},
			want:  authn.Reject("the token's ServiceAccount no longer exists"),
		},
		{
			name:    "same name in another namespace is another ServiceAccount",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("other", "key", saAccessKey(), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Skip("ServiceAccount not in cache"),
		},
		{
			name:    "no creator annotation",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saAnnotate("other.io/note", alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Skip("no creator annotation"),
		},
		{
			name:    "no creator annotation needs no provenance",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key()},
			sofar:   keyActor("team", "key"),
			want:    authn.Skip("no creator annotation"),
		},
		// The main case.
		{
			name:    "annotated key resolves to its creator, actor gets the uid",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "actor uid matching the cache",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-key"}},
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "actor uid differing from the cache: re-created",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-old"}},
			want:    authn.Reject("ServiceAccount was re-created"),
		},
		{
			name:    "re-created is refused even without an annotation",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key()},
			sofar:   authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-old"}},
			want:    authn.Reject("ServiceAccount was re-created"),
		},
		{
			name:    "non-ASCII user name",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("zoë@example.com"))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo("zoë@example.com", "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "custom creator annotation",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorAnnotation("example.com/owner")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saAnnotate("example.com/owner", alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "custom creator annotation ignores the default one",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorAnnotation("example.com/owner")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Skip("no creator annotation"),
		},
		// Provenance: labels.
		{
			name:    "label with another value",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saLabel("app", "ci"), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "label missing",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "label present as an annotation only",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAnnotate("app", "ambient-access-key"), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "every required label is checked",
			opts:    []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"app": "ambient-access-key", "tier": "keys"})},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label tier is not keys"),
		},
		{
			name:    "first failing label in key order",
			opts:    []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"tier": "keys", "app": "ambient-access-key"})},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "every required label present",
			opts:    []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"app": "ambient-access-key"}), strategies.RequireLabels(map[string]string{"tier": "keys"})},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saLabel("tier", "keys"), saLabel("extra", "x"), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "required empty label value must be present",
			opts:    []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"ambient-code.io/key": ""})},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label ambient-code.io/key is missing"),
		},
		{
			name:    "required empty label value present",
			opts:    []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"ambient-code.io/key": ""})},
			cluster: []*corev1.ServiceAccount{key(saLabel("ambient-code.io/key", ""), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		// Provenance: namespaces.
		{
			name:    "namespace allowed",
			opts:    []strategies.AnnotationOption{strategies.RequireNamespaces("keys", "team")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "namespace not allowed",
			opts:    []strategies.AnnotationOption{strategies.RequireNamespaces("keys")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("namespace team is not allowed"),
		},
		{
			name:    "namespaces accumulate",
			opts:    []strategies.AnnotationOption{strategies.RequireNamespaces("keys"), strategies.RequireNamespaces("team")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		// Provenance: signed binding.
		{
			name:    "binding valid",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyA))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "binding signed with another key",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyB))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "binding for the previous incarnation (re-created, annotations copied)",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saUID("uid-2222"), saCreatedBy(alice), saBinding(keyA, "uid-1111", alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "binding for another user (creator edited)",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy("mallory@example.com"), saBinding(keyA, "uid-key", alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "binding copied from another ServiceAccount",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(binding.DefaultAnnotation, signBinding(keyA, binding.Binding{Namespace: "team", Name: "other-key", UID: "uid-key", Creator: alice})))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "binding missing",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature missing"),
		},
		{
			name:    "binding garbage",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(binding.DefaultAnnotation, "v1.not-a-signature"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding is malformed"),
		},
		{
			name:    "rotation: new key first, binding signed with the old",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyB, keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyA))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "rotation: binding signed with the new key",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyB), strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyB))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "rotation: binding signed with a retired key",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyB, keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyC))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "custom binding annotation",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.WithBindingAnnotation("example.com/binding")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate("example.com/binding", signBinding(keyA, binding.Binding{Namespace: "team", Name: "key", UID: "uid-key", Creator: alice})))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "custom binding annotation ignores the default one",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.WithBindingAnnotation("example.com/binding")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyA))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature missing"),
		},
		{
			name:    "label checked before binding",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "label and binding both pass",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice), saSigned(keyA))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		// Insecure: no provenance.
		{
			name:    "insecure accepts an unverified annotation",
			opts:    []strategies.AnnotationOption{strategies.InsecureAcceptUnverifiedAnnotations()},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name:    "insecure still applies the checks it is given",
			opts:    []strategies.AnnotationOption{strategies.InsecureAcceptUnverifiedAnnotations(), requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name:    "insecure still refuses hostile values",
			opts:    []strategies.AnnotationOption{strategies.InsecureAcceptUnverifiedAnnotations()},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy("system:masters"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation uses the reserved system: prefix"),
		},
		// Reserved and malformed values.
		{
			name:    "system: user",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system:masters"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation uses the reserved system: prefix"),
		},
		{
			name:    "bare system: prefix",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system:"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation uses the reserved system: prefix"),
		},
		{
			name:    "ServiceAccount group name",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system:serviceaccounts:team"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation uses the reserved system: prefix"),
		},
		{
			name:    "malformed ServiceAccount subject: upper-case namespace",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system:serviceaccount:Team:parent"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation is a malformed ServiceAccount subject: " + authn.ErrSubjectNamespace.Error()),
		},
		{
			name:    "malformed ServiceAccount subject: extra part",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system:serviceaccount:team:parent:x"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation is a malformed ServiceAccount subject: " + authn.ErrSubjectParts.Error()),
		},
		{
			name:    "the synthetic prefix is reserved",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy("system-serviceaccount-team-parent"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation uses the reserved synthetic-user prefix"),
		},
		// Attributes.
		{
			name: "attributes copied from labels and annotations",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("ambient-code.io/scope", "app", "absent")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice),
				saAnnotate("ambient-code.io/scope", "read"))},
			sofar: keyActor("team", "key"),
			want: resolvedTo(alice, "team", "key", "uid-key",
				map[string]string{"ambient-code.io/scope": "read", "app": "ambient-access-key"}, "creator annotation"),
		},
		{
			name: "a label and an annotation of the same key: ambiguous, refused",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("tier")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice),
				saLabel("tier", "silver"), saAnnotate("tier", "gold"))},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("copied attribute is ambiguous").WithDetail("attribute tier is both a label and an annotation"),
		},
		{
			name:    "nothing to copy leaves no attributes",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("absent")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			// Copied keys are the strategy's alone: an earlier value under
			// one ("origin") that the ServiceAccount does not carry is
			// dropped, never passed off as checked; other keys stay.
			name:    "earlier attributes under copied keys are replaced, others kept",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("tier", "origin")},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice), saAnnotate("tier", "gold"))},
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key",
				Attributes: map[string]string{"origin": "token", "tier": "bronze", "via": "jwt"}}},
			want: resolvedTo(alice, "team", "key", "uid-key", map[string]string{"via": "jwt", "tier": "gold"}, "creator annotation"),
		},
		{
			name:    "earlier attributes are kept without CopyAttributes",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice), saAnnotate("tier", "gold"))},
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key",
				Attributes: map[string]string{"origin": "token"}}},
			want: resolvedTo(alice, "team", "key", "uid-key", map[string]string{"origin": "token"}, "creator annotation"),
		},
	}
	cases = append(cases, hopCases()...)
	cases = append(cases, incarnationCases()...)
	cases = append(cases, deletionCases()...)
	cases = append(cases, signedAttributeCases()...)
	cases = append(cases, hostileValueCases()...)
	return cases
}

// hopCases cover keys created by keys.
func hopCases() []annotationCase {
	const alice = "alice@example.com"
	// chain returns keys k0 (acting) ... kN, each created by the next, the
	// last by alice, all labelled and signed with keyA.
	chain := func(n int) []*corev1.ServiceAccount {
		sas := make([]*corev1.ServiceAccount, n+1)
		for i := range sas {
			name := "k" + string(rune('0'+i))
			creator := saCreatedBy(alice)
			if i < n {
				creator = saCreatedByKey("team", "k"+string(rune('0'+i+1)))
			}
			sas[i] = newTestSA("team", name, saAccessKey(), creator, saSigned(keyA))
		}
		return sas
	}
	withLabelAndBinding := []strategies.AnnotationOption{requireKeyLabel, strategies.RequireSignedBinding(keyA)}
	return []annotationCase{
		{
			name:    "key created by a key created by a human (2 keys)",
			opts:    withLabelAndBinding,
			cluster: chain(1),
			sofar:   keyActor("team", "k0"),
			want:    resolvedTo(alice, "team", "k0", "uid-k0", nil, "creator annotation via 1 key"),
		},
		{
			name:    "3 keys",
			opts:    withLabelAndBinding,
			cluster: chain(2),
			sofar:   keyActor("team", "k0"),
			want:    resolvedTo(alice, "team", "k0", "uid-k0", nil, "creator annotation via 2 keys"),
		},
		{
			name:    "4 keys: 3 hops, the default bound",
			opts:    withLabelAndBinding,
			cluster: chain(3),
			sofar:   keyActor("team", "k0"),
			want:    resolvedTo(alice, "team", "k0", "uid-k0", nil, "creator annotation via 3 keys"),
		},
		{
			name:    "5 keys: too long for the default bound",
			opts:    withLabelAndBinding,
			cluster: chain(4),
			sofar:   keyActor("team", "k0"),
			want:    authn.Reject("creator chain too long").WithDetail("longer than 3 keys"),
		},
		{
			name:    "5 keys within a raised bound",
			opts:    append([]strategies.AnnotationOption{strategies.WithMaxHops(4)}, withLabelAndBinding...),
			cluster: chain(4),
			sofar:   keyActor("team", "k0"),
			want:    resolvedTo(alice, "team", "k0", "uid-k0", nil, "creator annotation via 4 keys"),
		},
		{
			name:    "3 keys with the bound lowered to 1",
			opts:    append([]strategies.AnnotationOption{strategies.WithMaxHops(1)}, withLabelAndBinding...),
			cluster: chain(2),
			sofar:   keyActor("team", "k0"),
			want:    authn.Reject("creator chain too long").WithDetail("longer than 1 key"),
		},
		{
			name:    "middle of a chain resolves on its own",
			opts:    withLabelAndBinding,
			cluster: chain(2),
			sofar:   keyActor("team", "k1"),
			want:    resolvedTo(alice, "team", "k1", "uid-k1", nil, "creator annotation via 1 key"),
		},
		{
			name: "parent in another namespace",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.RequireNamespaces("team", "keys")},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("keys", "root")),
				newTestSA("keys", "root", saAccessKey(), saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation via 1 key"),
		},
		{
			name: "cycle of two",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key-a", saAccessKey(), saCreatedByKey("team", "key-b")),
				newTestSA("team", "key-b", saAccessKey(), saCreatedByKey("team", "key-a")),
			},
			sofar: keyActor("team", "key-a"),
			want:  authn.Reject("creator chain has a cycle"),
		},
		{
			name:    "key created by itself",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "key"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator chain has a cycle"),
		},
		{
			name: "cycle found before the bound",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.WithMaxHops(1)},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "key")),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator chain has a cycle"),
		},
		{
			name:    "parent not in cache: refused, not made synthetic",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "gone"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator chain: parent key not in cache"),
		},
		{
			name: "parent without creator annotation",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey()),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator chain: parent key has no creator annotation"),
		},
		{
			name: "parent without the label",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("label app is not ambient-access-key"),
		},
		{
			name: "parent outside the allowed namespaces",
			opts: []strategies.AnnotationOption{strategies.RequireNamespaces("team")},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKey("other", "parent")),
				newTestSA("other", "parent", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("namespace other is not allowed"),
		},
		{
			name: "parent binding for its previous incarnation",
			opts: withLabelAndBinding,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy(alice), saBinding(keyA, "uid-old-parent", alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name: "parent binding missing",
			opts: withLabelAndBinding,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("binding signature missing"),
		},
		{
			name: "parent names a system: user",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy("system:masters")),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation uses the reserved system: prefix"),
		},
		{
			name: "parent value empty",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy("")),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation is empty"),
		},
		{
			name: "parent with a malformed subject",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy("system:serviceaccount:team:")),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation is a malformed ServiceAccount subject: " + authn.ErrSubjectName.Error()),
		},
		{
			name: "attributes come from the acting key, not its parent",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("ambient-code.io/scope", "ambient-code.io/limit")},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent"), saAnnotate("ambient-code.io/scope", "read")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy(alice),
					saAnnotate("ambient-code.io/scope", "admin"), saAnnotate("ambient-code.io/limit", "none")),
			},
			sofar: keyActor("team", "key"),
			want:  resolvedTo(alice, "team", "key", "uid-key", map[string]string{"ambient-code.io/scope": "read"}, "creator annotation via 1 key"),
		},
		{
			name: "actor uid checked against the acting key only",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy(alice)),
			},
			sofar: authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-key"}},
			want:  resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation via 1 key"),
		},
	}
}

// incarnationCases: a key created by a key names that key's incarnation,
// not only its name, at every hop.
func incarnationCases() []annotationCase {
	const alice = "alice@example.com"
	labelled := func(name string, opts ...saOpt) *corev1.ServiceAccount {
		return newTestSA("team", name, append([]saOpt{saAccessKey()}, opts...)...)
	}
	signed := []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)}
	return []annotationCase{
		// Label and namespace policies: the creator uid annotation.
		{
			name:    "label policy: child pins its parent",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{labelled("key", saCreatedByKey("team", "parent")), labelled("parent", saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation via 1 key"),
		},
		{
			name:    "label policy: child without the parent's uid",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{labelled("key", saCreatedByKeyUnpinned("team", "parent")), labelled("parent", saCreatedBy(alice))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation + " is missing"),
		},
		{
			name: "label policy: parent deleted and re-created for someone else",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				labelled("key", saCreatedByKey("team", "parent")),
				labelled("parent", saUID("uid-parent-2"), saCreatedBy("mallory@example.com")),
			},
			sofar: keyActor("team", "key"),
			want: authn.Reject("creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation +
				" does not match the parent key's uid: the parent was re-created"),
		},
		{
			name: "label policy: every hop is pinned",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				labelled("key", saCreatedByKey("team", "parent")),
				labelled("parent", saCreatedByKeyUnpinned("team", "root")),
				labelled("root", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation + " is missing"),
		},
		{
			name: "namespace policy: parent re-created",
			opts: []strategies.AnnotationOption{strategies.RequireNamespaces("team")},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saUID("uid-parent-2"), saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want: authn.Reject("creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation +
				" does not match the parent key's uid: the parent was re-created"),
		},
		{
			name: "insecure: the uid is still required",
			opts: []strategies.AnnotationOption{strategies.InsecureAcceptUnverifiedAnnotations()},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKeyUnpinned("team", "parent")),
				newTestSA("team", "parent", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation + " is missing"),
		},
		{
			name: "custom creator uid annotation",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorUIDAnnotation("example.com/parent-uid")},
			cluster: []*corev1.ServiceAccount{
				labelled("key", saCreatedByKeyUnpinned("team", "parent"), saAnnotate("example.com/parent-uid", "uid-parent")),
				labelled("parent", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation via 1 key"),
		},
		{
			name: "custom creator uid annotation ignores the default one",
			opts: []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorUIDAnnotation("example.com/parent-uid")},
			cluster: []*corev1.ServiceAccount{
				labelled("key", saCreatedByKey("team", "parent")),
				labelled("parent", saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator annotation failed provenance").WithDetail("annotation example.com/parent-uid is missing"),
		},
		{
			name:    "a human creator's uid annotation is not read",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{labelled("key", saCreatedBy(alice), saAnnotate(strategies.DefaultCreatorUIDAnnotation, "whatever"))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name: "parent without a uid",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				labelled("key", saCreatedByKeyUnpinned("team", "parent"), saAnnotate(strategies.DefaultCreatorUIDAnnotation, "")),
				labelled("parent", saUID(""), saCreatedBy(alice)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator chain: parent key has no uid"),
		},
		// Signed bindings: the binding covers the parent's uid.
		{
			name: "binding policy: the binding pins the parent, no annotation needed",
			opts: signed,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKeyUnpinned("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saCreatedBy(alice), saSigned(keyA)),
			},
			sofar: keyActor("team", "key"),
			want:  resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation via 1 key"),
		},
		{
			name: "binding policy: parent deleted and re-created, re-signed for someone else",
			opts: signed,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKeyUnpinned("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saUID("uid-parent-2"), saCreatedBy("mallory@example.com"), saSigned(keyA)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name: "binding policy: a present uid annotation must match too",
			opts: signed,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKeyUnpinned("team", "parent"), saAnnotate(strategies.DefaultCreatorUIDAnnotation, "uid-other"), saSigned(keyA)),
				newTestSA("team", "parent", saCreatedBy(alice), saSigned(keyA)),
			},
			sofar: keyActor("team", "key"),
			want: authn.Reject("creator annotation failed provenance").WithDetail("annotation " + strategies.DefaultCreatorUIDAnnotation +
				" does not match the parent key's uid: the parent was re-created"),
		},
		{
			name: "binding policy: a v1 binding does not cover the parent",
			opts: signed,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKey("team", "parent"), saV1Signed(keyA)),
				newTestSA("team", "parent", saCreatedBy(alice), saSigned(keyA)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator annotation failed provenance").WithDetail("v1 binding does not cover the parent key's uid: re-sign it as v2"),
		},
		{
			name:    "binding policy: a v1 binding of a human creator still verifies",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.CopyAttributes("ambient-code.io/role")},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saCreatedBy(alice), saV1Signed(keyA))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", nil, "creator annotation"),
		},
		{
			name: "binding policy: the grandparent is pinned too",
			opts: signed,
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKeyUnpinned("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saCreatedByKeyUnpinned("team", "root"), saSigned(keyA)),
				newTestSA("team", "root", saUID("uid-root-2"), saCreatedBy(alice), saSigned(keyA)),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
	}
}

// deletionCases: a ServiceAccount whose deletion has begun is refused,
// whichever way the request names it and wherever it sits on the chain.
func deletionCases() []annotationCase {
	const alice = "alice@example.com"
	return []annotationCase{
		{
			name:    "acting key being deleted",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedBy(alice), saDeleting())},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("ServiceAccount is being deleted"),
		},
		{
			name:    "acting key being deleted, verified by a token",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedBy(alice), saDeleting())},
			sofar:   authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-key"}},
			want:    authn.Reject("ServiceAccount is being deleted"),
		},
		{
			name:    "key being deleted without a creator: refused, not synthetic",
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saDeleting())},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("ServiceAccount is being deleted"),
		},
		{
			name: "parent being deleted",
			opts: []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent")),
				newTestSA("team", "parent", saAccessKey(), saCreatedBy(alice), saDeleting()),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator chain: parent key is being deleted"),
		},
		{
			name: "grandparent being deleted",
			opts: []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)},
			cluster: []*corev1.ServiceAccount{
				newTestSA("team", "key", saCreatedByKey("team", "parent"), saSigned(keyA)),
				newTestSA("team", "parent", saCreatedByKey("team", "root"), saSigned(keyA)),
				newTestSA("team", "root", saCreatedBy(alice), saSigned(keyA), saDeleting()),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("creator chain: parent key is being deleted"),
		},
	}
}

// signedAttributeCases: under RequireSignedBinding an attribute is copied
// only with a binding that covers its value, and refuses the key otherwise.
func signedAttributeCases() []annotationCase {
	const alice, role = "alice@example.com", "ambient-code.io/role"
	withRole := []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.CopyAttributes(role, "app")}
	key := func(opts ...saOpt) *corev1.ServiceAccount { return newTestSA("team", "key", opts...) }
	return []annotationCase{
		{
			name:    "signed role is copied",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(role, "read"), saAccessKey(), saSigned(keyA, role, "app"))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", map[string]string{role: "read", "app": "ambient-access-key"}, "creator annotation"),
		},
		{
			name:    "role edited after signing",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(role, "read"), saSigned(keyA, role), saAnnotate(role, "admin"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name:    "role moved from annotation to label",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saCreatedBy(alice), saLabel(role, "admin"), saSigned(keyA, role), saAnnotate(role, "read"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("attribute " + role + " is both a label and an annotation"),
		},
		{
			name:    "role added after signing: not covered",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyA), saAnnotate(role, "admin"))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("attribute " + role + " is not covered by the binding"),
		},
		{
			name:    "label attribute added after signing: not covered",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saSigned(keyA), saAccessKey())},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("attribute app is not covered by the binding"),
		},
		{
			name:    "role removed after signing",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(role, "read"), saSigned(keyA, role), saRemoveAnnotation(role))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding covers attribute " + role + ", which the key does not carry"),
		},
		{
			name:    "binding covers an attribute that is not copied",
			opts:    []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.CopyAttributes("app")},
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(role, "read"), saSigned(keyA, role))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("binding covers an attribute that is not copied"),
		},
		{
			name:    "v1 binding with a copied attribute present",
			opts:    withRole,
			cluster: []*corev1.ServiceAccount{key(saCreatedBy(alice), saAnnotate(role, "read"), saV1Signed(keyA))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject("creator annotation failed provenance").WithDetail("v1 binding does not cover attribute " + role + ": re-sign it as v2"),
		},
		{
			name: "a parent's role edit refuses its children too",
			opts: withRole,
			cluster: []*corev1.ServiceAccount{
				key(saCreatedByKey("team", "parent"), saAnnotate(role, "read"), saSigned(keyA, role)),
				newTestSA("team", "parent", saCreatedBy(alice), saAnnotate(role, "read"), saSigned(keyA, role), saAnnotate(role, "admin")),
			},
			sofar: keyActor("team", "key"),
			want:  authn.Reject("parent key's creator annotation failed provenance").WithDetail("binding signature invalid"),
		},
		{
			name: "attributes are the acting key's, each key's own signed",
			opts: withRole,
			cluster: []*corev1.ServiceAccount{
				key(saCreatedByKey("team", "parent"), saAnnotate(role, "read"), saSigned(keyA, role)),
				newTestSA("team", "parent", saCreatedBy(alice), saAnnotate(role, "write"), saSigned(keyA, role)),
			},
			sofar: keyActor("team", "key"),
			want:  resolvedTo(alice, "team", "key", "uid-key", map[string]string{role: "read"}, "creator annotation via 1 key"),
		},
		{
			name:    "without a binding policy attributes need no signature",
			opts:    []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes(role)},
			cluster: []*corev1.ServiceAccount{key(saAccessKey(), saCreatedBy(alice), saAnnotate(role, "admin"))},
			sofar:   keyActor("team", "key"),
			want:    resolvedTo(alice, "team", "key", "uid-key", map[string]string{role: "admin"}, "creator annotation"),
		},
	}
}

// hostileValueCases: creator values that must never become a user, and
// whose rejection reason must never echo them.
func hostileValueCases() []annotationCase {
	reject := []struct{ name, value, reason string }{
		{"empty", "", "creator annotation is empty"},
		{"NUL", "alice\x00", "creator annotation contains a control character"},
		{"header injection", "alice\r\nX-Forwarded-User: admin", "creator annotation contains a control character"},
		{"DEL", "ali\x7fce", "creator annotation contains a control character"},
		{"C1 control", "ali\u0085ce", "creator annotation contains a control character"},
		{"line separator", "ali\u2028ce", "creator annotation contains a control character"},
		{"tab inside", "ali\tce", "creator annotation contains a control character"},
		{"invalid UTF-8", "alice\xff\xfe", "creator annotation is not valid UTF-8"},
		{"overlong UTF-8 encoding", "\xc0\xafetc", "creator annotation is not valid UTF-8"},
		{"leading space", " alice@example.com", "creator annotation contains white space other than inner U+0020"},
		{"trailing newline", "alice@example.com\n", "creator annotation contains a control character"},
		{"NBSP", "alice\u00a0smith", "creator annotation contains white space other than inner U+0020"},
		{"ideographic space", "alice\u3000", "creator annotation contains white space other than inner U+0020"},
		{"zero-width space", "ali\u200bce@example.com", "creator annotation contains an invisible format character"},
		{"BOM", "\ufeffalice@example.com", "creator annotation contains an invisible format character"},
		{"bidi override", "alice\u202e@example.com", "creator annotation contains an invisible format character"},
		{"NFD", "zoe\u0308@example.com", "creator annotation is not in Unicode normalization form C"},
		{"upper-case system:", "SYSTEM:masters", "creator annotation uses the reserved system: prefix"},
		{"upper-case ServiceAccount subject", "System:ServiceAccount:team:parent", "creator annotation uses the reserved system: prefix"},
		{"fullwidth system:", "\uff53ystem:masters", "creator annotation uses the reserved system: prefix"},
		{"long s system:", "\u017fystem:masters", "creator annotation uses the reserved system: prefix"},
		{"synthetic prefix", "system-serviceaccount-team-key", "creator annotation uses the reserved synthetic-user prefix"},
		{"upper-case synthetic prefix", "System-ServiceAccount-team-key", "creator annotation uses the reserved synthetic-user prefix"},
		{"1025 bytes", strings.Repeat("a", 1025), "creator annotation is longer than 1024 bytes"},
		{"1 MiB", strings.Repeat("a", 1<<20), "creator annotation is longer than 1024 bytes"},
	}
	var cases []annotationCase
	for _, r := range reject {
		cases = append(cases, annotationCase{
			name:    "hostile value: " + r.name,
			opts:    []strategies.AnnotationOption{requireKeyLabel},
			cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedBy(r.value))},
			sofar:   keyActor("team", "key"),
			want:    authn.Reject(r.reason),
		})
	}
	max := strings.Repeat("a", 1024)
	cases = append(cases, annotationCase{
		name:    "1024 bytes is still a name",
		opts:    []strategies.AnnotationOption{requireKeyLabel},
		cluster: []*corev1.ServiceAccount{newTestSA("team", "key", saAccessKey(), saCreatedBy(max))},
		sofar:   keyActor("team", "key"),
		want:    resolvedTo(max, "team", "key", "uid-key", nil, "creator annotation"),
	})
	return cases
}

// TestCreatorAnnotation runs the spec table against a plain indexer and
// against a real informer over a fake API server.
func TestCreatorAnnotation(t *testing.T) {
	backends := []struct {
		name  string
		serve func(t *testing.T, sas []*corev1.ServiceAccount) strategies.ServiceAccountReader
	}{
		{"indexer", func(t *testing.T, sas []*corev1.ServiceAccount) strategies.ServiceAccountReader {
			return indexerReader(t, sas...)
		}},
		{"informer", func(t *testing.T, sas []*corev1.ServiceAccount) strategies.ServiceAccountReader {
			r, _ := startedInformer(t, sas...)
			return r
		}},
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, backend := range backends {
		t.Run(backend.name, func(t *testing.T) {
			for _, tt := range annotationCases() {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s, err := strategies.CreatorAnnotation(backend.serve(t, tt.cluster), tt.opts...)
					if err != nil {
						t.Fatal(err)
					}
					before := clonePrincipal(tt.sofar)
					got := s.Authenticate(r, tt.sofar)
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("Authenticate mismatch (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(before, tt.sofar); diff != "" {
						t.Errorf("Authenticate modified the Principal it was given (-before +after):\n%s", diff)
					}
					if got.Outcome == authn.Contributed && got.Principal.Actor == tt.sofar.Actor {
						t.Error("the contributed Actor aliases the one it was given")
					}
					for _, sa := range tt.cluster {
						if v := sa.Annotations[strategies.DefaultCreatorAnnotation]; len(v) >= 8 && got.Outcome == authn.Rejected &&
							(strings.Contains(got.Reason, v) || strings.Contains(got.Detail, v)) {
							t.Errorf("reason %q or detail %q contains a creator value", got.Reason, got.Detail)
						}
						if got.Outcome == authn.Rejected && (strings.Contains(got.Reason, "ambient-access-key") || strings.Contains(got.Reason, "is not allowed")) {
							t.Errorf("reason %q names a policy detail", got.Reason)
						}
					}
				})
			}
		})
	}
}

func clonePrincipal(p authn.Principal) authn.Principal {
	if p.Actor != nil {
		a := *p.Actor
		a.Attributes = maps.Clone(a.Attributes)
		p.Actor = &a
	}
	return p
}

// TestCreatorAnnotationUnsynced: until the informer has synced, a key is
// answered with 503, not with a weaker identity; humans are unaffected.
func TestCreatorAnnotationUnsynced(t *testing.T) {
	// A real informer that is never started never syncs.
	client := fake.NewClientset(newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com")))
	sai := informers.NewSharedInformerFactory(client, 0).Core().V1().ServiceAccounts()
	sas, err := kubecache.FromInformer(sai.Informer())
	if err != nil {
		t.Fatal(err)
	}
	if sas.HasSynced() {
		t.Fatal("an informer that was never started reports synced")
	}
	r := httptest.NewRequest("GET", "/", nil)

	s, err := strategies.CreatorAnnotation(sas, requireKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(authn.Fail("ServiceAccount cache not synced", nil), s.Authenticate(r, keyActor("team", "key"))); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(authn.Skip("no actor awaiting a user"), s.Authenticate(r, authn.Principal{User: authn.User{Name: "alice"}})); diff != "" {
		t.Errorf("human (-want +got):\n%s", diff)
	}

	// Through a chain, the failure is a 503.
	chain, err := authn.NewChain(
		authn.StrategyFunc("test-actor", func(_ *http.Request, p authn.Principal) authn.Decision {
			return authn.Contribute(keyActor("team", "key"), "test")
		}),
		s, strategies.Synthetic())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := chain.Authenticate(r); authn.StatusCode(err) != http.StatusServiceUnavailable {
		t.Errorf("chain error %v, want 503", err)
	}

	insecure, err := strategies.CreatorAnnotation(sas, requireKeyLabel, strategies.InsecureSkipWhenUnsynced())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(authn.Skip("ServiceAccount cache not synced"), insecure.Authenticate(r, keyActor("team", "key"))); diff != "" {
		t.Errorf("InsecureSkipWhenUnsynced (-want +got):\n%s", diff)
	}
}

// erringReader fails every look-up except those it holds.
type erringReader struct {
	ok  map[string]*corev1.ServiceAccount
	err error
}

func (l erringReader) ServiceAccount(namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	if sa, ok := l.ok[namespace+"/"+name]; ok {
		return kubecache.Meta(sa), true, nil
	}
	return strategies.ServiceAccountMeta{}, false, l.err
}

func (erringReader) HasSynced() bool { return true }

// wrongReader answers every look-up with the same object, whatever was
// asked: a broken custom reader.
type wrongReader struct{ sa *corev1.ServiceAccount }

func (r wrongReader) ServiceAccount(string, string) (strategies.ServiceAccountMeta, bool, error) {
	return kubecache.Meta(r.sa), true, nil
}

func (wrongReader) HasSynced() bool { return true }

// TestCreatorAnnotationWrongObject: a reader that answers with another
// ServiceAccount than the one asked for (the acting key, or a parent)
// makes the strategy fail (503); the other object's creator and binding
// are never used.
func TestCreatorAnnotationWrongObject(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	signed := newTestSA("team", "signed", saAccessKey(), saCreatedBy("alice@example.com"), saSigned(keyA))
	s, err := strategies.CreatorAnnotation(wrongReader{signed}, strategies.RequireSignedBinding(keyA))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"other", "Signed"} {
		d := s.Authenticate(r, keyActor("team", name))
		if d.Outcome != authn.Failed || d.Reason != "ServiceAccount cache lookup failed" {
			t.Errorf("%s: %v %q, want a failure", name, d.Outcome, d.Reason)
		}
	}
	child := newTestSA("team", "child", saAccessKey(), saCreatedByKey("team", "parent"), saSigned(keyA))
	s, err = strategies.CreatorAnnotation(erringReader{ok: map[string]*corev1.ServiceAccount{
		"team/child": child, "team/parent": signed,
	}}, strategies.RequireSignedBinding(keyA))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Authenticate(r, keyActor("team", "child")); d.Outcome != authn.Failed {
		t.Errorf("a parent answered by another object: %v %q, want a failure", d.Outcome, d.Reason)
	}
}

// TestCreatorAnnotationCacheError: an error other than NotFound is an
// infrastructure failure (503), for the key and for a parent alike.
func TestCreatorAnnotationCacheError(t *testing.T) {
	boom := errors.New("cache exploded")
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range []struct {
		name string
		ok   map[string]*corev1.ServiceAccount
	}{
		{"acting key", nil},
		{"parent", map[string]*corev1.ServiceAccount{"team/key": newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent"))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := strategies.CreatorAnnotation(erringReader{ok: tt.ok, err: boom}, requireKeyLabel)
			if err != nil {
				t.Fatal(err)
			}
			d := s.Authenticate(r, keyActor("team", "key"))
			if d.Outcome != authn.Failed || d.Reason != "ServiceAccount cache lookup failed" || !errors.Is(d.Cause, boom) {
				t.Errorf("got %v %q %v, want failed with the cause", d.Outcome, d.Reason, d.Cause)
			}
		})
	}
	// Not found is a miss, not a failure.
	s, err := strategies.CreatorAnnotation(erringReader{}, requireKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(authn.Skip("ServiceAccount not in cache"), s.Authenticate(r, keyActor("team", "key"))); diff != "" {
		t.Errorf("NotFound (-want +got):\n%s", diff)
	}
}

// TestCreatorAnnotationNoAPICalls: after the informer has synced, answering
// never reaches the API server, whatever the outcome.
func TestCreatorAnnotationNoAPICalls(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// A subtest, so that the informer is stopped (by its cleanup) before
	// goleak looks for its goroutines.
	t.Run("answer", func(t *testing.T) {
		sas, client := startedInformer(t,
			newTestSA("team", "key", saAccessKey(), saCreatedByKey("team", "parent"), saSigned(keyA)),
			newTestSA("team", "parent", saAccessKey(), saCreatedBy("alice@example.com"), saSigned(keyA)),
			newTestSA("team", "plain"),
			newTestSA("team", "dangling", saAccessKey(), saCreatedByKey("team", "gone"), saSigned(keyA)),
		)
		s, err := strategies.CreatorAnnotation(sas, requireKeyLabel, strategies.RequireSignedBinding(keyA))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		// The informer opens its watch just after the cache syncs; count
		// from then on, or that call lands among the answers.
		deadline := time.Now().Add(10 * time.Second)
		for !slices.ContainsFunc(client.Actions(), func(a k8stesting.Action) bool { return a.GetVerb() == "watch" }) {
			if time.Now().After(deadline) {
				t.Fatal("the informer never opened its watch; is it running?")
			}
			time.Sleep(5 * time.Millisecond)
		}
		before := len(client.Actions())
		want := map[string]authn.Outcome{"key": authn.Contributed, "plain": authn.NotApplicable, "dangling": authn.Rejected, "absent": authn.NotApplicable}
		for i := range 1000 {
			for name, outcome := range want {
				if d := s.Authenticate(r, keyActor("team", name)); d.Outcome != outcome {
					t.Fatalf("run %d, %s: %v %q, want %v", i, name, d.Outcome, d.Reason, outcome)
				}
			}
		}
		if after := client.Actions(); len(after) != before {
			t.Errorf("%d API calls while answering, want 0: %v", len(after)-before, after[before:])
		}
	})
}

// TestCreatorAnnotationFollowsTheCache: edits seen by the informer change
// the answer; a creator edited without re-signing is refused.
func TestCreatorAnnotationFollowsTheCache(t *testing.T) {
	sa := newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"), saSigned(keyA))
	sas, client := startedInformer(t, sa)
	s, err := strategies.CreatorAnnotation(sas, strategies.RequireSignedBinding(keyA))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	if d := s.Authenticate(r, keyActor("team", "key")); d.Outcome != authn.Contributed || d.Principal.User.Name != "alice@example.com" {
		t.Fatalf("before the edit: %v %q", d.Outcome, d.Reason)
	}

	forged := sa.DeepCopy()
	forged.Annotations[strategies.DefaultCreatorAnnotation] = "mallory@example.com"
	forged.ResourceVersion = "2"
	if _, err := client.CoreV1().ServiceAccounts("team").Update(context.Background(), forged, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := authn.Reject("creator annotation failed provenance").WithDetail("binding signature invalid")
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := s.Authenticate(r, keyActor("team", "key"))
		if cmp.Equal(want, d) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the edit: %v %q, want %q", d.Outcome, d.Reason, want.Reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCreatorAnnotationConcurrent exercises the shared MAC pools; run it
// with -race.
func TestCreatorAnnotationConcurrent(t *testing.T) {
	sas := indexerReader(t,
		newTestSA("team", "a", saCreatedBy("alice@example.com"), saSigned(keyA)),
		newTestSA("team", "b", saCreatedBy("bob@example.com"), saSigned(keyB)),
		newTestSA("team", "c", saCreatedBy("carol@example.com"), saSigned(keyC)),
	)
	s, err := strategies.CreatorAnnotation(sas, strategies.RequireSignedBinding(keyA, keyB))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if d := s.Authenticate(r, keyActor("team", "a")); d.Principal.User.Name != "alice@example.com" {
					t.Errorf("a: %v %q", d.Outcome, d.Reason)
					return
				}
				if d := s.Authenticate(r, keyActor("team", "b")); d.Principal.User.Name != "bob@example.com" {
					t.Errorf("b: %v %q", d.Outcome, d.Reason)
					return
				}
				if d := s.Authenticate(r, keyActor("team", "c")); d.Outcome != authn.Rejected {
					t.Errorf("c: %v %q", d.Outcome, d.Reason)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCreatorAnnotationOptionsAreCopied(t *testing.T) {
	key := append([]byte(nil), keyA...)
	required := map[string]string{"app": "ambient-access-key"}
	sas := indexerReader(t, newTestSA("team", "key", saAccessKey(), saCreatedBy("alice@example.com"), saSigned(keyA)))
	s, err := strategies.CreatorAnnotation(sas, strategies.RequireSignedBinding(key), strategies.RequireLabels(required))
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 0xff
	required["app"] = "something-else"
	if d := s.Authenticate(httptest.NewRequest("GET", "/", nil), keyActor("team", "key")); d.Outcome != authn.Contributed {
		t.Errorf("after the caller edited its arguments: %v %q", d.Outcome, d.Reason)
	}
}

func TestCreatorAnnotationConstructor(t *testing.T) {
	sas := indexerReader(t)
	tests := []struct {
		name    string
		sas     strategies.ServiceAccountReader
		opts    []strategies.AnnotationOption
		wantErr string // "" for success
	}{
		{"labels", sas, []strategies.AnnotationOption{requireKeyLabel}, ""},
		{"namespaces", sas, []strategies.AnnotationOption{strategies.RequireNamespaces("team")}, ""},
		{"binding", sas, []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA)}, ""},
		{"insecure", sas, []strategies.AnnotationOption{strategies.InsecureAcceptUnverifiedAnnotations()}, ""},
		{"everything", sas, []strategies.AnnotationOption{
			requireKeyLabel, strategies.RequireNamespaces("team"), strategies.RequireSignedBinding(keyA, keyB),
			strategies.WithCreatorAnnotation("example.com/owner"), strategies.WithBindingAnnotation("example.com/binding"),
			strategies.WithMaxHops(5), strategies.CopyAttributes("app", "example.com/scope"), strategies.InsecureSkipWhenUnsynced(),
			strategies.WithCreatorUIDAnnotation("example.com/parent-uid"),
		}, ""},

		{"nil reader", nil, []strategies.AnnotationOption{requireKeyLabel}, "the ServiceAccountReader is nil"},
		{"no provenance", sas, nil, "no provenance check"},
		{"only unrelated options", sas, []strategies.AnnotationOption{strategies.WithMaxHops(2), strategies.InsecureSkipWhenUnsynced()}, "no provenance check"},
		{"nil option", sas, []strategies.AnnotationOption{requireKeyLabel, nil}, "option 1 is nil"},
		{"empty labels", sas, []strategies.AnnotationOption{strategies.RequireLabels(nil)}, "at least one label"},
		{"bad label key", sas, []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"bad key": "x"})}, `required label key "bad key"`},
		{"bad label value", sas, []strategies.AnnotationOption{strategies.RequireLabels(map[string]string{"app": "no spaces"})}, `required label "app" value`},
		{"label with two values", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.RequireLabels(map[string]string{"app": "other"})}, "two values"},
		{"no namespaces", sas, []strategies.AnnotationOption{strategies.RequireNamespaces()}, "at least one namespace"},
		{"bad namespace", sas, []strategies.AnnotationOption{strategies.RequireNamespaces("Team")}, `namespace "Team"`},
		{"no binding keys", sas, []strategies.AnnotationOption{strategies.RequireSignedBinding()}, "RequireSignedBinding"},
		{"short binding key", sas, []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA, []byte("0123456789abcdef0123456789abcde"))}, "at least 32 bytes"},
		{"bad creator annotation", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorAnnotation("created by")}, `annotation key "created by"`},
		{"empty creator annotation", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorAnnotation("")}, `annotation key ""`},
		{"bad binding annotation", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithBindingAnnotation("/binding")}, `annotation key "/binding"`},
		{"same creator and binding annotation", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithBindingAnnotation(strategies.DefaultCreatorAnnotation)}, "both"},
		{"zero hops", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithMaxHops(0)}, "WithMaxHops(0)"},
		{"negative hops", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithMaxHops(-1)}, "WithMaxHops(-1)"},
		{"copy bad key", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes("a b")}, `attribute key "a b"`},
		{"copy the binding", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.CopyAttributes(binding.DefaultAnnotation)}, "cannot be copied"},
		{"bad creator uid annotation", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorUIDAnnotation("parent uid")}, `annotation key "parent uid"`},
		{"creator uid annotation is the creator's", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorUIDAnnotation(strategies.DefaultCreatorAnnotation)}, "creator uid annotation"},
		{"creator uid annotation is the binding's", sas, []strategies.AnnotationOption{requireKeyLabel, strategies.WithCreatorUIDAnnotation(binding.DefaultAnnotation)}, "creator uid annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := strategies.CreatorAnnotation(tt.sas, tt.opts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if s.Name() != "annotation" {
					t.Errorf("Name() = %q", s.Name())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if s != nil {
				t.Error("a strategy was returned with the error")
			}
			if strings.Contains(err.Error(), string(keyA)) {
				t.Error("error contains a key")
			}
		})
	}
}

// TestAnnotationProjection: the strategy reports every label and
// annotation it reads, and a cache keeping only those answers every case of
// the spec as the full cache does.
func TestAnnotationProjection(t *testing.T) {
	sas := indexerReader(t)
	for _, tt := range []struct {
		name string
		opts []strategies.AnnotationOption
		want strategies.Projection
	}{{
		name: "labels",
		opts: []strategies.AnnotationOption{requireKeyLabel},
		want: strategies.Projection{
			Labels:      []string{"app"},
			Annotations: []string{strategies.DefaultCreatorUIDAnnotation, strategies.DefaultCreatorAnnotation},
		},
	}, {
		name: "everything",
		opts: []strategies.AnnotationOption{
			strategies.RequireLabels(map[string]string{"tier": "keys", "app": "ambient-access-key"}), strategies.RequireSignedBinding(keyA),
			strategies.WithCreatorAnnotation("example.com/owner"), strategies.WithCreatorUIDAnnotation("example.com/owner-uid"),
			strategies.WithBindingAnnotation("example.com/binding"), strategies.CopyAttributes("ambient-code.io/role", "app"),
		},
		want: strategies.Projection{
			Labels:      []string{"ambient-code.io/role", "app", "tier"},
			Annotations: []string{"ambient-code.io/role", "app", "example.com/binding", "example.com/owner", "example.com/owner-uid"},
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := strategies.CreatorAnnotation(sas, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s.Projection()); diff != "" {
				t.Errorf("Projection() (-want +got):\n%s", diff)
			}
		})
	}

	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range annotationCases() {
		s, err := strategies.CreatorAnnotation(indexerReader(t, tt.cluster...), tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		projected := make([]*corev1.ServiceAccount, len(tt.cluster))
		for i, sa := range tt.cluster {
			projected[i] = project(sa, s.Projection())
		}
		ps, err := strategies.CreatorAnnotation(indexerReader(t, projected...), tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.Authenticate(r, tt.sofar), ps.Authenticate(r, tt.sofar)); diff != "" {
			t.Errorf("%s: a projected cache answers differently (-full +projected):\n%s", tt.name, diff)
		}
	}
}

// project keeps of sa what a kubecache projection to p keeps.
func project(sa *corev1.ServiceAccount, p strategies.Projection) *corev1.ServiceAccount {
	pick := func(m map[string]string, keys []string) map[string]string {
		var out map[string]string
		for _, k := range keys {
			if v, ok := m[k]; ok {
				if out == nil {
					out = map[string]string{}
				}
				out[k] = v
			}
		}
		return out
	}
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: sa.Namespace, Name: sa.Name, UID: sa.UID, DeletionTimestamp: sa.DeletionTimestamp,
		Labels: pick(sa.Labels, p.Labels), Annotations: pick(sa.Annotations, p.Annotations),
	}}
}

// benchAnnotation returns a strategy over an indexer holding a labelled key
// created by alice, a key created by that key, a key with a signed role,
// and a bare ServiceAccount.
func benchAnnotation(b testing.TB, opts ...strategies.AnnotationOption) *strategies.AnnotationStrategy {
	sas := indexerReader(b,
		newTestSA("stackrox-1", "ambient-key-test-write-2b3908aa", saAccessKey(), saCreatedBy("alice@example.com"), saSigned(keyA)),
		newTestSA("stackrox-1", "ambient-key-minted-by-key", saAccessKey(), saCreatedByKey("stackrox-1", "ambient-key-test-write-2b3908aa"), saSigned(keyA)),
		newTestSA("stackrox-1", "ambient-key-role", saAccessKey(), saCreatedBy("alice@example.com"),
			saAnnotate("ambient-code.io/role", "read"), saSigned(keyA, "ambient-code.io/role", "app")),
		newTestSA("stackrox-1", "ci-bot"),
	)
	s, err := strategies.CreatorAnnotation(sas, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchAuthenticate(b *testing.B, s *strategies.AnnotationStrategy, name string, want authn.Outcome) {
	r := httptest.NewRequest("GET", "/", nil)
	sofar := keyActor("stackrox-1", name)
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, sofar); d.Outcome != want {
			b.Fatal(d)
		}
	}
}

var signedRole = []strategies.AnnotationOption{strategies.RequireSignedBinding(keyA), strategies.CopyAttributes("ambient-code.io/role", "app")}

// BenchmarkAnnotationHit: 2 allocs/op for a key created by a human (the
// reader's namespace/name key, and the Actor), with RequireLabels or
// RequireSignedBinding alike, the MAC state and message being pooled; 3
// for one hop (the parent's key); CopyAttributes adds 1 or 2 (the
// attribute map), signed or not.
func BenchmarkAnnotationHit(b *testing.B) {
	const key = "ambient-key-test-write-2b3908aa"
	b.Run("labels", func(b *testing.B) {
		benchAuthenticate(b, benchAnnotation(b, requireKeyLabel), key, authn.Contributed)
	})
	b.Run("signed-binding", func(b *testing.B) {
		benchAuthenticate(b, benchAnnotation(b, strategies.RequireSignedBinding(keyA)), key, authn.Contributed)
	})
	b.Run("one-hop-signed", func(b *testing.B) {
		benchAuthenticate(b, benchAnnotation(b, strategies.RequireSignedBinding(keyA)), "ambient-key-minted-by-key", authn.Contributed)
	})
	b.Run("labels-copy-attributes", func(b *testing.B) {
		benchAuthenticate(b, benchAnnotation(b, requireKeyLabel, strategies.CopyAttributes("app")), key, authn.Contributed)
	})
	b.Run("signed-attributes", func(b *testing.B) {
		benchAuthenticate(b, benchAnnotation(b, signedRole...), "ambient-key-role", authn.Contributed)
	})
}

// BenchmarkAnnotationNoAnnotation: 1 alloc/op, the reader's
// namespace/name key.
func BenchmarkAnnotationNoAnnotation(b *testing.B) {
	benchAuthenticate(b, benchAnnotation(b, requireKeyLabel), "ci-bot", authn.NotApplicable)
}

// TestAnnotationAllocs holds the hot paths to the counts documented on the
// benchmarks. The signed-binding paths are left out under -race, where
// sync.Pool drops entries on purpose.
func TestAnnotationAllocs(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	labels, signed := benchAnnotation(t, requireKeyLabel), benchAnnotation(t, signedRole...)
	for _, tt := range []struct {
		s      *strategies.AnnotationStrategy
		name   string
		max    float64
		pooled bool
	}{
		{labels, "ambient-key-test-write-2b3908aa", 2, false},
		{labels, "ambient-key-minted-by-key", 3, false},
		{labels, "ci-bot", 1, false},
		{signed, "ambient-key-test-write-2b3908aa", 3, true}, // app is copied
		{signed, "ambient-key-minted-by-key", 4, true},
		{signed, "ambient-key-role", 4, true},
		{labels, "gone", 1, false}, // a miss costs what a hit does
	} {
		if tt.pooled && tokentest.RaceDetectorOn() {
			continue
		}
		sofar := keyActor("stackrox-1", tt.name)
		if n := testing.AllocsPerRun(100, func() { tt.s.Authenticate(r, sofar) }); n > tt.max {
			t.Errorf("%s: %v allocs/op, want at most %v", tt.name, n, tt.max)
		}
	}
}
