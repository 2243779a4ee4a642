package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
	"github.com/authchain/authchain/internal/setup"
	"github.com/authchain/authchain/kubecache"
)

// The two servers the run compares. They differ only in the middleware:
// the same router, the same handler, the same listener settings.
const (
	modeAuth = "auth"
	modeNone = "none"
)

// serve is the child process: it listens on a loopback port, prints
// "addr HOST:PORT" on stdout, then answers each "rusage" line on stdin with
// "rusage UTIME_US STIME_US", its own CPU time so far. It exits when stdin
// closes.
func serve(mode string, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handler, stop, err := newServer(ctx, mode)
	if err != nil {
		return err
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(stdout, "addr %s\n", ln.Addr())

	lines := bufio.NewScanner(stdin)
	for lines.Scan() {
		if lines.Text() != "rusage" {
			return fmt.Errorf("unknown command %q", lines.Text())
		}
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rusage %d %d\n", ru.Utime.Nano()/1e3, ru.Stime.Nano()/1e3)
	}
	return lines.Err()
}

// newServer builds the router of mode: the full chain in front of the
// handler, or the handler alone.
func newServer(ctx context.Context, mode string) (http.Handler, func(), error) {
	r := chi.NewRouter()
	stop := func() {}
	switch mode {
	case modeNone:
	case modeAuth:
		chain, cache, err := newChain(ctx)
		if err != nil {
			return nil, nil, err
		}
		stop = cache.Shutdown
		r.Use(chiadapter.Authenticate(chain))
	default:
		return nil, nil, fmt.Errorf("unknown mode %q", mode)
	}
	r.Get("/whoami", echoPrincipal)
	return r, stop, nil
}

// newChain is whoami's demo chain: forwarded headers from a loopback proxy,
// ServiceAccount tokens of the bench issuer verified locally, the subject
// rule, the creator-annotation look-up and the synthetic fallback, over an
// in-memory cluster.
func newChain(ctx context.Context) (*authn.Chain, *kubecache.Cache, error) {
	iss, err := newIssuer()
	if err != nil {
		return nil, nil, err
	}
	cache, err := setup.FakeCache(ctx, strings.NewReader(benchCluster))
	if err != nil {
		return nil, nil, err
	}
	chain, err := setup.Config{
		TrustCIDRs:    []string{"127.0.0.0/8"},
		RequireLabels: map[string]string{"app": "ambient-access-key"},
		Issuer:        issuerURL,
		Keys:          iss.keys,
		Audiences:     []string{audience},
	}.Chain(cache)
	if err != nil {
		return nil, nil, err
	}
	return chain, cache, nil
}

// echoPrincipal writes the Principal's user and actor, the body the load
// generator checks. Without authentication both lines are empty.
func echoPrincipal(w http.ResponseWriter, r *http.Request) {
	p, _ := authn.FromContext(r.Context())
	actor := ""
	if p.Actor != nil {
		actor = p.Actor.Namespace + "/" + p.Actor.Name
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "user=%s\nactor=%s\nsynthetic=%t\n", p.User.Name, actor, p.Synthetic)
}

func serveMain(mode string) {
	if err := serve(mode, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "e2ebench server:", err)
		os.Exit(1)
	}
}
