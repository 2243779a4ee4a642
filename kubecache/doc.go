// Package kubecache is the ServiceAccount informer cache the authchain
// strategies read, so that no request waits on the API server.
//
// Beyond a plain client-go informer it can filter by namespaces and label
// selector, project each ServiceAccount down to what the chain reads (about
// 230 bytes per access key, the informer's own index included, instead of
// about 1.9 KiB), and bound how long it answers
// after losing the API server, so that a cut-off cache fails closed (503)
// instead of serving a deleted key forever:
//
//	projection := kubecache.Projection{
//		Labels:      []string{"app"},
//		Annotations: []string{strategies.DefaultCreatorAnnotation, strategies.DefaultCreatorUIDAnnotation, binding.DefaultAnnotation},
//	}
//	c, err := kubecache.New(ctx, clientset, kubecache.WithProjection(projection),
//		kubecache.WithMaxStaleness(30*time.Second))
//	...
//	annotation, err := strategies.CreatorAnnotation(c, …)
//	...
//	// Refuse to start if the projection drops anything the strategy reads.
//	if err := c.CheckProjection(kubecache.Projection(annotation.Projection())); err != nil { … }
//
// Projected objects always keep their namespace, name, uid and whether
// their deletion has begun, and reach the strategies with their labels and
// annotations in ServiceAccountMeta.Values rather than in maps.
//
// APIServerHTTPClient is the other piece that needs client-go: the HTTP
// client jwks.OIDC fetches a cluster's keys with, which sends the pod's
// token to the API server and nowhere else.
package kubecache
