package kubecache

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Projection names the labels and annotations of a ServiceAccount that a
// cache keeps; see WithProjection. A strategy's own projection type of the
// same shape converts to it, e.g.
// kubecache.Projection(annotation.Projection()).
type Projection struct {
	Labels      []string
	Annotations []string
}

// ErrProjectionIncomplete is wrapped by CheckProjection's errors.
var ErrProjectionIncomplete = errors.New("kubecache: the projection drops labels or annotations the chain reads")

// CheckProjection returns nil if p keeps every label and annotation that
// the needs name, and otherwise an error wrapping ErrProjectionIncomplete
// that lists the missing keys. Call it at start-up with the projection the
// cache was built with and the Projection() of every strategy that reads
// the cache: a projection written by hand that leaves out, say, a copied
// role attribute would otherwise lose it without a word.
func CheckProjection(p Projection, needs ...Projection) error {
	var labels, annotations []string
	for _, need := range needs {
		for _, k := range need.Labels {
			if !slices.Contains(p.Labels, k) && !slices.Contains(labels, k) {
				labels = append(labels, k)
			}
		}
		for _, k := range need.Annotations {
			if !slices.Contains(p.Annotations, k) && !slices.Contains(annotations, k) {
				annotations = append(annotations, k)
			}
		}
	}
	if labels == nil && annotations == nil {
		return nil
	}
	slices.Sort(labels)
	slices.Sort(annotations)
	return fmt.Errorf("%w: missing labels %q, annotations %q", ErrProjectionIncomplete, labels, annotations)
}

// transform returns the informer transform that applies p: namespace,
// name, uid, resourceVersion and deletionTimestamp are always kept. It is
// idempotent, as informers require.
//
// Projected objects share what repeats across ServiceAccounts: the
// namespace string and, whole, the labels map, whose projected keys (the
// required labels, typically) take few values. A small map costs more than
// 300 bytes, a third of a projected object. Sharing is safe because
// objects served by an informer must not be modified; annotations, which
// carry per-key values such as the binding, are not shared.
func (p Projection) transform() cache.TransformFunc {
	labelKeys, annotationKeys := slices.Clone(p.Labels), slices.Clone(p.Annotations)
	var shared interner
	return func(obj any) (any, error) {
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok {
			return obj, nil
		}
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace:       shared.str(sa.Namespace),
			Name:            sa.Name,
			UID:             sa.UID,
			ResourceVersion: sa.ResourceVersion,
			// A key whose deletion has begun is refused; a finalizer may
			// hold it in the cache for long.
			DeletionTimestamp: sa.DeletionTimestamp,
			Labels:            shared.labelSet(sa.Labels, labelKeys),
			Annotations:       pick(sa.Annotations, annotationKeys),
		}}, nil
	}
}

// pick returns the entries of m under keys, or nil if there are none. The
// keys of the result are the strings of keys, so that they are not held
// once per object.
func pick(m map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(keys))
		}
		out[k] = v
	}
	return out
}

// Bounds of an interner, so that hostile variety (a label value per
// ServiceAccount) costs at most this much before interning stops.
const (
	maxInternedStrings = 4096
	maxInternedLabels  = 1024
)

// interner hands out one shared copy of equal values. It is safe for
// concurrent use.
type interner struct {
	mu        sync.Mutex
	strs      map[string]string
	labelSets map[string]map[string]string
}

// str returns the shared copy of s.
func (in *interner) str(s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if shared, ok := in.strs[s]; ok {
		return shared
	}
	if in.strs == nil {
		in.strs = map[string]string{}
	}
	if len(in.strs) < maxInternedStrings {
		in.strs[s] = s
	}
	return s
}

// labelSet returns the entries of m under keys as a map shared with every
// other object whose entries are the same, or nil if there are none.
func (in *interner) labelSet(m map[string]string, keys []string) map[string]string {
	var id strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			// Keys and values are label syntax: they hold no NUL.
			id.WriteString(k + "\x00" + v + "\x00")
		}
	}
	if id.Len() == 0 {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if shared, ok := in.labelSets[id.String()]; ok {
		return shared
	}
	out := pick(m, keys)
	if in.labelSets == nil {
		in.labelSets = map[string]map[string]string{}
	}
	if len(in.labelSets) < maxInternedLabels {
		in.labelSets[id.String()] = out
	}
	return out
}
