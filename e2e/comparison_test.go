//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
)

// Load of TestOriginalDesignComparison: every middleware gets the same
// workers, asking for the same keys. Middlewares bound by CPU take
// comparisonRounds interleaved turns, each counting the answers of
// comparisonWindow after comparisonWarmup (new connections, the garbage
// collector finding its pace). The windows are short because the app's
// routes log every decision, and the run's log capture holds and searches
// them all.
// Middlewares bound by a rate limiter are measured in one turn of at least
// rateBoundWindow, long enough that what is measured is the limiter's
// rate, not its stored burst.
const (
	comparisonWorkers = 16
	comparisonKeys    = 8
	comparisonRounds  = 5
	comparisonWarmup  = 300 * time.Millisecond
	comparisonWindow  = 600 * time.Millisecond
	rateBoundWindow   = 10 * time.Second
)

// errWrongPrincipal marks an answer that names someone other than the
// key's creator acting through the key.
var errWrongPrincipal = errors.New("wrong principal")

// comparisonKey is an access key of the comparison, with its token.
type comparisonKey struct{ name, creator, token string }

// comparisonTarget is one middleware under load and what it served. It is
// reached over loopback HTTP at url, or, in process, by calling handler's
// ServeHTTP directly.
type comparisonTarget struct {
	name    string
	url     string
	handler http.Handler
	// turns, warmup and window say how it is measured: turns times, each
	// counting the answers of window after warmup.
	turns          int
	warmup, window time.Duration
	// calls counts the API calls of an original-design middleware; bound
	// is the answers per second its rate limiter allows, 0 for none.
	calls *APICalls
	bound float64

	rates    []float64     // answers per second, one per turn
	counted  int           // answers inside the windows
	measured time.Duration // sum of the windows
}

// mode names how the target is reached, for the report.
func (c *comparisonTarget) mode() string {
	if c.handler != nil {
		return "in-process"
	}
	return "loopback HTTP"
}

// throughput is the median of the turns' answers per second.
func (c *comparisonTarget) throughput() float64 {
	r := slices.Sorted(slices.Values(c.rates))
	if len(r) == 0 {
		return 0
	}
	if len(r)%2 == 1 {
		return r[len(r)/2]
	}
	return (r[len(r)/2-1] + r[len(r)/2]) / 2
}

// describe says what was measured: the median, and the range of the turns
// when there were several.
func (c *comparisonTarget) describe() string {
	s := fmt.Sprintf("%.1f req/s", c.throughput())
	if len(c.rates) > 1 {
		s = fmt.Sprintf("median %.0f req/s of %d interleaved turns (%.0f–%.0f)", c.throughput(), len(c.rates), slices.Min(c.rates), slices.Max(c.rates))
	}
	return fmt.Sprintf("%s; %d answers in %v", s, c.counted, c.measured.Round(time.Millisecond))
}

// asker returns how a worker asks the target who the key of index key
// acts for during one turn, and what to call when the turn is over. The
// ask returns an
// error unless the answer is that key's creator acting through the key.
func (c *comparisonTarget) asker(ctx context.Context, keys []comparisonKey) (ask func(worker, key int) error, done func()) {
	if c.handler != nil {
		return inProcessAsker(ctx, c.handler, keys)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: comparisonWorkers}
	client := &http.Client{Transport: transport}
	return func(_, key int) error {
		return checkAnswer(ctx, client, c.url, keys[key])
	}, transport.CloseIdleConnections
}

// turn measures the target once, adds to its figures, and returns what
// the workers got.
func (c *comparisonTarget) turn(ctx context.Context, keys []comparisonKey) tally {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ask, done := c.asker(ctx, keys)
	defer done()
	t := drive(ctx, cancel, len(keys), c.warmup, c.window, ask)
	c.counted += t.counted
	c.measured += t.measured
	c.rates = append(c.rates, float64(t.counted)/t.measured.Seconds())
	return t
}

