// Command e2ebench measures what authentication costs a whole request: a
// chi server with authchain's full chain (forwarded headers, locally
// verified ServiceAccount tokens, the subject rule, the creator-annotation
// look-up and the synthetic fallback, over an in-memory cluster) and a
// trivial handler, against the same server without authentication.
//
// Each server runs as a child process on loopback; vegeta, as a library,
// drives them with keep-alive connections and a mixed request set (humans,
// annotated keys with tokens, keys without a creator, spoof attempts, bad
// tokens), in rounds that alternate which server goes first. The figure
// that counts is the server's CPU time per request, read from the child's
// own getrusage before and after each attack, so the load generator's CPU
// is not in it; throughput and p99 latency are reported beside it. Every
// response of the authenticated server is checked against the identity
// its case expects; any wrong answer fails the run.
//
// Run, from the benchmarks directory:
//
//	go run ./cmd/e2ebench -rounds 6 -duration 5s
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	serveMode := flag.String("serve", "", "run as the server child of the given mode (auth or none); used by the program itself")
	rounds := flag.Int("rounds", 6, "measured rounds per server, interleaved")
	duration := flag.Duration("duration", 5*time.Second, "length of each attack")
	warmup := flag.Duration("warmup", time.Second, "unmeasured attack on each server before the rounds")
	connections := flag.Int("connections", 16, "keep-alive connections (and vegeta workers)")
	rate := flag.Int("rate", 0, "requests per second; 0 sends as fast as the connections allow")
	flag.Parse()
	if *serveMode != "" {
		serveMain(*serveMode)
		return
	}
	cfg := runConfig{rounds: *rounds, duration: *duration, warmup: *warmup, connections: *connections, rate: *rate}
	if err := run(cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench:", err)
		os.Exit(1)
	}
}

type runConfig struct {
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	connections int
	rate        int
}

func run(cfg runConfig, stdout, progress io.Writer) error {
	if cfg.rounds < 1 || cfg.duration <= 0 || cfg.connections < 1 || cfg.rate < 0 {
		return fmt.Errorf("rounds, duration and connections must be positive, rate not negative")
	}
	cases, err := requestCases()
	if err != nil {
		return err
	}
	servers := map[string]*child{}
	for _, mode := range []string{modeNone, modeAuth} {
		c, err := startChild(mode)
		if err != nil {
			return err
		}
		defer c.stop()
		servers[mode] = c
	}
	results := map[string][]round{}
	wrongs := 0
	measure := func(mode string, d time.Duration) (round, error) {
		r, err := attack(servers[mode], mode, cases, cfg, d)
		wrongs += r.wrong
		return r, err
	}
	for _, mode := range []string{modeNone, modeAuth} {
		if cfg.warmup > 0 {
			if _, err := measure(mode, cfg.warmup); err != nil {
				return err
			}
		}
	}
	for i := range cfg.rounds {
		order := []string{modeNone, modeAuth}
		if i%2 == 1 {
			order = []string{modeAuth, modeNone}
		}
		for _, mode := range order {
			r, err := measure(mode, cfg.duration)
			if err != nil {
				return err
			}
			results[mode] = append(results[mode], r)
			fmt.Fprintf(progress, "round %d %-4s %7d req %8.0f req/s  %6.1f µs CPU/req  p99 %v  wrong %d\n",
				i+1, mode, r.requests, r.throughput, r.cpuPerRequest, r.p99.Round(time.Microsecond), r.wrong)
		}
	}
	writeReport(stdout, cfg, cases, results)
	if wrongs > 0 {
		return fmt.Errorf("%d responses with the wrong status or principal", wrongs)
	}
	return nil
}
