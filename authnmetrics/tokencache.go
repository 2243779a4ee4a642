package authnmetrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// TokenCacheObserver counts what one token cache does, under the cache
// label it was made with. It implements bearer.CacheObserver: give it to
// jwt.WithCacheObserver, tokenreview.WithCacheObserver or
// bearer.WithObserver. Build it with Metrics.TokenCache.
type TokenCacheObserver struct {
	hit, miss prometheus.Counter
	ok, error prometheus.Counter
	active    prometheus.Gauge
}

// TokenCache returns the observer of the token cache called name, such
// as "jwt" or "tokenreview". The status labels follow Kubernetes' token
// cache: a request is a hit or a miss; a fetch (a verification) ends ok,
// with a verdict valid or invalid, or with an error. name must have the
// syntax of a strategy name (see authn.NewChain); calls with the same
// name share the counters.
func (m *Metrics) TokenCache(name string) (*TokenCacheObserver, error) {
	if !validLabelName(name) {
		return nil, fmt.Errorf("authnmetrics: TokenCache: name %q must be 1 to 63 lower-case letters, digits, '-', '_' or '.'", name)
	}
	return &TokenCacheObserver{
		hit:    m.cacheRequests.WithLabelValues(name, "hit"),
		miss:   m.cacheRequests.WithLabelValues(name, "miss"),
		ok:     m.cacheFetches.WithLabelValues(name, "ok"),
		error:  m.cacheFetches.WithLabelValues(name, "error"),
		active: m.cacheActive.WithLabelValues(name),
	}, nil
}

// CacheRequest counts one look-up as a hit or a miss.
func (o *TokenCacheObserver) CacheRequest(hit bool) {
	if hit {
		o.hit.Inc()
	} else {
		o.miss.Inc()
	}
}

// FetchStarted counts a verification in progress.
func (o *TokenCacheObserver) FetchStarted() { o.active.Inc() }

// FetchDone counts a verification that ended, ok or with an error.
func (o *TokenCacheObserver) FetchDone(ok bool) {
	o.active.Dec()
	if ok {
		o.ok.Inc()
	} else {
		o.error.Inc()
	}
}
