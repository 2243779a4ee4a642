// Package signed holds strategies that believe an identity-aware proxy
// because of its signature, not its address: the proxy signs a short-lived
// JWT about the user it let through and sends it in a header of its own,
// and the strategy verifies it with the proxy's public keys. A request that
// bypassed the proxy, or a client that forged the header, has no valid
// signature.
//
// One constructor per vendor, all sharing one verification core:
//
//   - Pomerium: X-Pomerium-Jwt-Assertion, keys at the route's
//     /.well-known/pomerium/jwks.json;
//   - IAP (Google Cloud Identity-Aware Proxy): X-Goog-Iap-Jwt-Assertion,
//     keys at IAPKeysURL;
//   - ALB (AWS Application Load Balancer): X-Amzn-Oidc-Data, keys fetched
//     per kid by ALBKeys;
//   - Teleport (application access): Teleport-Jwt-Assertion, keys at the
//     proxy's /.well-known/jwks.json.
//
// Each verifies the signature with an algorithm pinned for the vendor, iss,
// aud (or the vendor's equivalent), exp, nbf and iat with a bounded clock
// skew, and maps claims into Principal.User only: a proxy vouches for a
// human, never for a ServiceAccount, so the Actor is never set. The chain
// strips the assertion header (and the vendor's unsigned identity headers)
// from every request, so a handler never sees a client's forged copy.
//
// The smallest use, with the route's keys kept current by jwks.URL (use it
// for IAPKeysURL and Teleport's TeleportKeysPath too; jwks.Static for a
// file):
//
//	keys, _ := jwks.URL(ctx, "https://app.example.com"+signed.PomeriumKeysPath)
//	defer keys.Close()
//	s, err := signed.Pomerium(keys, "app.example.com")
//	chain, err := authn.NewChain(s)
package signed
