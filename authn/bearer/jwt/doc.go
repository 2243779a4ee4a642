// Package jwt is the strategy named "jwt": it verifies Kubernetes
// ServiceAccount tokens locally, with the issuer's public keys, and makes
// the token's ServiceAccount the Principal's Actor.
//
//	keys, err := jwks.OIDC(ctx, issuer, jwks.WithHTTPClient(apiClient))
//	...
//	tokens, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("my-app"))
//	...
//	chain, err := authn.NewChain(forwarded, tokens, strategies.ServiceAccount(), annotation)
//
// It trusts the keys of its jwks.KeySet and nothing else: every claim is
// read only after the signature verifies, a token for another audience or
// bound to an object kind it does not check is refused, and a legacy
// Secret-based token only with InsecureAcceptLegacySecretTokens. Verified
// tokens are cached under a keyed MAC of the token (bearer.Cache); no token is
// kept or quoted in a reason.
//
// It imports package authn and authn/bearer, authn/bearer/jwks (the key
// sets, which use go-jose) and golang-jwt, and no Kubernetes client.
package jwt
