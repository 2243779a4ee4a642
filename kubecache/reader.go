package kubecache

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/nilcheck"
)

// InformerReader serves ServiceAccounts from a ServiceAccount informer a
// program already runs (a SharedInformerFactory's), for
// strategies.CreatorAnnotation. Build it with FromInformer. Unlike a Cache,
// it has no staleness bound and keeps whole objects.
type InformerReader struct {
	informer cache.SharedIndexInformer
}

// FromInformer returns a reader over informer, which must be an informer of
// ServiceAccounts keyed by namespace/name (any client-go informer of
// ServiceAccounts is). The lookup and HasSynced come from the same
// informer, so they cannot disagree. A nil informer is an error.
func FromInformer(informer cache.SharedIndexInformer) (*InformerReader, error) {
	if nilcheck.IsNil(informer) {
		return nil, errors.New("kubecache: FromInformer: informer is nil")
	}
	return &InformerReader{informer: informer}, nil
}

// ServiceAccount returns what the strategies read of the cached
// ServiceAccount namespace/name, and false if the informer holds none. Its
// maps are shared with the informer and must not be modified.
func (r *InformerReader) ServiceAccount(namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	return lookup(r.informer.GetIndexer(), namespace, name)
}

// HasSynced reports whether the informer has finished its first list.
func (r *InformerReader) HasSynced() bool { return r.informer.HasSynced() }

// Meta returns what the strategies read of sa. The maps are sa's, not
// copies. A nil sa gives the zero ServiceAccountMeta.
func Meta(sa *corev1.ServiceAccount) strategies.ServiceAccountMeta {
	if sa == nil {
		return strategies.ServiceAccountMeta{}
	}
	return strategies.ServiceAccountMeta{
		Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID),
		Labels: sa.Labels, Annotations: sa.Annotations,
		Deleting: sa.DeletionTimestamp != nil,
	}
}

// lookup reads one ServiceAccount from an informer's store. It reads the
// store directly rather than through a lister: a lister's miss builds an
// API NotFound error, several allocations on a path any stale token
// reaches (BenchmarkReader).
func lookup(idx cache.Indexer, namespace, name string) (strategies.ServiceAccountMeta, bool, error) {
	obj, ok, err := idx.GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return strategies.ServiceAccountMeta{}, false, err
	}
	switch sa := obj.(type) {
	case *storedServiceAccount:
		if sa != nil {
			return sa.meta(), true, nil
		}
	case *corev1.ServiceAccount:
		if sa != nil {
			return Meta(sa), true, nil
		}
	}
	return strategies.ServiceAccountMeta{}, false, fmt.Errorf("kubecache: the store holds a %T, not a ServiceAccount", obj)
}
