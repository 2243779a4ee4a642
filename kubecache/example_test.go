package kubecache_test

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// New starts the cache; the chain reads it through CreatorAnnotation. Here
// a fake clientset stands in for kubernetes.NewForConfig, and the cache
// keeps only keys (a label selector) of two namespaces.
func ExampleNew() {
	client := fake.NewClientset(
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "key-1", UID: "uid-1",
			Labels: map[string]string{"app": "ambient-access-key"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "default", UID: "uid-2"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "key-2", UID: "uid-3",
			Labels: map[string]string{"app": "ambient-access-key"}}},
	)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := kubecache.New(ctx, client,
		kubecache.WithNamespaces("team", "ops"),
		kubecache.WithLabelSelector("app=ambient-access-key"),
		kubecache.WithMaxStaleness(30*time.Second))
	if err != nil {
		panic(err)
	}
	defer func() { cancel(); c.Shutdown() }()
	fmt.Println(c.WaitForSync(ctx, time.Minute), c.Len())
	for _, name := range []string{"team/key-1", "team/default", "other/key-2"} {
		ns, n, _ := strings.Cut(name, "/")
		sa, found, err := c.ServiceAccount(ns, n)
		fmt.Println(name, found, sa.UID, err)
	}
	// Output:
	// true 1
	// team/key-1 true uid-1 <nil>
	// team/default false  <nil>
	// other/key-2 false  <nil>
}

// With a projection the cache keeps only what the chain reads, packed;
// labels and annotations are then read with the Label and Annotation
// methods, as the strategies read them, not from maps.
func ExampleNew_projection() {
	client := fake.NewClientset(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team", Name: "key-1", UID: "uid-1",
		Labels:      map[string]string{"app": "ambient-access-key", "team": "a"},
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice", "note": "dropped"},
	}})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := kubecache.New(ctx, client, kubecache.WithProjection(kubecache.Projection{
		Labels:      []string{"app"},
		Annotations: []string{strategies.DefaultCreatorAnnotation},
	}))
	if err != nil {
		panic(err)
	}
	defer func() { cancel(); c.Shutdown() }()
	c.WaitForSync(ctx, time.Minute)

	sa, found, err := c.ServiceAccount("team", "key-1")
	fmt.Println(found, err, sa.UID, sa.Annotations == nil)
	fmt.Println(sa.Label("app"))
	fmt.Println(sa.Annotation(strategies.DefaultCreatorAnnotation))
	fmt.Println(sa.Label("team"))
	fmt.Println(sa.Annotation("note"))
	// Output:
	// true <nil> uid-1 true
	// ambient-access-key true
	// alice true
	//  false
	//  false
}

// Meta is what the strategies read of an object, for a custom
// strategies.ServiceAccountReader over some other store.
func ExampleMeta() {
	now := metav1.Now()
	m := kubecache.Meta(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team", Name: "key-1", UID: "uid-1", DeletionTimestamp: &now,
		Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice"},
	}})
	fmt.Println(m.Namespace, m.Name, m.UID, m.Deleting, m.Annotations[strategies.DefaultCreatorAnnotation])
	// Output: team key-1 uid-1 true alice
}
