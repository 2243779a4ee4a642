package authchain_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/chiadapter"
)

// TestTokenReviewClientErrorKeepsTokenOutOfLogs: a gateway in front of the
// API server answers the TokenReview with 502 and an error page that quotes
// the request it could not pass on, token included. client-go puts that
// page into its error's message. The request must fail with 503, and the
// token must appear nowhere a client or a log can read: not in the
// response's problem body, not in the chain's Error() (what an observer
// logs), its Reason or Detail, nor in the trace.
func TestTokenReviewClientErrorKeepsTokenOutOfLogs(t *testing.T) {
	var quoted atomic.Bool
	token := junkJWT(t, 0)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		quoted.Store(strings.Contains(string(body), token))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write(append([]byte("upstream refused request: "), body...))
	}))
	defer gateway.Close()
	clientset, err := kubernetes.NewForConfig(&rest.Config{Host: gateway.URL})
	if err != nil {
		t.Fatal(err)
	}
	sas, _ := authntest.Cluster(t, []byte(floodCluster))
	chain, _ := buildGolden(t, []byte(tokenChainConfig), nil, authnconfig.Deps{ServiceAccounts: sas, Kubernetes: clientset})
	var (
		chainErr error
		trace    authn.Trace
	)
	handler := chiadapter.Authenticate(chain, chiadapter.WithObserver(
		func(_ *http.Request, _ authn.Principal, tr authn.Trace, err error) { trace, chainErr = tr, err },
	))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, r)

	if !quoted.Load() {
		t.Fatal("the gateway never saw the token: the test proves nothing")
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
	var ae *authn.Error
	if !errors.As(chainErr, &ae) || ae.Cause == nil {
		t.Fatalf("chain error %v, want an *authn.Error with a cause", chainErr)
	}
	if want := "HTTP 502"; !strings.Contains(ae.Error(), want) {
		t.Errorf("Error() = %q, want it to keep %q", ae.Error(), want)
	}
	texts := map[string]string{
		"problem body": rec.Body.String(),
		"Error()":      ae.Error(),
		"Reason":       ae.Reason,
		"Detail":       ae.Detail,
	}
	for _, e := range trace {
		texts["trace "+e.Strategy] = e.Reason + " " + e.Detail
	}
	// The token's first and last characters: its header, and its signature.
	for what, text := range texts {
		for _, part := range []string{token[:20], token[len(token)-25:]} {
			if strings.Contains(text, part) {
				t.Errorf("%s carries the token: %q", what, text)
			}
		}
	}
}
