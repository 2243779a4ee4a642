package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnconfig/reload"
	"github.com/authchain/authchain/authnmetrics"
)

// runConfig is whoami with -config: the chain comes from the authnconfig
// file, over the demo cluster, -cluster or -kubeconfig. With -explain the
// file is built once; otherwise it is watched and reloaded, and a reload
// that fails keeps the chain in effect and is logged.
func runConfig(ctx context.Context, o options, log *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) int {
	client, err := o.client()
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	deps := authnconfig.Deps{Kubernetes: client}
	if o.explain {
		cfg, err := authnconfig.Load(o.configFile)
		if err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
		built, err := cfg.Build(ctx, deps)
		if err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
		defer built.Close()
		waitUntil(ctx, o.syncTimeout, built.Synced)
		return explain(built.Chain, stdin, stdout, stderr)
	}

	opts := []reload.Option{reload.WithLogger(log), reload.WithReadyTimeout(o.syncTimeout)}
	var (
		registry *prometheus.Registry
		metrics  *authnmetrics.Metrics
	)
	if o.metricsListen != "" {
		registry = prometheus.NewRegistry()
		registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if metrics, err = authnmetrics.New(registry); err != nil {
			fmt.Fprintln(stderr, "whoami:", err)
			return 2
		}
		opts = append(opts, reload.WithObserver(metrics))
	}
	chain, err := reload.Watch(ctx, o.configFile, deps, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "whoami:", err)
		return 2
	}
	defer chain.Stop()
	var authenticator authn.Authenticator = chain
	if metrics != nil {
		authenticator = metrics.Authenticator(chain)
	}
	// Watch puts a chain in effect only once it has synced.
	ready := func() bool { return true }
	return serve(ctx, o, authenticator, ready, registry, log, func(addr string) {
		log.Info("serving", "addr", addr, "config", o.configFile, "hash", chain.Hash(), "strategies", chain.Strategies())
	}, stderr)
}
