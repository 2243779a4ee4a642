//go:build linux

package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestSteadyStateAPICalls counts what 1,000 requests through oauth2-proxy
// cost the API server. Everything the app reads of the cluster comes from
// informers and the key set fetched at start, so: no GET, LIST or new
// WATCH, no key fetch, and at most one TokenReview per token (the review
// cache answers the rest).
func TestSteadyStateAPICalls(t *testing.T) {
	w := newWorld(t)
	const keys, requests, workers = 10, 1000, 8
	tokens := make([]string, keys)
	for i := range tokens {
		_, tokens[i] = w.createKey(t, fmt.Sprintf("ambient-key-%d", i), fmt.Sprintf("user%d@example.com", i), nil)
	}
	waitUntil(t, propagationBound, "every key", func() bool {
		return w.fresh.Len() == keys && w.last.Len() == keys
	})
	atStart := w.calls.Snapshot()

	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				// Round i/keys uses every key once: on /jwt, on
				// /tokenreview, or (one round in ten) as a human instead.
				key, round := i%keys, i/keys
				route, edit, want := "jwt", withToken(tokens[key]), fmt.Sprintf("user%d@example.com", key)
				switch {
				case round%10 == 9:
					edit, want = asUser("alice@example.com"), "alice@example.com"
				case round%2 == 1:
					route = "tokenreview"
				}
				if a := w.viaProxy(t, route, edit); a.Status != http.StatusOK || a.Principal.User.Name != want {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("request %d on %s: %d %s", i, route, a.Status, a))
					mu.Unlock()
				}
			}
		})
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	for _, f := range failed[:min(len(failed), 5)] {
		t.Error(f)
	}

	during := w.calls.Snapshot().Sub(atStart)
	harness.Report.Addf(t, "API calls while starting (informers, keys): %v; during %d requests (%d keys, jwt and tokenreview routes, humans) in %v: %v",
		atStart, requests, keys, elapsed.Round(time.Millisecond), during)
	for _, kind := range []string{CallGet, CallList, CallWatch, CallKeys} {
		if during[kind] != 0 {
			t.Errorf("%d %s calls during the run; want 0", during[kind], kind)
		}
	}
	if during[CallTokenReview] == 0 || during[CallTokenReview] > keys {
		t.Errorf("%d TokenReviews for %d tokens; want at most one per token, and some", during[CallTokenReview], keys)
	}
	if len(during) > 1 {
		t.Errorf("calls other than TokenReviews during the run: %v", during)
	}
}
