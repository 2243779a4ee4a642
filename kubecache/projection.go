package kubecache

import (
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
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

// transform returns the informer transform that applies p: each
// ServiceAccount becomes a storedServiceAccount that keeps its namespace,
// name, uid, whether its deletion has begun, and the labels and
// annotations p names. It is idempotent, as informers require, and passes
// anything else (a tombstone) through unchanged.
func (p Projection) transform() cache.TransformFunc {
	keys := &projectionKeys{labels: slices.Clone(p.Labels), annotations: slices.Clone(p.Annotations)}
	return func(obj any) (any, error) {
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok || sa == nil {
			return obj, nil
		}
		return keys.store(sa), nil
	}
}
