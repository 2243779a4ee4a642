package kubecache

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// GetObjectMeta lets client-go's informer read s as it reads any object
// (meta.Accessor), which is how it keys its store by namespace/name.
func (s *storedServiceAccount) GetObjectMeta() metav1.Object { return (*storedObjectMeta)(s) }

// storedObjectMeta is a storedServiceAccount seen as metav1.Object. It is
// read-only: the setters do nothing, since a cached object is shared with
// every reader and never changes; the informer calls none of them.
type storedObjectMeta storedServiceAccount

func (m *storedObjectMeta) stored() *storedServiceAccount { return (*storedServiceAccount)(m) }

func (m *storedObjectMeta) GetNamespace() string { return m.namespace.Value() }
func (m *storedObjectMeta) GetName() string      { return m.stored().name() }
func (m *storedObjectMeta) GetUID() types.UID    { return types.UID(m.stored().meta().UID) }

// GetResourceVersion returns "": the projection drops it, as nothing the
// cache serves depends on it (the informer compares it only to tell
// resyncs to event handlers, and the cache registers none).
func (m *storedObjectMeta) GetResourceVersion() string { return "" }

func (m *storedObjectMeta) GetDeletionTimestamp() *metav1.Time {
	if m.data[0]&flagDeleting == 0 {
		return nil
	}
	// The time itself is dropped; only its presence is kept.
	return &metav1.Time{}
}

func (m *storedObjectMeta) GetLabels() map[string]string {
	return m.kept(m.keys.labels, 0)
}

func (m *storedObjectMeta) GetAnnotations() map[string]string {
	return m.kept(m.keys.annotations, len(m.keys.labels))
}

// kept returns the fields named keys, numbered from first, as a new map.
func (m *storedObjectMeta) kept(keys []string, first int) map[string]string {
	var out map[string]string
	for i, k := range keys {
		if v, ok := m.stored().value(first + i); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func (*storedObjectMeta) GetGenerateName() string                       { return "" }
func (*storedObjectMeta) GetGeneration() int64                          { return 0 }
func (*storedObjectMeta) GetSelfLink() string                           { return "" }
func (*storedObjectMeta) GetCreationTimestamp() metav1.Time             { return metav1.Time{} }
func (*storedObjectMeta) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (*storedObjectMeta) GetFinalizers() []string                       { return nil }
func (*storedObjectMeta) GetOwnerReferences() []metav1.OwnerReference   { return nil }
func (*storedObjectMeta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }

func (*storedObjectMeta) SetNamespace(string)                          {}
func (*storedObjectMeta) SetName(string)                               {}
func (*storedObjectMeta) SetGenerateName(string)                       {}
func (*storedObjectMeta) SetUID(types.UID)                             {}
func (*storedObjectMeta) SetResourceVersion(string)                    {}
func (*storedObjectMeta) SetGeneration(int64)                          {}
func (*storedObjectMeta) SetSelfLink(string)                           {}
func (*storedObjectMeta) SetCreationTimestamp(metav1.Time)             {}
func (*storedObjectMeta) SetDeletionTimestamp(*metav1.Time)            {}
func (*storedObjectMeta) SetDeletionGracePeriodSeconds(*int64)         {}
func (*storedObjectMeta) SetLabels(map[string]string)                  {}
func (*storedObjectMeta) SetAnnotations(map[string]string)             {}
func (*storedObjectMeta) SetFinalizers([]string)                       {}
func (*storedObjectMeta) SetOwnerReferences([]metav1.OwnerReference)   {}
func (*storedObjectMeta) SetManagedFields([]metav1.ManagedFieldsEntry) {}
