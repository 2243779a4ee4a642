package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnconfig/reload"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/kubecache"
)

// servedChain is the chain whoami answers with, and what goes with it.
type servedChain struct {
	authenticator authn.Authenticator
	// ready reports whether the caches and key sets are current.
	ready func() bool
	// attrs are logged with the "serving" record.
	attrs func() []any
	stop  func()
}

// start builds the chain whoami serves, on client's cluster, with metrics
// when it is not nil. With -config and without -explain the file is
// watched and reloaded; otherwise a configuration is built once: the
// -config file, or the embedded default after the chain flags, with the
// demo issuer's strategy when demo is not nil.
func (o options) start(ctx context.Context, client kubernetes.Interface, demo *demoIssuer, metrics *authnmetrics.Metrics, log *slog.Logger) (*servedChain, error) {
	deps := authnconfig.Deps{Kubernetes: client}
	if o.configFile != "" && !o.explain {
		opts := []reload.Option{reload.WithLogger(log), reload.WithReadyTimeout(o.syncTimeout)}
		if metrics != nil {
			hookMetrics(&deps, metrics)
			opts = append(opts, reload.WithObserver(metrics))
		}
		chain, err := reload.Watch(ctx, o.configFile, deps, opts...)
		if err != nil {
			return nil, err
		}
		return &servedChain{
			authenticator: chain,
			// Watch puts a chain in effect only once it has synced.
			ready: func() bool { return true },
			attrs: func() []any {
				return []any{"config", o.configFile, "hash", chain.Hash(), "strategies", chain.Strategies()}
			},
			stop: chain.Stop,
		}, nil
	}

	if o.configFile != "" {
		cfg, err := authnconfig.Load(o.configFile)
		if err != nil {
			return nil, err
		}
		built, err := buildOnce(ctx, cfg, deps, nil, metrics)
		if err != nil {
			return nil, err
		}
		return &servedChain{authenticator: built.Chain, ready: built.Synced,
			attrs: func() []any { return []any{"config", o.configFile, "strategies", built.Chain.Strategies()} },
			stop:  built.Close}, nil
	}

	cfg, err := o.flagConfiguration()
	if err != nil {
		return nil, err
	}
	var files localFiles
	defer files.remove() // Build has read them
	if err := o.localize(cfg, demo, &files); err != nil {
		return nil, err
	}
	if deps.HTTPClient, err = o.discoveryClient(); err != nil {
		return nil, err
	}
	projection, err := cfg.Projection()
	if err != nil {
		return nil, err
	}
	cacheCtx, stopCache := context.WithCancel(ctx)
	var cacheOpts []kubecache.Option
	if o.kubeconfig != "" {
		// A real cluster: keep only what the chain reads, and answer 503
		// rather than serve a cache cut off from the API server.
		cacheOpts = append(cacheOpts, kubecache.WithProjection(projection), kubecache.WithMaxStaleness(o.maxStaleness))
	}
	cache, err := kubecache.New(cacheCtx, client, cacheOpts...)
	if err != nil {
		stopCache()
		return nil, err
	}
	stop := func() { stopCache(); cache.Shutdown() }
	deps.ServiceAccounts = cache
	built, err := buildOnce(ctx, cfg, deps, cache, metrics)
	if err != nil {
		stop()
		return nil, err
	}
	return &servedChain{
		authenticator: built.Chain,
		ready:         func() bool { return cache.HasSynced() && built.Synced() },
		attrs: func() []any {
			return []any{"strategies", built.Chain.Strategies(), "requireTokenProof", o.requireTokenProof}
		},
		stop: func() { built.Close(); stop() },
	}, nil
}

// buildOnce builds cfg with deps and, when metrics is not nil, reports to
// it the token caches, TokenReviews, the key sets found by discovery and
// the ServiceAccount cache: cache, or the one Build started.
func buildOnce(ctx context.Context, cfg *authnconfig.ChainConfiguration, deps authnconfig.Deps, cache authnmetrics.ServiceAccountCacheState, metrics *authnmetrics.Metrics) (*authnconfig.Built, error) {
	if metrics != nil {
		hookMetrics(&deps, metrics)
	}
	built, err := cfg.Build(ctx, deps)
	if err != nil || metrics == nil {
		return built, err
	}
	if cache == nil && built.Cache != nil {
		cache = built.Cache
	}
	if cache != nil {
		err = metrics.ServiceAccountCache(cache)
	}
	for _, k := range built.KeySets {
		if err == nil {
			err = metrics.KeySet(k)
		}
	}
	if err != nil {
		built.Close()
		return nil, err
	}
	return built, nil
}

// discoveryClient is the HTTP client of OIDC discovery: with a timeout,
// and trusting -ca-file alone when it is given.
func (o options) discoveryClient() (*http.Client, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	if o.issuerCAFile == "" {
		return client, nil
	}
	pem, err := os.ReadFile(o.issuerCAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca-file %s holds no PEM certificate", o.issuerCAFile)
	}
	client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return client, nil
}
