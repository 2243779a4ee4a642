//go:build linux

package e2e

import (
	"net/http"

	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAPIServerOutage kills kube-apiserver under a running app, as a crash
// would, and starts it again. What the app should do, route by route:
//   - /jwt: the ServiceAccount cache answers from its last state for
//     maxStaleness after losing its watch, then requests made with keys
//     fail with 503 (never a weaker identity) until the informer is back;
//     the app itself is not restarted;
//   - /lastknown: an informer without a staleness bound serves its last
//     state for the whole outage (200), and token signatures are checked
//     with keys already fetched: keys keep working, including one deleted
//     meanwhile, which is the price of that configuration;
//   - /tokenreview: tokens the API server already vouched for are served
//     from the review cache; a token not yet reviewed fails with 503;
//   - humans, who need no cluster state, are unaffected on every route.
func TestAPIServerOutage(t *testing.T) {
	const outage = 10 * time.Second
	w := newWorld(t)
	_, token := w.createKey(t, "ambient-key-alice", "alice@example.com", nil)
	waitUntil(t, propagationBound, "the key", func() bool {
		return w.viaProxy(t, "jwt", withToken(token)).Status == http.StatusOK
	})
	for _, route := range []string{"lastknown", "tokenreview"} {
		if a := w.viaProxy(t, route, withToken(token)); a.Status != http.StatusOK {
			t.Fatalf("%s before the outage: %d %s", route, a.Status, a)
		}
	}
	unreviewed := w.token(t, "ambient-key-alice") // never shown to the app before the outage
	human := asUser("bob@example.com")
	frontClient := w.frontClient(t, w.frontProxyCA, "front-proxy-client")
	frontHuman := func(r *http.Request) { r.Header.Set("X-Remote-User", "bob@example.com") }

	killed := time.Now()
	w.cluster.KillAPIServer()
	stopped := time.Now()
	var a answer
	for {
		a = w.viaProxy(t, "jwt", withToken(token))
		if h := w.viaProxy(t, "jwt", human); h.Status != http.StatusOK {
			t.Fatalf("human during the outage: %d %s", h.Status, h)
		}
		if a.Status != http.StatusOK {
			break
		}
		if time.Since(stopped) > maxStaleness+propagationBound {
			t.Fatalf("keys still served %v after the API server stopped", time.Since(stopped))
		}
		time.Sleep(20 * time.Millisecond)
	}
	to503 := time.Since(killed)
	if a.Status != http.StatusServiceUnavailable || a.problemStrategy() != "annotation" || a.Header.Get("Retry-After") == "" {
		t.Fatalf("key during the outage: %d %s (Retry-After %q); want 503 from annotation with Retry-After", a.Status, a, a.Header.Get("Retry-After"))
	}
	if to503 < maxStaleness {
		t.Errorf("503 after %v, before the staleness bound %v", to503, maxStaleness)
	}

	for _, c := range []struct {
		name   string
		get    func() answer
		status int
	}{
		{"key on /jwt", func() answer { return w.viaProxy(t, "jwt", withToken(token)) }, http.StatusServiceUnavailable},
		{"key on /lastknown", func() answer { return w.viaProxy(t, "lastknown", withToken(token)) }, http.StatusOK},
		{"reviewed key on /tokenreview", func() answer { return w.viaProxy(t, "tokenreview", withToken(token)) }, http.StatusOK},
		{"unreviewed key on /tokenreview", func() answer { return w.viaProxy(t, "tokenreview", withToken(unreviewed)) }, http.StatusServiceUnavailable},
		{"human on /jwt", func() answer { return w.viaProxy(t, "jwt", human) }, http.StatusOK},
		{"human on /tokenreview", func() answer { return w.viaProxy(t, "tokenreview", human) }, http.StatusOK},
		{"human through the front proxy", func() answer { return w.call(t, frontClient, w.front.URL+"/front/whoami", frontHuman) }, http.StatusOK},
	} {
		if got := c.get(); got.Status != c.status {
			t.Errorf("%s during the outage: %d %s; want %d", c.name, got.Status, got, c.status)
		}
	}

	// Hold the outage long enough for the informers' retries to back off,
	// as in a real one; it must hold steady meanwhile.
	for time.Since(stopped) < outage {
		if got := w.viaProxy(t, "jwt", withToken(token)); got.Status != http.StatusServiceUnavailable {
			t.Fatalf("key on /jwt during the outage: %d %s; want 503", got.Status, got)
		}
		if got := w.viaProxy(t, "jwt", human); got.Status != http.StatusOK {
			t.Fatalf("human on /jwt during the outage: %d %s", got.Status, got)
		}
		time.Sleep(250 * time.Millisecond)
	}

	restarting := time.Now()
	w.cluster.StartAPIServer(t)
	ready := time.Now()
	waitUntil(t, time.Minute, "keys to work again", func() bool {
		return w.viaProxy(t, "jwt", withToken(token)).Status == http.StatusOK
	})
	recovered := time.Now()
	harness.Report.Addf(t, "API server killed; keys on /jwt got 503 %v later (staleness bound %v); "+
		"outage %v; API server ready %v after its restart began; keys worked again %v after it was ready (%v after the restart began), without restarting the app",
		to503.Round(time.Millisecond), maxStaleness,
		restarting.Sub(stopped).Round(time.Millisecond), ready.Sub(restarting).Round(time.Millisecond),
		recovered.Sub(ready).Round(time.Millisecond), recovered.Sub(restarting).Round(time.Millisecond))

	// A change made now shows how soon each cache watches again: the
	// bounded one reconnected by itself; the other waits out client-go's
	// backoff, serving its last state meanwhile.
	sa, err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Get(t.Context(), "ambient-key-alice", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetCreator(t.Context(), w.admin, sa, "carol@example.com", bindingKey); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	seen := map[string]time.Duration{}
	for len(seen) < 2 {
		for _, route := range []string{"jwt", "lastknown"} {
			if _, ok := seen[route]; ok {
				continue
			}
			if a := w.viaProxy(t, route, withToken(token)); a.Status == http.StatusOK && a.Principal.User.Name == "carol@example.com" {
				seen[route] = time.Since(changed)
			}
		}
		if time.Since(changed) > 2*time.Minute {
			t.Fatalf("change not seen after 2 minutes; seen by %v", seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
	harness.Report.Addf(t, "after the restart, a creator change was seen by /jwt after %v and by /lastknown (client-go backoff) after %v",
		seen["jwt"].Round(time.Millisecond), seen["lastknown"].Round(time.Millisecond))

	if a := w.viaProxy(t, "tokenreview", withToken(unreviewed)); a.Status != http.StatusOK {
		t.Errorf("unreviewed key on /tokenreview after the restart: %d %s", a.Status, a)
	}
}
