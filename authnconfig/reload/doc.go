// Package reload serves the chain of an authnconfig file and rebuilds it
// when the file changes:
//
//	a, err := reload.Watch(ctx, "/etc/authchain/chain.yaml", authnconfig.Deps{Kubernetes: clientset})
//	...
//	defer a.Stop()
//	r.Use(chiadapter.Authenticate(a))
//
// The file's directory is watched, so that an editor's write-and-rename and
// a Kubernetes ConfigMap's swap of its ..data link are seen as well as a
// write in place. Changes are debounced; a new configuration is loaded,
// validated and built whole, and put in effect only once its caches and key
// sets have synced. Requests that started on the old chain finish on it;
// new requests take the new one. An invalid configuration, or one that
// does not sync in time, leaves the old chain in effect and is reported
// with every error and its field path, to the logger and the observers.
//
// Each configuration is identified by the first 16 hex digits of the
// SHA-256 of the file's bytes (sha256sum FILE | cut -c1-16). An Observer
// (authnmetrics.Metrics is one) counts reloads by result and exports the
// hash in effect.
//
// This package is apart from authnconfig so that a program that only loads
// a file once does not link the file watcher.
package reload
