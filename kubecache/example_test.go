package kubecache_test

import (
	"fmt"

	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/kubecache"
)

// A projection written by hand forgot the role attribute the chain copies:
// checked against what the strategy reads, it is refused at start-up
// instead of silently losing the role cap.
func ExampleCheckProjection() {
	// In production the lister and hasSynced come from kubecache.New.
	lister := corev1listers.NewServiceAccountLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))
	annotation, err := strategies.CreatorAnnotation(lister, func() bool { return true },
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
