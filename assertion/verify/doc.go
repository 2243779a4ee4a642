// Package verify is the strategy a downstream service runs to believe the
// assertions package assertion mints: it verifies the signature with the
// minting service's public keys, checks the wire format's claims, and
// rebuilds the Principal the minting service had, Actor included.
//
// The signature is the whole proof. The strategy does not ask where the
// request came from: an assertion copied to another network position is
// still bound to its audience and its few minutes, and a network position
// without a signature would prove nothing.
package verify
