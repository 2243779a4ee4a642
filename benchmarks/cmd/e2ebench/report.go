package main

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/authchain/authchain/benchmarks/internal/spread"
)

// writeReport prints the markdown tables BENCHMARKS.md shows: per server
// the median and range over the rounds, then auth against none as the
// median of the per-round ratios (each round's pair ran back to back).
func writeReport(w io.Writer, cfg runConfig, cases []requestCase, results map[string][]round) {
	rate := "as fast as the connections allow"
	if cfg.rate > 0 {
		rate = fmt.Sprintf("%d req/s", cfg.rate)
	}
	fmt.Fprintf(w, "%d rounds × %v per server, interleaved; %d keep-alive connections; %s; %s %s/%s, %d CPUs\n\n",
		cfg.rounds, cfg.duration, cfg.connections, rate, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintln(w, "| server | server CPU per request | throughput (req/s) | p99 latency | wrong answers |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, mode := range []string{modeNone, modeAuth} {
		rs := results[mode]
		wrong := 0
		for _, r := range rs {
			wrong += r.wrong
		}
		fmt.Fprintf(w, "| %s | %s µs | %s | %s µs | %d |\n", label(mode),
			medianAndRange(rs, func(r round) float64 { return r.cpuPerRequest }, "%.1f"),
			medianAndRange(rs, func(r round) float64 { return r.throughput }, "%.0f"),
			medianAndRange(rs, func(r round) float64 { return float64(r.p99) / float64(time.Microsecond) }, "%.0f"),
			wrong)
	}
	ratio := func(f func(round) float64) string {
		var rs []float64
		for i := range min(len(results[modeAuth]), len(results[modeNone])) {
			rs = append(rs, f(results[modeAuth][i])/f(results[modeNone][i]))
		}
		lo, med, hi := spread.Of(rs)
		return fmt.Sprintf("%.3f× (%.3f–%.3f)", med, lo, hi)
	}
	fmt.Fprintf(w, "| **with / without** | **%s** | %s | %s | |\n\n",
		ratio(func(r round) float64 { return r.cpuPerRequest }),
		ratio(func(r round) float64 { return r.throughput }),
		ratio(func(r round) float64 { return float64(r.p99) }))

	fmt.Fprintln(w, "Request set (weight, answer expected of the authenticated server):")
	fmt.Fprintln(w)
	for _, c := range cases {
		fmt.Fprintf(w, "- %d× %s: %d\n", c.weight, c.name, c.status)
	}
}

func label(mode string) string {
	if mode == modeAuth {
		return "full chain"
	}
	return "no authentication"
}

// medianAndRange formats the median and range of f over rs.
func medianAndRange(rs []round, f func(round) float64, format string) string {
	var vs []float64
	for _, r := range rs {
		vs = append(vs, f(r))
	}
	lo, med, hi := spread.Of(vs)
	return fmt.Sprintf(format+" ("+format+"–"+format+")", med, lo, hi)
}
