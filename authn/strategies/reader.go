package strategies

import corev1 "k8s.io/api/core/v1"

// ServiceAccountReader is what CreatorAnnotation reads ServiceAccounts
// through: one object by namespace and name, from a cache that a watch
// keeps current. *kubecache.Cache implements it, and so does
// kubecache.FromInformer for an informer a program already runs.
//
// The strategy takes this small interface rather than a client-go lister,
// for three reasons, measured side by side (kubecache's BenchmarkReader,
// this package's BenchmarkAnnotation*):
//   - a miss through a lister builds an API NotFound error: 6 allocations
//     and about 8 times the time of a hit; through a reader a miss costs
//     what a hit does (1 allocation). Misses are what a deleted key's
//     still-valid token produces, so whoever holds such tokens sets their
//     cost. A hit costs one allocation fewer through the strategy (2
//     instead of 3), the lister's per-namespace value being gone;
//   - a lister had to be paired with a HasSynced from the same informer, as
//     two arguments that could disagree; here they are one value;
//   - this package imports k8s.io/api for the object type but not
//     client-go's listers and cache machinery.
type ServiceAccountReader interface {
	// ServiceAccount returns the cached ServiceAccount namespace/name.
	// found is false when the cache holds none. A non-nil err means the
	// cache could not answer; the strategy then fails (503). The returned
	// object is shared with the cache and must not be modified.
	ServiceAccount(namespace, name string) (sa *corev1.ServiceAccount, found bool, err error)
	// HasSynced reports whether the cache holds a complete, fresh enough
	// view of the ServiceAccounts. Until it does, the strategy fails (503)
	// rather than mistake an unlisted key for an absent one.
	HasSynced() bool
}
