// Package e2e is authchain's real-cluster test tier. It builds etcd,
// kube-apiserver, oauth2-proxy and an OpenID provider from source (the tool
// modules in e2e/tools, cached under .cache/bin), runs them on loopback with
// certificates and ports chosen at run time, mounts the library in a chi
// server upstream of oauth2-proxy, and checks what a request acts for
// against a real API server.
//
// TestIncident follows an access key's request through oauth2-proxy to a
// backend, which passes the Principal on to a runner as a signed assertion;
// the runner reads the human's credentials from the API server by
// impersonation. TestImpersonationSelfSubjectReview checks, with a
// SelfSubjectReview, whom the API server takes an impersonate.For client
// for, and the RBAC that impersonation needs. TestOriginalDesignComparison
// serves the same access-key requests from authchain's chain and from the
// per-request design it replaces (a TokenReview and a ServiceAccount GET
// per request) under client-go rate limits, and reports their throughputs
// and ratios.
//
// `go test ./...` runs it; `go test -short ./...` skips it. It needs Linux
// (process groups and parent-death signals keep processes from outliving
// the test binary), the Go toolchain and access to the Go module proxy for
// the first build. AUTHCHAIN_E2E_SCALE sets how many ServiceAccounts the
// informer memory test creates.
package e2e
