package main

import (
	"fmt"
	"os"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// round is one attack on one server.
type round struct {
	requests      int
	throughput    float64 // successful requests per second
	p99           time.Duration
	cpuPerRequest float64 // µs of server CPU
	wrong         int
}

// attack runs the mixed request set against server for d and checks every
// response. Refusals (401, 403) are expected answers of the authenticated
// server, so throughput counts every request answered as its case
// expects, not only 2xx.
func attack(server *child, mode string, cases []requestCase, cfg runConfig, d time.Duration) (round, error) {
	attacker := vegeta.NewAttacker(
		vegeta.KeepAlive(true),
		vegeta.Connections(cfg.connections),
		vegeta.MaxConnections(cfg.connections),
		vegeta.Workers(uint64(cfg.connections)),
		vegeta.MaxWorkers(uint64(cfg.connections)),
	)
	pacer := vegeta.ConstantPacer{Freq: cfg.rate, Per: time.Second}
	targeter := vegeta.NewStaticTargeter(targets("http://"+server.addr, cases)...)

	before, err := server.cpu()
	if err != nil {
		return round{}, err
	}
	var latencies vegeta.LatencyMetrics
	var r round
	start := time.Now()
	var last time.Time
	for res := range attacker.Attack(targeter, pacer, d, mode) {
		r.requests++
		latencies.Add(res.Latency)
		if end := res.End(); end.After(last) {
			last = end
		}
		i, ok := caseOf(res.URL)
		why := "no case in the URL"
		if ok && i < len(cases) {
			why = wrong(mode, cases[i], res)
		}
		if why != "" {
			r.wrong++
			if r.wrong <= 5 {
				fmt.Fprintf(os.Stderr, "%s server, case %q: %s\n", mode, cases[i].name, why)
			}
		}
	}
	after, err := server.cpu()
	if err != nil {
		return round{}, err
	}
	if r.requests == 0 {
		return r, fmt.Errorf("%s server: no request was sent", mode)
	}
	r.p99 = latencies.Quantile(0.99)
	r.throughput = float64(r.requests-r.wrong) / last.Sub(start).Seconds()
	r.cpuPerRequest = float64((after - before).Microseconds()) / float64(r.requests)
	return r, nil
}
