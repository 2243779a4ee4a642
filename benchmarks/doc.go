// Package benchmarks compares authchain with the Kubernetes request-header
// (front-proxy) authenticator of k8s.io/apiserver, the code authchain's
// forwarded strategy is modelled on, on the same request and the same
// machine, so that the price of authchain's extra checks (duplicate and
// non-canonical headers, value validation, peer trust, the rest of the
// chain) is a measured number rather than a guess.
//
// It is a module of its own so that k8s.io/apiserver and the load
// generator never enter the main module's go.mod; `go test ./...` at the
// root skips it. CI runs each of its benchmarks once, so that none rots,
// and judges no timing. Each file is a comparison whose benchmarks one run
// times side by side: headerrequest_test.go, the forwarded strategy and
// chain against Kubernetes' request-header authenticator (every benchmark
// restores the stripped identity headers the same way each iteration;
// BenchmarkHarnessRestore is that cost alone); tokenreview_test.go, a
// TokenReview cache hit against Kubernetes' cached token authenticator;
// proxypaths_test.go, the full chain on oauth2-proxy's headers and on an
// access key; sidebyside_linux_test.go, the header paths timed in turns on
// one locked thread by thread CPU time, whose ratios hold on a loaded
// machine where wall-clock figures swing; and scale_test.go, the heap per cached ServiceAccount, the time to sync
// and the chain's latency as the cache grows. Command e2ebench compares
// whole requests, with and without authentication, by the server's CPU
// time; command benchtable turns results into the tables of BENCHMARKS.md.
//
// Run, from the repository root, for the ratio tables (six interleaved
// rounds; benchstat is installed into .cache/tools):
//
//	benchmarks/run.sh
//
// and from this directory:
//
//	go run ./cmd/e2ebench
//	go test -run '^$' -bench 'CacheFill' -benchtime 1x -count 6
//	go test -run '^$' -bench 'ChainCachedKeys' -count 6
package benchmarks
