//go:build linux

package benchmarks_test

import (
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/request/union"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/setup"
)

// threadCPU returns the CPU time the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID), which time spent waiting for a busy machine's
// cores does not inflate.
func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// BenchmarkSideBySideHeaderPathsCPU times the header paths in turns of 256
// requests on one locked thread and reports each path's thread CPU time per
// request, and Kubernetes' front-proxy figure over each authchain figure
// ("k8s/…", above 1 when authchain is faster). On a shared machine the wall
// time of separate benchmarks swings by half between runs; CPU time taken
// in alternating turns does not, so these ratios are the ones to quote.
// Background GC work runs on other threads and is left out on both sides.
func BenchmarkSideBySideHeaderPathsCPU(b *testing.B) {
	k8s, err := headerrequest.New([]string{"X-Remote-User"}, nil, []string{"X-Remote-Group"}, []string{"X-Remote-Extra-"})
	if err != nil {
		b.Fatal(err)
	}
	kube := union.New(k8s)
	frontProxy, err := setup.Config{
		Headers:       "front-proxy",
		TrustCIDRs:    []string{"10.0.0.0/8"},
		RequireLabels: map[string]string{"app": "ambient-access-key"},
	}.Chain(benchCache(b))
	if err != nil {
		b.Fatal(err)
	}
	oauth2Proxy := oauth2ProxyChain(b)

	chain := func(c *authn.Chain) func(*http.Request) error {
		return func(r *http.Request) error { _, _, err := c.Authenticate(r); return err }
	}
	type path struct {
		name         string
		headers      http.Header
		authenticate func(*http.Request) error
		cpu          time.Duration
	}
	paths := []*path{
		{"k8s", humanHeaders, func(r *http.Request) error { _, _, err := kube.AuthenticateRequest(r); return err }, 0},
		{"fullchain", humanHeaders, chain(frontProxy), 0},
		{"oauth2proxy", oauth2ProxyHuman, chain(oauth2Proxy), 0},
		{"accesskey", oauth2ProxyAccessKey, chain(oauth2Proxy), 0},
		{"harness", humanHeaders, func(r *http.Request) error { clear(r.Header); return nil }, 0},
	}
	r := newRequest()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const turn = 256
	turns := 0
	b.ResetTimer()
	for turns*turn < b.N {
		for _, p := range paths {
			start := threadCPU()
			for range turn {
				restoreHeaders(r, p.headers)
				if err := p.authenticate(r); err != nil {
					b.Fatalf("%s: %v", p.name, err)
				}
			}
			p.cpu += threadCPU() - start
		}
		turns++
	}
	n := float64(turns * turn)
	perOp := func(p *path) float64 { return float64(p.cpu.Nanoseconds()) / n }
	for _, p := range paths {
		b.ReportMetric(perOp(p), p.name+"-cpu-ns/op")
	}
	for _, p := range paths[1:4] {
		b.ReportMetric(perOp(paths[0])/perOp(p), "k8s/"+p.name)
	}
	b.ReportMetric(perOp(paths[3])/perOp(paths[2]), "accesskey/oauth2proxy")
}
