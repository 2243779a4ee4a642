//go:build linux

package benchmarks_test

import (
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
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
//
// Three floor arms bound what any authenticator of the front-proxy request
// can reach, reported as floor/k8s (below 1 is cheaper than Kubernetes):
// floorstrip only parses the peer and deletes the identity headers,
// floorflat also keeps the user in one allocation of fixed shape, and
// flooruser keeps it as Kubernetes and authn.User do, groups in a slice and
// extra in a map. None checks a name. 1/floorstrip is the most any
// authenticator that strips can be faster than Kubernetes here.
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
		{"floorstrip", humanHeaders, floorStrip, 0},
		{"flooruser", humanHeaders, floorUser, 0},
		{"floorflat", humanHeaders, floorFlat, 0},
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
	for _, p := range paths[5:] {
		b.ReportMetric(perOp(p)/perOp(paths[0]), p.name+"/k8s")
	}
}

var floorSink struct {
	user   string
	groups []string
	extra  map[string][]string
	peer   netip.AddrPort
	flat   any
}

// floorStrip is what every authenticator of the front-proxy request must
// do and nothing more: parse the peer's address, walk the header map once
// and delete the identity headers, keeping the user's value. It checks no
// name, builds no user and allocates nothing.
func floorStrip(r *http.Request) error {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return err
	}
	floorSink.peer = peer
	for k, vs := range r.Header {
		if strings.HasPrefix(k, "X-Remote-") {
			if k == "X-Remote-User" {
				floorSink.user = vs[0]
			}
			delete(r.Header, k)
		}
	}
	return nil
}

// floorUser is floorStrip plus the user every map-based identity type
// (Kubernetes' user.Info, authn.User) must hold: the groups copied and an
// extra map with the one extra, lower-cased. Still no name is checked.
func floorUser(r *http.Request) error {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return err
	}
	floorSink.peer = peer
	var groups, extra []string
	var extraKey string
	for k, vs := range r.Header {
		switch {
		case k == "X-Remote-User":
			floorSink.user = vs[0]
		case k == "X-Remote-Group":
			groups = vs
		case strings.HasPrefix(k, "X-Remote-Extra-"):
			extraKey, extra = k[len("X-Remote-Extra-"):], vs
		default:
			continue
		}
		delete(r.Header, k)
	}
	floorSink.groups = slices.Clone(groups)
	floorSink.extra = map[string][]string{strings.ToLower(extraKey): slices.Clone(extra)}
	return nil
}

// floorFlat is floorUser with the user's groups and extra in one
// allocation of fixed shape instead of a slice and a map: the least a user
// value that holds what the request said can cost.
func floorFlat(r *http.Request) error {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return err
	}
	floorSink.peer = peer
	u := new(struct {
		name     string
		groups   [2]string
		extraKey string
		extra    [1]string
	})
	for k, vs := range r.Header {
		switch {
		case k == "X-Remote-User":
			u.name = vs[0]
		case k == "X-Remote-Group":
			copy(u.groups[:], vs)
		case strings.HasPrefix(k, "X-Remote-Extra-"):
			u.extraKey = k[len("X-Remote-Extra-"):]
			copy(u.extra[:], vs)
		default:
			continue
		}
		delete(r.Header, k)
	}
	floorSink.flat = u
	return nil
}
