// Package assertion passes a request's Principal on to the services it
// calls, as a short-lived JWT the calling service signs, so that a
// downstream service rebuilds the same Principal (Actor included) from a
// signature rather than believing a plain header.
//
// A KeyRing holds the signing key and publishes the public keys as a JSON
// Web Key Set (KeyRing.Handler, and Signer.DiscoveryHandler for verifiers
// that find keys by discovery); a Signer mints an assertion for one
// Principal and one audience; a Transport attaches one to every outgoing
// request whose context carries a Principal (as chiadapter puts it there).
// Package assertion/verify is the strategy a downstream chain runs to
// verify them. PlainHeaders serves downstreams that only read plain
// headers, and package impersonate turns a Principal into Kubernetes
// impersonation.
//
// # Wire format, version 1
//
// The JWS header has "alg" ES256 (P-256) or EdDSA (Ed25519), "kid" (the
// RFC 7638 thumbprint of the public key) and "typ" TokenType, so that no
// other JWT signed with the same key (an ID token, say) passes for an
// assertion (RFC 8725, section 3.11). The payload holds:
//
//	iss   the Signer's issuer URL
//	sub   Principal.User.Name
//	aud   the one downstream the assertion is for (a string)
//	iat, nbf  the minting time; exp  at most MaxLifetime later
//	jti   128 random bits, base64url
//	act   only when the Principal has an Actor (RFC 8693, section 4.1):
//	      {"sub": "system:serviceaccount:NS:NAME",
//	       "authchain.dev/uid": Actor.UID,
//	       "authchain.dev/attributes": Actor.Attributes}
//	authchain.dev/v          1, the version of this format
//	authchain.dev/user       {"uid", "email", "groups", "extra"} of the User
//	authchain.dev/synthetic  true when the User is a synthetic stand-in
//	authchain.dev/via        Principal.Via of the minting service
//	authchain.dev/credential-id  Principal.Credential.ID, when there is one
//
// Empty values are left out. The Actor's attributes travel because
// authorization may cap what an access key can do by them: a downstream
// that lost them would grant the key more than the first service did.
// Private claims carry the authchain.dev/ prefix so that they cannot be
// mistaken for a registered or another issuer's claim. A verifier refuses
// any other version.
package assertion
