package authntest

import (
	"bytes"
	"context"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/authchain/authchain/internal/fakecluster"
	"github.com/authchain/authchain/kubecache"
)

// Cluster serves the ServiceAccounts of a multi-document YAML (or JSON)
// stream through a real kubecache.Cache, configured by opts, over an
// in-memory clientset, and returns both once the cache has synced; give
// the cache to strategies.CreatorAnnotation. Only v1
// ServiceAccounts with a name and a namespace are accepted: any other
// document fails t, so a typo cannot silently drop an object. Change the
// cluster through the clientset; the cache follows as an informer does.
// t's cleanup stops the cache and waits for its goroutines.
func Cluster(t testing.TB, yaml []byte, opts ...kubecache.Option) (*kubecache.Cache, *fake.Clientset) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, client, err := fakecluster.Start(ctx, bytes.NewReader(yaml), opts...)
	if err != nil {
		cancel()
		t.Fatalf("authntest: Cluster: %v", err)
	}
	t.Cleanup(func() { cancel(); c.Shutdown() })
	return c, client
}
