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
// on loopback, and the first comparisonWarmup of each turn (new connections,
// a rate limiter's stored burst) is not counted.
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
	// window is how long a turn is counted; rate-bound servers answer a
	// few requests a second and need longer turns for a stable figure.
	window time.Duration
	// calls counts the API calls of an original-design server.
	calls *APICalls

	counted  int           // answers inside the windows
	measured time.Duration // sum of the windows
	answered int           // every 200 answer, warm-up included
}

func (c *comparisonTarget) throughput() float64 {
	return float64(c.counted) / c.measured.Seconds()
}

// TestOriginalDesignComparison serves the same requests (access keys'
// tokens, each key annotated with its creator) from authchain's standard
// chain, on its /jwt and /tokenreview routes, and from the original
// per-request design (a TokenReview and a ServiceAccount GET per request,
// see originalDesign) with three client-side rate limits: QPS 100 with
// client-go's default burst of 10 (the platform's QPS; its burst is not
// known here, and once the burst is spent it does not change the rate),
// client-go's defaults (QPS 5, burst 10), and no limit. The servers take
// turns, comparisonRounds times, under the same load. The test asserts
// that every answer names the key's creator and the key, and that
// authchain makes no API call at steady state; the throughputs and their
// ratios go to the report, with no threshold.
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

	targets := []*comparisonTarget{
		{name: "authchain jwt", url: w.app.URL + "/jwt/whoami", window: time.Second},
		{name: "authchain tokenreview", url: w.app.URL + "/tokenreview/whoami", window: time.Second},
		w.originalServer(t, "original, limits off", -1, 0, 1500*time.Millisecond),
		w.originalServer(t, "original, QPS 100 burst 10", 100, 10, 2*time.Second),
		// Zero QPS and burst are client-go's defaults, rest.DefaultQPS and
		// rest.DefaultBurst.
		w.originalServer(t, fmt.Sprintf("original, client-go default QPS %g burst %d", rest.DefaultQPS, rest.DefaultBurst), 0, 0, 3*time.Second),
	}
	authchain, original := targets[:2], targets[2:]

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
	for range comparisonRounds {
		for _, target := range targets {
			counted, answered, failures := drive(t.Context(), target.url, keys, target.window)
			target.counted += counted
			target.answered += answered
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

	harness.Report.Addf(t, "%d workers on loopback, %d keys, %d interleaved rounds, first %v of each turn not counted; %d wrong principals, %d other failed answers",
		comparisonWorkers, comparisonKeys, comparisonRounds, comparisonWarmup, wrong, len(failed)-wrong)
	for _, target := range authchain {
		harness.Report.Addf(t, "%s: %.0f req/s (%d answers in %v); API calls at steady state (both routes): %v",
			target.name, target.throughput(), target.counted, target.measured, during)
	}
	for _, target := range original {
		calls := target.calls.Snapshot()
		harness.Report.Addf(t, "%s: %.1f req/s (%d answers in %v); API calls per answer: %.2f (%v for %d answers)",
			target.name, target.throughput(), target.counted, target.measured,
			float64(calls[CallTokenReview]+calls[CallGet])/float64(max(target.answered, 1)), calls, target.answered)
	}
	for _, a := range authchain {
		for _, o := range original {
			harness.Report.Addf(t, "%s vs %s: %.0f×", a.name, o.name, a.throughput()/o.throughput())
		}
	}
}

// originalServer serves originalDesign with a client of the cluster whose
// rate limit is qps and burst (rest.Config's meanings: 0 is client-go's
// default, a negative QPS turns the limit off), counting its API calls.
func (w *world) originalServer(t *testing.T, name string, qps float32, burst int, window time.Duration) *comparisonTarget {
	t.Helper()
	target := &comparisonTarget{name: name, window: window, calls: NewAPICalls()}
	cfg := w.cluster.Config(target.calls.Wrap)
	cfg.QPS, cfg.Burst = qps, burst
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newOriginalApp(client))
	t.Cleanup(srv.Close)
	target.url = srv.URL + "/whoami"
	return target
}

// drive sends comparisonWorkers workers' requests to url for
// comparisonWarmup plus window, each worker cycling through the keys, and
// returns how many answers arrived inside the window, how many right
// answers there were in all, and an error for each wrong or failed one. Requests
// still open at the end are cancelled, so that a rate-bound server's queue
// does not outlast the turn; they are neither counted nor judged.
func drive(ctx context.Context, url string, keys []comparisonKey, window time.Duration) (counted, answered int, failures []error) {
	start := time.Now()
	from, until := start.Add(comparisonWarmup), start.Add(comparisonWarmup+window)
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	transport := &http.Transport{MaxIdleConnsPerHost: comparisonWorkers}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	var (
		inWindow, all atomic.Int64
		mu            sync.Mutex
		wg            sync.WaitGroup
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
				all.Add(1)
				if now := time.Now(); now.After(from) && now.Before(until) {
					inWindow.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(inWindow.Load()), int(all.Load()), failures
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
