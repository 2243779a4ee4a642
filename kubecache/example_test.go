package kubecache_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// A projection written by hand forgot the role attribute the chain copies:
// checked against what the strategy reads, it is refused at start-up
// instead of silently losing the role cap.
func ExampleCheckProjection() {
	// In production the reader is the *kubecache.Cache from New.
	informer := informers.NewSharedInformerFactory(fake.NewClientset(), 0).Core().V1().ServiceAccounts().Informer()
	sas, err := kubecache.FromInformer(informer)
	if err != nil {
		panic(err)
	}
	annotation, err := strategies.CreatorAnnotation(sas,
		strategies.RequireLabels(map[string]string{"app": "ambient-access-key"}),
		strategies.CopyAttributes("ambient-code.io/role"))
	if err != nil {
		panic(err)
	}

	byHand := kubecache.Projection{
		Labels:      []string{"app"},
		Annotations: []string{strategies.DefaultCreatorAnnotation, strategies.DefaultCreatorUIDAnnotation},
	}
	fmt.Println(kubecache.CheckProjection(byHand, kubecache.Projection(annotation.Projection())))
	fmt.Println(kubecache.CheckProjection(kubecache.Projection(annotation.Projection()), kubecache.Projection(annotation.Projection())))
	// Output:
	// kubecache: the projection drops labels or annotations the chain reads: missing labels ["ambient-code.io/role"], annotations ["ambient-code.io/role"]
	// <nil>
}

// A program that already runs a SharedInformerFactory reads its
// ServiceAccount informer instead of starting a second cache.
func ExampleFromInformer() {
	client := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "keys", Name: "ci", Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}})
	factory := informers.NewSharedInformerFactory(client, 0)
	sas, err := kubecache.FromInformer(factory.Core().V1().ServiceAccounts().Informer())
	if err != nil {
		panic(err)
	}
	stop := make(chan struct{})
	defer factory.Shutdown()
	defer close(stop)
	factory.Start(stop)
	factory.WaitForCacheSync(stop)

	sa, found, err := sas.ServiceAccount("keys", "ci")
	fmt.Println(sas.HasSynced(), found, err, sa.UID == "", sa.Annotations[strategies.DefaultCreatorAnnotation])
	_, found, err = sas.ServiceAccount("keys", "gone")
	fmt.Println(found, err)
	// Output:
	// true true <nil> true alice
	// false <nil>
}
