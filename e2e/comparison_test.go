//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
)

// Load of TestOriginalDesignComparison: every server gets the same workers
// on loopback. Servers bound by CPU take comparisonRounds interleaved
// turns; the first comparisonWarmup of a turn (new connections) is not
// counted.
const (
	comparisonWorkers = 16
	comparisonKeys    = 8
	comparisonRounds  = 3
	comparisonWarmup  = 500 * time.Millisecond
)

// errWrongPrincipal marks an answer that names someone other than the
// key's creator acting through the key.
var errWrongPrincipal = errors.New("wrong principal")

// comparisonKey is an access key of the comparison, with its token.
type comparisonKey struct{ name, creator, token string }

// comparisonTarget is one server under load and what it served.
type comparisonTarget struct {
	name string
	url  string
	// turns, warmup and window say how it is measured: turns times, each
	// counting the answers of window after warmup.
	turns          int
	warmup, window time.Duration
	// calls counts the API calls of an original-design server; bound is
	// the answers per second its rate limiter allows, 0 for none.
	calls *APICalls
	bound float64

	counted  int           // answers inside the windows
	measured time.Duration // sum of the windows
}

func (c *comparisonTarget) throughput() float64 {
	return float64(c.counted) / c.measured.Seconds()
}

// TestOriginalDesignComparison serves the same requests (access keys'
// tokens, each key annotated with its creator) from authchain's standard
// chain, on its /jwt and /tokenreview routes, and from the original
// per-request design (a TokenReview and a ServiceAccount GET per request,
// see originalDesign) with four client-side rate limits:
//   - none;
//   - QPS 100 with client-go's default burst of 10: the platform's QPS
//     (its burst is not known here; once spent, a burst does not change
//     the rate);
//   - client-go's defaults, left unset (QPS 5, burst 10): the clientset
//     then gives each API group its own limiter, as kubernetes.NewForConfig
//     shares one only when QPS is set;
//   - the same figures set, one limiter for both calls.
//
// The test asserts that every answer names the key's creator and the key,
// and that authchain makes no API call at steady state; the throughputs
// and their ratios go to the report, with no threshold.
func TestOriginalDesignComparison(t *testing.T) {
	if raceEnabled {
		t.Skip("throughput comparison: run without -race")
	}
	w := newWorld(t)
	keys := make([]comparisonKey, comparisonKeys)
	for i := range keys {
		k := comparisonKey{name: fmt.Sprintf("compared-key-%d", i), creator: fmt.Sprintf("user%d@example.com", i)}
		_, k.token = w.createKey(t, k.name, k.creator, nil)
		keys[i] = k
	}
	waitUntil(t, propagationBound, "every key", func() bool {
		return w.fresh.Len() == comparisonKeys && w.last.Len() == comparisonKeys
	})

	cpuBound := func(name, url string, window time.Duration) *comparisonTarget {
		return &comparisonTarget{name: name, url: url, turns: comparisonRounds, warmup: comparisonWarmup, window: window}
	}
	authchain := []*comparisonTarget{
		cpuBound("authchain jwt", w.app.URL+"/jwt/whoami", time.Second),
		cpuBound("authchain tokenreview", w.app.URL+"/tokenreview/whoami", time.Second),
	}
	unlimited := cpuBound("original, limits off", "", 1500*time.Millisecond)
	w.serveOriginal(t, unlimited, -1, 0)
	original := []*comparisonTarget{
		unlimited,
		w.rateBound(t, "original, QPS 100 burst 10", 100, 10, 5),
		// Left unset, QPS and burst are client-go's defaults.
		w.rateBound(t, fmt.Sprintf("original, client-go defaults (QPS %g burst %d per API group)", rest.DefaultQPS, rest.DefaultBurst), 0, 0, 1),
		w.rateBound(t, fmt.Sprintf("original, QPS %g burst %d set", rest.DefaultQPS, rest.DefaultBurst), rest.DefaultQPS, rest.DefaultBurst, 1),
	}

	// One answer per key and route fills the TokenReview route's cache,
	// so that what follows is authchain's steady state.
	client := &http.Client{Timeout: 15 * time.Second}
	for _, target := range authchain {
		for _, k := range keys {
			if err := checkAnswer(t.Context(), client, target.url, k); err != nil {
				t.Fatalf("%s: %v", target.name, err)
			}
		}
	}
	atStart := w.calls.Snapshot()

	var failed []error
	targets := append(append([]*comparisonTarget(nil), authchain...), original...)
	for round := range comparisonRounds {
		for _, target := range targets {
			if round >= target.turns {
				continue
			}
			counted, failures := drive(t.Context(), target.url, keys, target.warmup, target.window)
			target.counted += counted
			target.measured += target.window
			failed = append(failed, failures...)
		}
	}
	during := w.calls.Snapshot().Sub(atStart)
	wrong := 0
	for _, err := range failed {
		if errors.Is(err, errWrongPrincipal) {
			wrong++
		}
	}
	for _, err := range failed[:min(len(failed), 5)] {
		t.Error(err)
	}
	if len(during) != 0 {
		t.Errorf("authchain made API calls at steady state: %v; want none", during)
	}

	harness.Report.Addf(t, "%d workers on loopback, %d keys; %d wrong principals, %d other failed answers",
		comparisonWorkers, comparisonKeys, wrong, len(failed)-wrong)
	for _, target := range authchain {
		harness.Report.Addf(t, "%s: %.0f req/s (%d answers in %v, interleaved turns: %d); API calls at steady state (both routes): %v",
			target.name, target.throughput(), target.counted, target.measured, target.turns, during)
	}
	for _, target := range original {
		bound := "no limiter"
		if target.bound > 0 {
			bound = fmt.Sprintf("its limiter allows %.1f", target.bound)
		}
		// Requests cut at the end of a turn may have made a call without
		// an answer, so the calls are a little more than two per answer.
		harness.Report.Addf(t, "%s: %.1f req/s (%d answers in %v, turns: %d; %s); API calls in all: %v",
			target.name, target.throughput(), target.counted, target.measured, target.turns, bound, target.calls.Snapshot())
	}
	for _, a := range authchain {
		for _, o := range original {
			harness.Report.Addf(t, "%s vs %s: %.0f×", a.name, o.name, a.throughput()/o.throughput())
		}
	}
}

