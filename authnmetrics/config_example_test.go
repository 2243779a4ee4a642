package authnmetrics_test

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authchain/authchain/authnmetrics"
)

// Metrics is a reload.Observer: hand it to reload.WithObserver. The info
// metric shows only the configuration in effect; a failed reload counts
// without changing it.
func ExampleMetrics_ConfigReloaded() {
	reg := prometheus.NewRegistry()
	m, err := authnmetrics.New(reg)
	if err != nil {
		panic(err)
	}
	m.ConfigApplied("981fff5d6ecbf2ab") // the first file
	m.ConfigApplied("5be0c43a11d2e7f0") // a reload
	m.ConfigReloaded(nil)
	m.ConfigReloaded(errors.New("spec.strategies[0].jwt.audiences: Required value"))
	printMetrics(reg, "authchain_config_")
	// Output:
	// authchain_config_info{hash="5be0c43a11d2e7f0"} 1
	// authchain_config_reloads_total{result="failure"} 1
	// authchain_config_reloads_total{result="success"} 1
}
