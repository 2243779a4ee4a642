package strategies

import "slices"

// Projection names the labels and annotations of a ServiceAccount that a
// strategy reads. It has the shape of kubecache.Projection, so that
// kubecache.Projection(s.Projection()) converts it, without this package
// depending on the cache and its Kubernetes clientset.
type Projection struct {
	Labels      []string
	Annotations []string
}

// normalized returns p with each list sorted and free of repeats.
func (p Projection) normalized() Projection {
	slices.Sort(p.Labels)
	slices.Sort(p.Annotations)
	p.Labels = slices.Compact(p.Labels)
	p.Annotations = slices.Compact(p.Annotations)
	return p
}
