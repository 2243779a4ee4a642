// Package authnmetrics exports Prometheus metrics of an authchain chain and
// of the caches behind it. It is the only authchain package that imports
// Prometheus: the authn core and the strategies report through small hooks
// of their own (bearer.WithObserver, tokenreview.WithCallObserver, the
// read-only state of jwks.OIDCKeys and kubecache.Cache), and this package
// plugs into them.
//
// What is never a label: a user name, a token, a header value, an issuer
// URL. The strategy label takes only the names the chain checked when it
// was built; an issuer appears as IssuerHash of its URL.
//
// The smallest use, with a chain and a registry of your own:
//
//	reg := prometheus.NewRegistry()
//	m, err := authnmetrics.New(reg)
//	...
//	jwtCache, err := m.TokenCache("jwt")
//	strategy, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences(aud), jwt.WithCacheObserver(jwtCache))
//	chain, err := authn.NewChain(..., strategy, ...)
//	r.Use(chiadapter.Authenticate(m.Authenticator(chain)))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The metrics:
//
//	authchain_authentication_attempts_total{result,strategy}    counter
//	authchain_authentication_duration_seconds{result}            histogram
//	authchain_token_cache_requests_total{cache,status}           counter (status: hit, miss)
//	authchain_token_cache_fetches_total{cache,status}            counter (status: ok, error)
//	authchain_token_cache_active_fetches{cache}                  gauge
//	authchain_tokenreview_requests_total{code}                   counter
//	authchain_jwks_last_fetch_timestamp_seconds{issuer_hash}     gauge
//	authchain_jwks_keys{issuer_hash}                             gauge
//	authchain_jwks_key_set_info{issuer_hash,key_set_hash}        gauge (always 1)
//	authchain_serviceaccount_cache_synced                        gauge (0 or 1)
//	authchain_serviceaccount_cache_stale                         gauge (0 or 1)
//	authchain_serviceaccount_cache_objects                       gauge
//	authchain_config_reloads_total{result}                       counter (result: success, failure)
//	authchain_config_info{hash}                                  gauge (always 1, the configuration in effect)
package authnmetrics
