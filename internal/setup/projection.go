package setup

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/authchain/authchain/authn/strategies"
)

// Projection names the labels and annotations of a ServiceAccount that a
// cache keeps; see WithProjection.
type Projection struct {
	Labels      []string
	Annotations []string
}

// Projection returns what the chain built from c reads of a ServiceAccount:
// the required labels, the creator and binding annotations, and the
// attributes it copies (as labels and as annotations, since CopyAttributes
// reads either). A cache projected to it answers every request as a full
// cache would.
func (c Config) Projection() Projection {
	var p Projection
	for k := range c.RequireLabels {
		p.Labels = append(p.Labels, k)
	}
	creator := c.Annotation
	if creator == "" {
		creator = strategies.DefaultCreatorAnnotation
	}
	p.Annotations = append(p.Annotations, creator)
	if c.BindingKey != "" {
		p.Annotations = append(p.Annotations, strategies.DefaultBindingAnnotation)
	}
	p.Labels = append(p.Labels, c.CopyAttributes...)
	p.Annotations = append(p.Annotations, c.CopyAttributes...)
	slices.Sort(p.Labels)
	slices.Sort(p.Annotations)
	p.Labels = slices.Compact(p.Labels)
	p.Annotations = slices.Compact(p.Annotations)
	return p
}

// transform returns the informer transform that applies p. It is
// idempotent, as informers require.
func (p Projection) transform() cache.TransformFunc {
	labelKeys, annotationKeys := slices.Clone(p.Labels), slices.Clone(p.Annotations)
	return func(obj any) (any, error) {
		sa, ok := obj.(*corev1.ServiceAccount)
		if !ok {
			return obj, nil
		}
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace:       sa.Namespace,
			Name:            sa.Name,
			UID:             sa.UID,
			ResourceVersion: sa.ResourceVersion,
			Labels:          pick(sa.Labels, labelKeys),
			Annotations:     pick(sa.Annotations, annotationKeys),
		}}, nil
	}
}

// pick returns the entries of m under keys, or nil if there are none.
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
