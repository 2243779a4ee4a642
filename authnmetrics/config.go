package authnmetrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// The result label of authchain_config_reloads_total.
const (
	ReloadSuccess = "success"
	ReloadFailure = "failure"
)

// configInfo is authchain_config_info: one series, the hash in effect.
type configInfo struct {
	mu    sync.Mutex
	gauge *prometheus.GaugeVec
}

func newConfigInfo() *configInfo {
	return &configInfo{gauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "authchain_config_info",
		Help: "The configuration in effect, as the first 16 hex digits of the SHA-256 of its file; always 1.",
	}, []string{"hash"})}
}

// ConfigApplied sets authchain_config_info{hash} to 1 for hash alone: the
// configuration now in effect. With ConfigReloaded it makes m a
// reload.Observer.
func (m *Metrics) ConfigApplied(hash string) {
	c := m.configInfo
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gauge.Reset()
	c.gauge.WithLabelValues(hash).Set(1)
}

// ConfigReloaded counts a reload of the configuration file in
// authchain_config_reloads_total: result "success" when err is nil, else
// "failure". The error itself is never a label.
func (m *Metrics) ConfigReloaded(err error) {
	result := ReloadSuccess
	if err != nil {
		result = ReloadFailure
	}
	m.configReloads.WithLabelValues(result).Inc()
}
