package authnconfig

// Synced reports whether the chain is ready to answer: the ServiceAccount
// cache Build started has synced, and every refreshing key set (found by
// discovery or at a JWKS URL) has keys that are not stale. Until then the strategies that read them answer
// 503. A program's readiness probe, or a reload that must not swap in a
// chain that would answer 503, asks it.
func (b *Built) Synced() bool {
	if b.Cache != nil && !b.Cache.HasSynced() {
		return false
	}
	for _, synced := range b.synced {
		if !synced() {
			return false
		}
	}
	return true
}
