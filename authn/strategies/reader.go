package strategies

// ServiceAccountMeta is what CreatorAnnotation reads of a ServiceAccount:
// its identity, labels and annotations, and whether its deletion has begun.
// The maps, and what Values refers to, are shared with the cache they came
// from and must not be modified. Read labels and annotations with Label and
// Annotation, which look wherever the cache put them.
type ServiceAccountMeta struct {
	Namespace string
	Name      string
	UID       string
	// Labels and Annotations are the object's, as far as the cache keeps
	// them (see Projection). They are ignored when Values is set.
	Labels      map[string]string
	Annotations map[string]string
	// Values, when not nil, answers for the labels and annotations in
	// place of the two maps: a cache with many keys keeps them more
	// compactly than as maps, which cost some 300 bytes each.
	Values MetadataValues
	// Deleting reports that metadata.deletionTimestamp is set: a finalizer
	// holds the object, whose tokens the strategy refuses at once.
	Deleting bool
}

// MetadataValues looks up the labels and annotations of one ServiceAccount
// that a cache holds in a form of its own (see ServiceAccountMeta.Values).
// It answers for the keys the cache keeps, and reports any other key as
// absent.
type MetadataValues interface {
	Label(key string) (value string, ok bool)
	Annotation(key string) (value string, ok bool)
}

// Label returns the value of the label key and whether m carries it, from
// Values when set and from Labels otherwise.
func (m *ServiceAccountMeta) Label(key string) (string, bool) {
	if m.Values != nil {
		return m.Values.Label(key)
	}
	v, ok := m.Labels[key]
	return v, ok
}

// Annotation returns the value of the annotation key and whether m carries
// it, from Values when set and from Annotations otherwise.
func (m *ServiceAccountMeta) Annotation(key string) (string, bool) {
	if m.Values != nil {
		return m.Values.Annotation(key)
	}
	v, ok := m.Annotations[key]
	return v, ok
}

// ServiceAccountReader is what CreatorAnnotation reads ServiceAccounts
// through: one object by namespace and name, from a cache that a watch
// keeps current. *kubecache.Cache implements it, and so does
// kubecache.FromInformer for an informer a program already runs.
//
// The strategy takes this small interface rather than a client-go lister,
// for reasons measured side by side (kubecache's BenchmarkReader, this
// package's BenchmarkAnnotation* and TestDependencies):
//   - a miss through a lister builds an API NotFound error: 6 allocations
//     and about 8 times the time of a hit; through a reader a miss costs
//     what a hit does (1 allocation). Misses are what a deleted key's
//     still-valid token produces, so whoever holds such tokens sets their
//     cost. A hit through the strategy costs one allocation fewer (2
//     instead of 3), the lister's per-namespace value being gone;
//   - a lister had to be paired with a HasSynced from the same informer, as
//     two arguments that could disagree; here they are one value;
//   - the object is this package's ServiceAccountMeta, not client-go's, so
//     the package imports no Kubernetes API types: a program that uses only
//     Forwarded and a trust policy links neither client-go nor k8s.io/api,
//     whose core/v1 alone adds about 7 MB to a binary.
type ServiceAccountReader interface {
	// ServiceAccount returns the cached ServiceAccount namespace/name.
	// found is false when the cache holds none. A non-nil err means the
	// cache could not answer; the strategy then fails (503).
	ServiceAccount(namespace, name string) (sa ServiceAccountMeta, found bool, err error)
	// HasSynced reports whether the cache holds a complete, fresh enough
	// view of the ServiceAccounts. Until it does, the strategy fails (503)
	// rather than mistake an unlisted key for an absent one.
	HasSynced() bool
}