// TestOriginalDesignComparison serves the same requests (access keys'
// tokens, each key annotated with its creator) from authchain's standard
// chain, verifying tokens locally (jwt) or by TokenReview (tokenreview),
// and from the original per-request design (a TokenReview and a
// ServiceAccount GET per request, see originalDesign) with four
// client-side rate limits:
//   - none;
//   - QPS 100 with client-go's default burst of 10: the platform's QPS
//     (its burst is not known here; once spent, a burst does not change
//     the rate);
//   - client-go's defaults, left unset (QPS 5, burst 10): the clientset
//     then gives each API group its own limiter, as kubernetes.NewForConfig
//     shares one only when QPS is set;
//   - the same figures set, one limiter for both calls.
//
// Each is measured twice, with the same workers and keys for the same
// time: over loopback HTTP, where on two cores the HTTP stack bounds
// authchain, and in process, where the workers call the middleware,
// wrapped around one trivial handler, directly. authchain's chain serves
// from its informer caches and, on the jwt route, the issuer's keys; the
// original design still asks the real API server over its client. A
// rate-limited original design is measured both ways too, each with a
// client and limiter of its own: its rate should be the limiter's either
// way, and is measured rather than assumed.
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

	cpuBound := func(name, url string, handler http.Handler) *comparisonTarget {
		return &comparisonTarget{name: name, url: url, handler: handler, turns: comparisonRounds, warmup: comparisonWarmup, window: comparisonWindow}
	}
	jwtChain, reviewChain := w.inProcessChains(t)
	authchain := []*comparisonTarget{
		cpuBound("authchain jwt", w.app.URL+"/jwt/whoami", nil),
		cpuBound("authchain tokenreview", w.app.URL+"/tokenreview/whoami", nil),
		cpuBound("authchain jwt", "", authchainMiddleware(jwtChain)),
		cpuBound("authchain tokenreview", "", authchainMiddleware(reviewChain)),
	}
	unlimitedHTTP, unlimitedInProcess := w.originalTargets(t, "original, limits off", -1, 0)
	original := []*comparisonTarget{unlimitedHTTP, unlimitedInProcess}
	for _, limit := range []struct {
		name  string
		qps   float32
		burst int
	}{
		{"original, QPS 100 burst 10", 100, 10},
		// Left unset, QPS and burst are client-go's defaults.
		{fmt.Sprintf("original, client-go defaults (QPS %g burst %d per API group)", rest.DefaultQPS, rest.DefaultBurst), 0, 0},
		{fmt.Sprintf("original, QPS %g burst %d set", rest.DefaultQPS, rest.DefaultBurst), rest.DefaultQPS, rest.DefaultBurst},
	} {
		overHTTP, inProcess := w.originalTargets(t, limit.name, limit.qps, limit.burst)
		original = append(original, overHTTP, inProcess)
	}

	// One answer per key and target fills the TokenReview routes' caches,
	// so that what follows is authchain's steady state.
	for _, target := range authchain {
		ask, done := target.asker(t.Context(), keys)
		for i := range keys {
			if err := ask(0, i); err != nil {
				t.Fatalf("%s %s: %v", target.mode(), target.name, err)
			}
		}
		done()
	}
	atStart := w.calls.Snapshot()

	var all tally
	cpuTargets := append(append([]*comparisonTarget(nil), authchain...), unlimitedHTTP, unlimitedInProcess)
	for range comparisonRounds {
		for _, target := range cpuTargets {
			all.add(target.turn(t.Context(), keys))
		}
	}
	// authchain is served only in the rounds above: they are its steady
	// state.
	during := w.calls.Snapshot().Sub(atStart)
	for _, target := range original {
		if target.turns == 1 {
			all.add(target.turn(t.Context(), keys))
		}
	}

	for _, err := range all.first {
		t.Error(err)
	}
	if len(during) != 0 {
		t.Errorf("authchain made API calls at steady state: %v; want none", during)
	}

	harness.Report.Addf(t, "%d workers, %d keys, each middleware measured over loopback HTTP and in process (its ServeHTTP called by the workers); %d wrong principals, %d other failed answers",
		comparisonWorkers, comparisonKeys, all.wrong, all.failed-all.wrong)
	harness.Report.Addf(t, "in process, both sides wrap the same trivial handler (it writes the Principal's creator and key); each call gets a new request with the token header (the middlewares strip it), at the same cost on both sides; authchain's in-process chains are the HTTP routes' configurations without the decision log; the original design still calls the API server through its client")
	harness.Report.Addf(t, "CPU-bound targets take %d interleaved turns, each counting %v after %v of warm-up, of which the medians are compared; rate-limited original-design targets take one turn each, of whole limiter cycles and at least %v after a cycle of warm-up, so that the measured rate is the limiter's, not its burst",
		comparisonRounds, comparisonWindow, comparisonWarmup, rateBoundWindow)
	for _, target := range authchain {
		harness.Report.Addf(t, "%s, %s: %s; API calls at steady state (all authchain targets): %v",
			target.mode(), target.name, target.describe(), during)
	}
	for _, target := range original {
		bound := "no limiter"
		if target.bound > 0 {
			bound = fmt.Sprintf("its limiter allows %.1f; one turn after %v of warm-up", target.bound, target.warmup)
		}
		// Requests cut at the end of a turn may have made a call without
		// an answer, so the calls are a little more than two per answer.
		harness.Report.Addf(t, "%s, %s: %s (%s); API calls in all: %v",
			target.mode(), target.name, target.describe(), bound, target.calls.Snapshot())
	}
	for _, a := range authchain {
		for _, o := range original {
			if a.mode() == o.mode() {
				harness.Report.Addf(t, "%s, %s vs %s: %.0f× (over authchain's turns: %.0f–%.0f×)", a.mode(), a.name, o.name,
					a.throughput()/o.throughput(), slices.Min(a.rates)/o.throughput(), slices.Max(a.rates)/o.throughput())
			}
		}
	}
}

