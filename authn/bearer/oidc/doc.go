// Package oidc is the strategy named "oidc": it verifies the OpenID Connect
// ID tokens of one issuer locally, with the issuer's public keys, and maps
// their claims into the Principal's User, the human the request acts for.
//
//	keys, err := jwks.OIDC(ctx, "https://idp.example.com", jwks.WithHTTPClient(client))
//	...
//	idTokens, err := oidc.New("https://idp.example.com", keys,
//		oidc.WithAudiences("my-client-id"),
//		oidc.WithUsernameClaim("email", ""))
//	...
//	chain, err := authn.NewChain(forwarded, serviceAccountTokens, idTokens, annotation)
//
// Tokens are routed by their iss: a token of another issuer (a
// ServiceAccount token, say) is left to the next strategy, and a token of
// this issuer that fails a check is refused, never passed on. Claims map
// into User only, never into the Actor or its Attributes, which describe a
// ServiceAccount and come from the cluster. Verified tokens are cached
// under a keyed MAC of the token (bearer.Cache); no token is kept or quoted in
// a reason.
//
// It imports package authn and authn/bearer, authn/bearer/jwks (the key
// sets, which use go-jose) and golang-jwt, and no Kubernetes client.
package oidc
