package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnmetrics"
)

// newMetrics registers authchain's metrics, and the Go runtime's and the
// process's, with a new registry. Wrap the chain with the returned
// Metrics.Authenticator.
func newMetrics() (*prometheus.Registry, *authnmetrics.Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := authnmetrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}

// hookMetrics has the chains built with deps report their token caches,
// each under its strategy's name, and their TokenReviews to m.
func hookMetrics(deps *authnconfig.Deps, m *authnmetrics.Metrics) {
	deps.TokenCacheObserver = func(strategy string) bearer.CacheObserver {
		// The configuration has checked the name's syntax, which is all
		// TokenCache refuses.
		o, err := m.TokenCache(strategy)
		if err != nil {
			return nil
		}
		return o
	}
	deps.TokenReviewCallObserver = m.TokenReviewCall
}

// newMetricsHandler serves GET /metrics from reg, and nothing else: it
// listens on a port of its own, apart from the authenticated routes.
func newMetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}
