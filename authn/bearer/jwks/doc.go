// Package jwks holds the key sets the jwt strategy verifies signatures
// with: a fixed set (Static, from a JWKS or PEM keys) or an issuer's
// published set, found by OIDC discovery and kept current in the
// background (OIDC).
//
//	keys, err := jwks.OIDC(ctx, "https://kubernetes.default.svc.cluster.local",
//		jwks.WithHTTPClient(apiClient))
//	...
//	defer keys.Close()
//
// A key set holds public keys only: private and symmetric keys, and keys
// for encryption, are refused. OIDC fetches over https only, from the
// issuer's origin and those allowed with WithOrigins, follows redirects
// only within an origin, bounds every answer (MaxResponseBytes), and never
// quotes a body in an error. On a cluster, kubecache.APIServerHTTPClient
// gives it a client that sends the pod's token to the API server alone.
//
// It imports the standard library and go-jose only: no Kubernetes client.
package jwks
