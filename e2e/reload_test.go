//go:build linux

package e2e

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnconfig/reload"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/authnmetrics"
	"github.com/authchain/authchain/chiadapter"
)

// reloadConfig is the app's configuration file: tokens of the cluster's
// issuer, verified with its discovered keys, and access keys bound to
// their creator. narrow confines keys to keyNamespace.
func reloadConfig(issuer string, narrow bool) string {
	s := `apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - jwt:
      issuer: ` + issuer + `
      discovery: {}
      audiences: [` + audience + `]
  - annotation:
      requireLabels: {` + AccessKeyLabel + `: ` + AccessKeyLabelValue + `}
      bindingKeyFiles: [binding.key]
`
	if narrow {
		s += "      requireNamespaces: [" + keyNamespace + "]\n"
	}
	return s
}

// TestReloadLosesNoRequest: an app whose chain comes from a configuration
// file under reload.Watch serves 1,000 requests or more, 50 at a time,
// with valid access-key tokens, while the file is replaced (rename onto
// it, as an editor or a ConfigMap update does) by one that also confines
// keys to their namespace, which every key of the load satisfies. Every
// response is 200, the reload is counted as a success, and the new
// configuration answers afterwards: a key of another namespace, accepted
// before, is refused.
func TestReloadLosesNoRequest(t *testing.T) {
	h := requireHarness(t)
	cluster := h.StartCluster(t)
	admin := cluster.AdminClient(t)
	ctx := t.Context()
	for _, ns := range []string{keyNamespace, "elsewhere"} {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := CreateAccessKey(ctx, admin, "elsewhere", "outsider", "bob@example.com", bindingKey, nil); err != nil {
		t.Fatal(err)
	}
	outsider, err := RequestToken(ctx, admin, "elsewhere", "outsider", audience)
	if err != nil {
		t.Fatal(err)
	}
	const keys = 5
	tokens := make([]string, keys)
	for i := range keys {
		name := fmt.Sprintf("reload-key-%d", i)
		if _, err := CreateAccessKey(ctx, admin, keyNamespace, name, "alice@example.com", bindingKey, nil); err != nil {
			t.Fatal(err)
		}
		token, err := RequestToken(ctx, admin, keyNamespace, name, audience)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = token
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "binding.key"), bindingKey, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "chain.yaml")
	if err := os.WriteFile(path, []byte(reloadConfig(cluster.URL, false)), 0o600); err != nil {
		t.Fatal(err)
	}
	appConfig := cluster.Config(nil)
	appConfig.QPS = 0
	appClient, err := kubernetes.NewForConfig(appConfig)
	if err != nil {
		t.Fatal(err)
	}
	keyClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: cluster.CA.Pool(), MinVersion: tls.VersionTLS12},
	}}
	reg := prometheus.NewRegistry()
	metrics, err := authnmetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a, err := reload.Watch(ctx, path, authnconfig.Deps{Kubernetes: appClient, HTTPClient: keyClient},
		reload.WithObserver(metrics), reload.WithLogger(slog.Default()), reload.WithDebounce(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	h.Report.Addf(t, "first configuration built and synced in %v", time.Since(start).Round(time.Millisecond))
	logged, err := authnlog.Wrap(a, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Route("/reload", func(r chi.Router) {
		r.Use(chiadapter.Authenticate(logged))
		r.Get("/whoami", whoami)
	})
	app := httptest.NewServer(r)
	t.Cleanup(app.Close)
	w := &world{http: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 50}}}
	t.Cleanup(w.http.CloseIdleConnections)

	oldHash := a.Hash()
	if got := w.call(t, w.http, app.URL+"/reload/whoami", withToken(tokens[0])); got.Status != http.StatusOK || got.Principal.User.Name != "alice@example.com" {
		t.Fatalf("before the reload: %v; want alice", got)
	}
	if got := w.call(t, w.http, app.URL+"/reload/whoami", withToken(outsider)); got.Status != http.StatusOK || got.Principal.User.Name != "bob@example.com" {
		t.Fatalf("before the reload, a key of another namespace: %v; want bob", got)
	}

	const (
		total   = 1000
		workers = 50
		// after the swap, at least this many requests still run.
		afterSwap = 200
	)
	var (
		sent, failed atomic.Int64
		swappedAt    atomic.Int64 // requests sent when the swap was seen; 0 before
		firstFailure sync.Once
		failure      string
		wg           sync.WaitGroup
		swapTook     time.Duration
	)
	next := func() bool {
		n := sent.Add(1)
		s := swappedAt.Load()
		return n <= total || s == 0 || n <= s+afterSwap
	}
	loadStart := time.Now()
	for range workers {
		wg.Go(func() {
			for i := 0; next(); i++ {
				status, body := get(w.http, app.URL+"/reload/whoami", tokens[i%keys])
				if status != http.StatusOK {
					failed.Add(1)
					firstFailure.Do(func() { failure = fmt.Sprintf("%d %s", status, body) })
				}
			}
		})
	}
	// Replace the file once the load runs, as an editor would: write
	// beside it, rename onto it.
	waitUntil(t, time.Minute, "the load to start", func() bool { return sent.Load() >= total/5 })
	tmp := filepath.Join(dir, ".chain.yaml.new")
	if err := os.WriteFile(tmp, []byte(reloadConfig(cluster.URL, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	swapTook = waitUntil(t, time.Minute, "the reload", func() bool { return a.Hash() != oldHash })
	swappedAt.Store(sent.Load())
	wg.Wait()
	loadTook := time.Since(loadStart)

	// sent counts one refused ticket per worker past the end.
	done := sent.Load() - workers
	h.Report.Addf(t, "%d requests (%d workers) in %v; file replaced after %d, new chain in effect %v later (debounce 100ms, build, cache and key sync) after %d; %d non-2xx",
		done, workers, loadTook.Round(time.Millisecond), total/5, swapTook.Round(time.Millisecond), swappedAt.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d of %d responses were not 200; first: %s", failed.Load(), done, failure)
	}
	if done < total {
		t.Fatalf("%d requests; want %d or more", done, total)
	}
	newHash := a.Hash()
	if want := hashOf(t, path); newHash != want {
		t.Fatalf("hash in effect %s; want the new file's %s", newHash, want)
	}
	if got := w.call(t, w.http, app.URL+"/reload/whoami", withToken(outsider)); got.Status != http.StatusUnauthorized {
		t.Fatalf("after the reload, a key of another namespace: %v; want 401", got)
	}
	wantMetric(t, reg, "authchain_config_reloads_total", map[string]string{"result": "success"}, 1)
	wantMetric(t, reg, "authchain_config_reloads_total", map[string]string{"result": "failure"}, 0)
	wantMetric(t, reg, "authchain_config_info", map[string]string{"hash": newHash}, 1)
	wantMetric(t, reg, "authchain_config_info", map[string]string{"hash": oldHash}, 0)
}

// wantMetric fails t unless the sample of name with labels has value; a
// missing sample counts as 0.
func wantMetric(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string, want float64) {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				got += m.Counter.GetValue()
			case m.Gauge != nil:
				got += m.Gauge.GetValue()
			}
		}
	}
	if got != want {
		t.Errorf("%s%v = %v; want %v", name, labels, got, want)
	}
}

// get calls url with token from a worker goroutine, where t.Fatal may not
// be called: a transport error is status 0 with the error as body.
func get(client *http.Client, url, token string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(body)
}

// hashOf is the hash reload.Authenticator.Hash reports for the file at
// path: the first 16 hex digits of its SHA-256.
func hashOf(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}
