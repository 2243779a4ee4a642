package kubecache_test

// Adversarial tests of FromInformer over an informer of another type, and
// of Meta.

import (
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// TestAttack8FromInformerOfConfigMapsNeverResolves: a reader built, by
// mistake, over a ConfigMap informer must not treat a ConfigMap of the
// key's name, whose annotations anyone with ConfigMap rights can write, as
// the ServiceAccount: the strategy fails (503) instead.
func TestAttack8FromInformerOfConfigMapsNeverResolves(t *testing.T) {
	inf := informers.NewSharedInformerFactory(fake.NewClientset(), 0).Core().V1().ConfigMaps().Informer()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team", Name: "key", UID: "uid-key",
		Labels:      map[string]string{"app": "ambient-access-key"},
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice@example.com"},
	}}
	if err := inf.GetIndexer().Add(cm); err != nil {
		t.Fatal(err)
	}
	reader, err := kubecache.FromInformer(inf)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := reader.ServiceAccount("team", "key"); err == nil || found {
		t.Fatalf("a ConfigMap served as a ServiceAccount: found %v err %v", found, err)
	}
	ann, err := strategies.CreatorAnnotation(syncedReader{reader}, strategies.RequireLabels(map[string]string{"app": "ambient-access-key"}))
	if err != nil {
		t.Fatal(err)
	}
	d := ann.Authenticate(httptest.NewRequest("GET", "/", nil), authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"}})
	if d.Outcome != authn.Failed {
		t.Errorf("outcome %v %q, want failed", d.Outcome, d.Reason)
	}
}

// syncedReader reports synced, as a started informer would.
type syncedReader struct{ *kubecache.InformerReader }

func (syncedReader) HasSynced() bool { return true }

func TestAttack8MetaOfNilAndDeleting(t *testing.T) {
	if m := kubecache.Meta(nil); m.Name != "" || m.Labels != nil || m.Deleting {
		t.Errorf("Meta(nil) = %+v", m)
	}
	now := metav1.Now()
	m := kubecache.Meta(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "n", Name: "a", DeletionTimestamp: &now}})
	if !m.Deleting {
		t.Error("a ServiceAccount being deleted is not Deleting")
	}
}

func TestAttack8FromInformerNil(t *testing.T) {
	if _, err := kubecache.FromInformer(nil); err == nil {
		t.Error("nil informer accepted")
	}
}