// serveOriginal serves originalDesign for target with a client of the
// cluster whose rate limit is qps and burst, in rest.Config's meanings:
// zero is client-go's default, a negative QPS turns the limit off. The
// API calls are counted in target.calls.
func (w *world) serveOriginal(t *testing.T, target *comparisonTarget, qps float32, burst int) {
	t.Helper()
	target.calls = NewAPICalls()
	cfg := w.cluster.Config(target.calls.Wrap)
	cfg.QPS, cfg.Burst = qps, burst
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newOriginalApp(client))
	t.Cleanup(srv.Close)
	target.url = srv.URL + "/whoami"
}

// rateBound returns an original-design target whose rate limiter, not the
// machine, sets its throughput. Its limiter serves a queue of every
// worker's calls, first come first served, so it is measured in one turn:
// a cycle (the time the limiter takes to serve each worker once) of
// warm-up, past the stored burst and the queue's start, then cycles whole
// cycles, in which each worker is answered equally often.
func (w *world) rateBound(t *testing.T, name string, qps float32, burst, cycles int) *comparisonTarget {
	t.Helper()
	target := &comparisonTarget{name: name, turns: 1}
	w.serveOriginal(t, target, qps, burst)
	// kubernetes.NewForConfig gives each API group its own limiter when
	// QPS is left unset, and one limiter to all when it is set: then the
	// TokenReview and the GET wait in the same queue.
	callsPerLimiter := 2
	if qps == 0 {
		qps, callsPerLimiter = rest.DefaultQPS, 1
	}
	target.bound = float64(qps) / float64(callsPerLimiter)
	cycle := time.Duration(float64(comparisonWorkers) / target.bound * float64(time.Second))
	target.warmup, target.window = max(cycle, comparisonWarmup), time.Duration(cycles)*cycle
	return target
}

// drive sends comparisonWorkers workers' requests to url for warmup plus
// window, each worker cycling through the keys, and returns how many
// answers arrived inside the window and an error for each wrong or failed
// one. Requests still open at the end are cancelled, so that a rate-bound
// server's queue does not outlast the turn; they are neither counted nor
// judged.
func drive(ctx context.Context, url string, keys []comparisonKey, warmup, window time.Duration) (counted int, failures []error) {
	start := time.Now()
	from, until := start.Add(warmup), start.Add(warmup+window)
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: comparisonWorkers}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	var (
		inWindow atomic.Int64
		mu       sync.Mutex
		wg       sync.WaitGroup
	)
	for worker := range comparisonWorkers {
		wg.Go(func() {
			for i := worker; ctx.Err() == nil; i += comparisonWorkers {
				err := checkAnswer(ctx, client, url, keys[i%len(keys)])
				if ctx.Err() != nil {
					return // cut at the end of the turn
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					continue
				}
				if now := time.Now(); now.After(from) && now.Before(until) {
					inWindow.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(inWindow.Load()), failures
}

// checkAnswer asks url who k's token acts for, and returns an error unless
// the answer is k's creator acting through k. The error never holds the
// token.
func checkAnswer(ctx context.Context, client *http.Client, url string, k comparisonKey) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s as %s: %w", url, k.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s as %s: %w", url, k.name, err)
	}
	var p authn.Principal
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &p) != nil {
		return fmt.Errorf("GET %s as %s: %d %s", url, k.name, resp.StatusCode, body)
	}
	if p.User.Name != k.creator || p.Actor == nil || p.Actor.Namespace != keyNamespace || p.Actor.Name != k.name {
		return fmt.Errorf("GET %s as %s: %w %s, want %s through %s", url, k.name, errWrongPrincipal, body, k.creator, k.name)
	}
	return nil
}
