package jwks

import (
	"maps"
	"slices"
	"time"
)

// This file holds what OIDCKeys tells a monitor (the authnmetrics
// package): read-only, read on demand, never on the request path.

// Issuer returns the issuer k was built for, as given to OIDC, or the
// JWKS URL given to URL.
func (k *OIDCKeys) Issuer() string { return k.issuer }

// FetchedAt returns when the current key set was fetched, or the zero
// time if none has been. A set older than the maximum staleness is still
// reported, as it is still the last one fetched.
func (k *OIDCKeys) FetchedAt() time.Time {
	if snap := k.current.Load(); snap != nil {
		return snap.fetchedAt
	}
	return time.Time{}
}

// KeyIDs returns the kids of the current key set, sorted, or nil if none
// has been fetched. Kids are public: the issuer publishes them.
func (k *OIDCKeys) KeyIDs() []string {
	snap := k.current.Load()
	if snap == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(snap.keys.byID))
}
