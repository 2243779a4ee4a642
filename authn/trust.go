package authn

import "net/http"

// TrustPolicy decides whether a request arrived from a proven proxy, whose
// identity headers, or forwarded access token, may therefore be believed.
// Package strategies builds the usual ones (peer CIDRs, client
// certificate, shared secret). Implementations must be safe for concurrent
// use and must not block on the network.
type TrustPolicy interface {
	// Verify returns nil when r arrived from a proven proxy; otherwise an
	// error whose message is a short secret-free reason.
	Verify(r *http.Request) error
	// StrippedHeaders lists header names the policy itself reads (e.g. the
	// shared-secret header); the forwarded strategy strips them after use.
	// May be nil.
	StrippedHeaders() []string
}