// originalTargets returns two original-design targets, one served over
// loopback HTTP and one in process, each with its own client of the
// cluster whose rate limit is qps and burst, in rest.Config's meanings:
// zero is client-go's default, a negative QPS turns the limit off. Each
// counts its API calls.
//
// Without a limit the machine sets the throughput, and the targets take
// interleaved turns with authchain's. With one, the limiter serves a queue
// of every worker's calls, first come first served, so a target is
// measured in one turn: a cycle (the time the limiter takes to serve each
// worker once) of warm-up, past the stored burst and the queue's start,
// then whole cycles, at least rateBoundWindow, in which each worker is
// answered equally often.
func (w *world) originalTargets(t *testing.T, name string, qps float32, burst int) (overHTTP, inProcess *comparisonTarget) {
	t.Helper()
	measure := func(target *comparisonTarget) *comparisonTarget {
		if qps < 0 {
			target.turns, target.warmup, target.window = comparisonRounds, comparisonWarmup, comparisonWindow
			return target
		}
		// kubernetes.NewForConfig gives each API group its own limiter
		// when QPS is left unset, and one limiter to all when it is set:
		// then the TokenReview and the GET wait in the same queue.
		rate, callsPerLimiter := qps, 2
		if qps == 0 {
			rate, callsPerLimiter = rest.DefaultQPS, 1
		}
		target.bound = float64(rate) / float64(callsPerLimiter)
		cycle := time.Duration(float64(comparisonWorkers) / target.bound * float64(time.Second))
		cycles := math.Ceil(float64(rateBoundWindow) / float64(cycle))
		target.turns, target.warmup, target.window = 1, max(cycle, comparisonWarmup), time.Duration(cycles)*cycle
		return target
	}
	client := func() (kubernetes.Interface, *APICalls) {
		calls := NewAPICalls()
		cfg := w.cluster.Config(calls.Wrap)
		cfg.QPS, cfg.Burst = qps, burst
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client, calls
	}

	httpClient, httpCalls := client()
	srv := httptest.NewServer(newOriginalApp(httpClient))
	t.Cleanup(srv.Close)
	overHTTP = measure(&comparisonTarget{name: name, url: srv.URL + "/whoami", calls: httpCalls})

	inProcessClient, inProcessCalls := client()
	inProcess = measure(&comparisonTarget{name: name, handler: originalDesign(inProcessClient)(http.HandlerFunc(echoPrincipal)), calls: inProcessCalls})
	return overHTTP, inProcess
}

// tally is what the workers of one or more turns got.
type tally struct {
	counted  int           // right answers inside the window
	measured time.Duration // the window, as measured
	// failed counts the wrong or failed answers, wrong those naming
	// another principal; first holds the first few, for the log.
	failed, wrong int
	first         []error
}

const maxLoggedFailures = 5

func (t *tally) fail(err error) {
	t.failed++
	if errors.Is(err, errWrongPrincipal) {
		t.wrong++
	}
	if len(t.first) < maxLoggedFailures {
		t.first = append(t.first, err)
	}
}

func (t *tally) add(o tally) {
	t.counted += o.counted
	t.measured += o.measured
	t.failed += o.failed
	t.wrong += o.wrong
	t.first = append(t.first, o.first[:min(len(o.first), maxLoggedFailures-len(t.first))]...)
}

// workerCount is one worker's count of right answers, alone on its cache
// line so that workers on different cores do not slow each other down.
type workerCount struct {
	n atomic.Int64
	_ [56]byte
}

// drive runs comparisonWorkers workers for warmup plus window, each
// cycling through the keys from its own first one and asking ask who each
// acts for. It counts the right answers between a reading of every
// worker's count after warmup and another after window, over the time
// between the readings, and returns them with every wrong or failed
// answer. At the end it calls cancel, which must end ctx, the context of
// the asks, so that a rate-bound middleware's queue does not outlast the
// turn; asks cut so are neither counted nor judged.
func drive(ctx context.Context, cancel context.CancelFunc, keys int, warmup, window time.Duration, ask func(worker, key int) error) tally {
	var (
		// stop ends the workers' loops; checking it is cheaper than
		// checking ctx on every ask.
		stop   atomic.Bool
		counts = make([]workerCount, comparisonWorkers)
		mu     sync.Mutex
		result tally
		wg     sync.WaitGroup
	)
	for worker := range comparisonWorkers {
		wg.Go(func() {
			for i := worker; !stop.Load(); i += comparisonWorkers {
				err := ask(worker, i%keys)
				if stop.Load() {
					return // cut at the end of the turn
				}
				if err != nil {
					mu.Lock()
					result.fail(err)
					mu.Unlock()
					continue
				}
				counts[worker].n.Add(1)
			}
		})
	}
	read := func() (n int64, at time.Time) {
		for i := range counts {
			n += counts[i].n.Load()
		}
		return n, time.Now()
	}
	sleep(ctx, warmup)
	from, fromAt := read()
	sleep(ctx, window)
	until, untilAt := read()
	stop.Store(true)
	cancel()
	wg.Wait()
	result.counted, result.measured = int(until-from), untilAt.Sub(fromAt)
	return result
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
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
