package authnmetrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/authchain/authchain/authnmetrics"
)

// newMetrics returns Metrics registered with a registry of their own.
func newMetrics(t testing.TB) (*authnmetrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// series returns the value of name{labels} in g: a counter's or gauge's
// value, or a histogram's sample count. labels is "k=v,k=v" ("" for a
// series without labels); ok is false if there is no such series.
func series(t testing.TB, g prometheus.Gatherer, name, labels string) (v float64, ok bool) {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelString(m) != labels {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// want fails t unless name{labels} is v.
func want(t testing.TB, g prometheus.Gatherer, name, labels string, v float64) {
	t.Helper()
	got, ok := series(t, g, name, labels)
	switch {
	case !ok:
		t.Errorf("%s{%s}: no such series", name, labels)
	case got != v:
		t.Errorf("%s{%s} = %v, want %v", name, labels, got, v)
	}
}

// labelString writes m's labels as "k=v,k=v", in the registry's order
// (sorted by name).
func labelString(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

// scrape returns what GET /metrics answers for g, in the text format.
func scrape(t testing.TB, g prometheus.Gatherer) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
