// Package jwks holds the key sets the jwt strategy verifies signatures
// with: a fixed set (Static, from a JWKS or PEM keys) or a published set
// kept current in the background: an issuer's, found by OIDC discovery
// (OIDC), or the one at a fixed JWKS URL (URL), as identity-aware proxies
// publish theirs.
//
//	keys, err := jwks.OIDC(ctx, "https://kubernetes.default.svc.cluster.local",
//		jwks.WithHTTPClient(apiClient))
//	...
//	defer keys.Close()
//
// A key set holds public keys only: private and symmetric keys, and keys
// for encryption, are refused. OIDC and URL fetch over https only, from the
// issuer's origin and those allowed with WithOrigins (URL: the JWKS URL's
// origin alone), follow redirects only within an origin, bound every
// answer (MaxResponseBytes), and never quote a body in an error. On a cluster, kubecache.APIServerHTTPClient
// gives it a client that sends the pod's token to the API server alone.
//
// It imports the standard library and go-jose only: no Kubernetes client.
package jwks
