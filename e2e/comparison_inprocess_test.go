//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// inProcessChains returns chains configured as the app's /jwt and
// /tokenreview routes, over the same caches, for TestOriginalDesignComparison
// to call in process. The TokenReview chain has a client of its own with
// client-go's default rate limits, as the app's, whose calls are counted
// with the app's.
func (w *world) inProcessChains(t *testing.T) (jwt, review *authn.Chain) {
	t.Helper()
	cfg := w.cluster.Config(w.calls.Wrap)
	cfg.QPS = 0
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reviewConfig := w.jwtConfig
	reviewConfig.Issuer, reviewConfig.Keys = "", nil
	reviewConfig.TokenReviews = client.AuthenticationV1().TokenReviews()
	return chain(t, w.jwtConfig, w.fresh), chain(t, reviewConfig, w.last)
}

// authchainMiddleware is chain mounted with chiadapter.Authenticate in
// front of echoPrincipal, as the app mounts it, without the decision log.
func authchainMiddleware(chain *authn.Chain) http.Handler {
	return chiadapter.Authenticate(chain)(http.HandlerFunc(echoPrincipal))
}

// echoPrincipal is the trivial handler behind both middlewares in
// process: it writes the request's Principal as "creator namespace/key",
// which the worker compares, or answers 500 without an acting key.
func echoPrincipal(w http.ResponseWriter, r *http.Request) {
	p, ok := authn.FromContext(r.Context())
	if !ok || p.Actor == nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for _, s := range [...]string{p.User.Name, " ", p.Actor.Namespace, "/", p.Actor.Name} {
		_, _ = io.WriteString(w, s)
	}
}

// answerRecorder is a ResponseWriter a worker reuses for every call: it
// keeps the status and the body, and its WriteString spares the handler
// a conversion.
type answerRecorder struct {
	header http.Header
	status int
	body   []byte
}

func (a *answerRecorder) Header() http.Header { return a.header }

func (a *answerRecorder) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	a.body = append(a.body, b...)
	return len(b), nil
}

func (a *answerRecorder) WriteString(s string) (int, error) {
	a.WriteHeader(http.StatusOK)
	a.body = append(a.body, s...)
	return len(s), nil
}

func (a *answerRecorder) reset() {
	clear(a.header)
	a.status, a.body = 0, a.body[:0]
}

// inProcessAsker returns how a worker asks handler, in process, who a key
// acts for during one turn, with ctx as the requests' context. Every call gets a new
// request, copied from one made for the key, with a new header holding
// only the key's token, as a client sends it: the middlewares strip it.
// The ask returns an error unless the answer is 200 with the key's creator
// acting through the key; the error never holds the token.
func inProcessAsker(ctx context.Context, handler http.Handler, keys []comparisonKey) (ask func(worker, key int) error, done func()) {
	type prepared struct {
		request       *http.Request
		bearer, want  string
		name, creator string
	}
	requests := make([]prepared, len(keys))
	for i, k := range keys {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://authchain.test/whoami", nil)
		if err != nil {
			panic(err) // a constant, valid URL
		}
		r.RemoteAddr = "127.0.0.1:40000" // a loopback peer, as over HTTP
		requests[i] = prepared{request: r, bearer: "Bearer " + k.token, want: k.creator + " " + keyNamespace + "/" + k.name, name: k.name, creator: k.creator}
	}
	recorders := make([]answerRecorder, comparisonWorkers)
	for i := range recorders {
		recorders[i].header = http.Header{}
	}
	return func(worker, key int) error {
		p, rec := &requests[key], &recorders[worker]
		r := new(http.Request)
		*r = *p.request
		r.Header = http.Header{"Authorization": {p.bearer}}
		rec.reset()
		handler.ServeHTTP(rec, r)
		switch {
		case rec.status != http.StatusOK:
			return fmt.Errorf("in process as %s: %d %.200s", p.name, rec.status, rec.body)
		case string(rec.body) != p.want:
			return fmt.Errorf("in process as %s: %w %.200s, want %s through %s", p.name, errWrongPrincipal, rec.body, p.creator, p.name)
		}
		return nil
	}, func() {}
}
