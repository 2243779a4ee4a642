package authnmetrics

import (
	"errors"

	"github.com/authchain/authchain/internal/nilcheck"
)

// ServiceAccountCacheState is what the ServiceAccount cache metrics read,
// on each scrape. *kubecache.Cache implements it.
type ServiceAccountCacheState interface {
	// HasSynced reports whether the cache is ready and current enough.
	HasSynced() bool
	// Stale reports whether the cache has lost the API server.
	Stale() bool
	// Len returns the number of cached ServiceAccounts.
	Len() int
}

// ServiceAccountCache reports c on each scrape:
// authchain_serviceaccount_cache_synced, authchain_serviceaccount_cache_stale
// (each 0 or 1) and authchain_serviceaccount_cache_objects. It returns an
// error if c is nil or a cache is reported already.
func (m *Metrics) ServiceAccountCache(c ServiceAccountCacheState) error {
	if nilcheck.IsNil(c) {
		return errors.New("authnmetrics: ServiceAccountCache: cache is nil")
	}
	s := m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saCache != nil {
		return errors.New("authnmetrics: ServiceAccountCache: a cache is reported already")
	}
	s.saCache = c
	return nil
}
