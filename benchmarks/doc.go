// Package benchmarks compares authchain with the Kubernetes request-header
// (front-proxy) authenticator of k8s.io/apiserver, the code authchain's
// forwarded strategy is modelled on, on the same request and the same
// machine, so that the price of authchain's extra checks (duplicate and
// non-canonical headers, value validation, peer trust, the rest of the
// chain) is a measured number rather than a guess.
//
// It is a module of its own so that k8s.io/apiserver never enters the main
// module's go.mod; `go test ./...` at the root skips it, and CI does not run
// it. It holds no code, only benchmarks, each file a comparison whose
// benchmarks one run times side by side: headerrequest_test.go, the
// forwarded strategy and chain against Kubernetes' request-header
// authenticator (every benchmark restores the stripped identity headers the
// same way each iteration; BenchmarkHarnessRestore is that cost alone); and
// tokenreview_test.go, a TokenReview cache hit against Kubernetes'
// cached token authenticator.
//
// Run, from this directory:
//
//	go test -run '^$' -bench . -count 10 | tee /tmp/new.txt
//	benchstat /tmp/new.txt
//
// (go install golang.org/x/perf/cmd/benchstat@latest for benchstat.)
package benchmarks
