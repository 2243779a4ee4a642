package authnmetrics

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authchain/authchain/internal/nilcheck"
)

// Metrics holds authchain's metrics, registered with one registry. Build
// it with New; it is safe for concurrent use.
type Metrics struct {
	attempts *prometheus.CounterVec
	duration *prometheus.HistogramVec

	cacheRequests *prometheus.CounterVec
	cacheFetches  *prometheus.CounterVec
	cacheActive   *prometheus.GaugeVec

	reviews *prometheus.CounterVec

	configReloads *prometheus.CounterVec
	configInfo    *configInfo

	// state reads the key sets and the ServiceAccount cache on scrape.
	state *stateCollector
}

// DurationBuckets are the buckets of
// authchain_authentication_duration_seconds: Kubernetes' layout for
// authentication latency, 1ms doubling to about 16s.
func DurationBuckets() []float64 { return prometheus.ExponentialBuckets(0.001, 2, 15) }

// New registers authchain's metrics with reg and returns them. It returns
// an error if reg is nil or refuses a metric (one of these names is
// registered already, say); it then leaves none of them registered.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if nilcheck.IsNil(reg) {
		return nil, errors.New("authnmetrics: New: registerer is nil")
	}
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authchain_authentication_attempts_total",
			Help: "Authentication attempts by result and by the strategy that decided (\"chain\" when the chain found no identity).",
		}, []string{"result", "strategy"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authchain_authentication_duration_seconds",
			Help:    "Time to authenticate a request, by result.",
			Buckets: DurationBuckets(),
		}, []string{"result"}),
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authchain_token_cache_requests_total",
			Help: "Token cache look-ups, by cache and status (hit: a stored verdict answered; miss: it did not).",
		}, []string{"cache", "status"}),
		cacheFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authchain_token_cache_fetches_total",
			Help: "Verifications behind a token cache that ended, by cache and status (ok: a verdict; error: none).",
		}, []string{"cache", "status"}),
		cacheActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "authchain_token_cache_active_fetches",
			Help: "Verifications behind a token cache in progress, by cache.",
		}, []string{"cache"}),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authchain_tokenreview_requests_total",
			Help: "TokenReviews by HTTP status of the answer, or limited, timeout, canceled or error when there was none.",
		}, []string{"code"}),
		configReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authchain_config_reloads_total",
			Help: "Reloads of the configuration file, by result (success, failure).",
		}, []string{"result"}),
		configInfo: newConfigInfo(),
		state:      newStateCollector(),
	}
	collectors := []prometheus.Collector{m.attempts, m.duration, m.cacheRequests, m.cacheFetches, m.cacheActive, m.reviews, m.configReloads, m.configInfo.gauge, m.state}
	for i, c := range collectors {
		if err := reg.Register(c); err != nil {
			// All or nothing, so that the caller may try again.
			for _, done := range collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("authnmetrics: New: %w", err)
		}
	}
	return m, nil
}

// stateCollector reports, on each scrape, the state of the key sets and
// the ServiceAccount cache it was given.
type stateCollector struct {
	mu      sync.Mutex
	keySets []keySet
	saCache ServiceAccountCacheState
	fetched *prometheus.Desc
	keys    *prometheus.Desc
	info    *prometheus.Desc
	synced  *prometheus.Desc
	stale   *prometheus.Desc
	objects *prometheus.Desc
}

func newStateCollector() *stateCollector {
	return &stateCollector{
		fetched: prometheus.NewDesc("authchain_jwks_last_fetch_timestamp_seconds",
			"When the current key set of an issuer was fetched, in Unix seconds; 0 until one is.", []string{"issuer_hash"}, nil),
		keys: prometheus.NewDesc("authchain_jwks_keys",
			"Number of keys in the current key set of an issuer.", []string{"issuer_hash"}, nil),
		info: prometheus.NewDesc("authchain_jwks_key_set_info",
			"The current key set of an issuer, as a hash of its sorted key ids; always 1.", []string{"issuer_hash", "key_set_hash"}, nil),
		synced: prometheus.NewDesc("authchain_serviceaccount_cache_synced",
			"1 when the ServiceAccount cache has synced and is within its allowed staleness, else 0.", nil, nil),
		stale: prometheus.NewDesc("authchain_serviceaccount_cache_stale",
			"1 while the ServiceAccount cache has lost the API server and not yet listed or watched again, else 0.", nil, nil),
		objects: prometheus.NewDesc("authchain_serviceaccount_cache_objects",
			"Number of ServiceAccounts in the cache.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.fetched, s.keys, s.info, s.synced, s.stale, s.objects} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	keySets, saCache := s.keySets, s.saCache
	s.mu.Unlock()
	for _, k := range keySets {
		k.collect(s, ch)
	}
	if saCache != nil {
		ch <- prometheus.MustNewConstMetric(s.synced, prometheus.GaugeValue, boolValue(saCache.HasSynced()))
		ch <- prometheus.MustNewConstMetric(s.stale, prometheus.GaugeValue, boolValue(saCache.Stale()))
		ch <- prometheus.MustNewConstMetric(s.objects, prometheus.GaugeValue, float64(saCache.Len()))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
