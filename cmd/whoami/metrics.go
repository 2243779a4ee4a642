package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authnmetrics"
)

// instrument registers authchain's metrics, and the Go runtime's and the
// process's, with a new registry, and hooks them into the chain o
// configures, its ServiceAccount cache and an OIDC key set. Call it before
// o.config.Chain; wrap the chain with the returned Metrics.Authenticator.
func instrument(o *options, cache authnmetrics.ServiceAccountCacheState) (*prometheus.Registry, *authnmetrics.Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := authnmetrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	if o.config.JWTCacheObserver, err = m.TokenCache("jwt"); err != nil {
		return nil, nil, err
	}
	if o.config.TokenReviewCacheObserver, err = m.TokenCache("tokenreview"); err != nil {
		return nil, nil, err
	}
	o.config.TokenReviewCallObserver = m.TokenReviewCall
	if err := m.ServiceAccountCache(cache); err != nil {
		return nil, nil, err
	}
	if oidc, ok := o.config.Keys.(*jwks.OIDCKeys); ok {
		if err := m.KeySet(oidc); err != nil {
			return nil, nil, err
		}
	}
	return reg, m, nil
}

// newMetricsHandler serves GET /metrics from reg, and nothing else: it
// listens on a port of its own, apart from the authenticated routes.
func newMetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}
