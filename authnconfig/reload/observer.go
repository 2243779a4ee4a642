package reload

// Observer is told what the reloads do. *authnmetrics.Metrics implements
// it: authchain_config_reloads_total{result} and authchain_config_info{hash}.
// Its methods are called from one goroutine at a time and must not block.
type Observer interface {
	// ConfigApplied is called with the hash of each configuration put in
	// effect, the first one included.
	ConfigApplied(hash string)
	// ConfigReloaded is called after each attempt to reload: err is nil
	// when the new configuration is in effect, else the reason it is not
	// (an *authnconfig.Error when the file is invalid).
	ConfigReloaded(err error)
}
