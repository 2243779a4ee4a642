package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestRequestSet sends every case once to both servers, in process, and
// checks the answers as a run does: the expectations of the request set
// hold, and a wrong answer is caught.
func TestRequestSet(t *testing.T) {
	cases, err := requestCases()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{modeAuth, modeNone} {
		ctx, cancel := context.WithCancel(context.Background())
		handler, stop, err := newServer(ctx, mode)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		srv := httptest.NewServer(handler)
		for _, target := range targets(srv.URL, cases) {
			i, ok := caseOf(target.URL)
			if !ok {
				t.Fatalf("no case in %s", target.URL)
			}
			res := send(t, target)
			if why := wrong(mode, cases[i], res); why != "" {
				t.Errorf("%s server, case %q: %s", mode, cases[i].name, why)
			}
			if mode == modeAuth && res.Code == 200 {
				// Another case's identity is a wrong answer.
				other := cases[(i+2)%len(cases)]
				if other.body != cases[i].body && other.status == 200 && wrong(mode, other, res) == "" {
					t.Errorf("case %q's answer passes as case %q's", cases[i].name, other.name)
				}
			}
		}
		srv.Close()
		cancel()
		stop()
	}
}

func send(t *testing.T, target vegeta.Target) *vegeta.Result {
	t.Helper()
	req, err := http.NewRequest(target.Method, target.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = target.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &vegeta.Result{Code: uint16(resp.StatusCode), Body: body, URL: target.URL}
}

func TestWrongCatchesTransportErrors(t *testing.T) {
	c := requestCase{status: 200, body: principalBody("alice", "", false)}
	if wrong(modeAuth, c, &vegeta.Result{Error: "connection refused"}) == "" {
		t.Error("a result without a status passed")
	}
	if wrong(modeAuth, c, &vegeta.Result{Code: 401}) == "" {
		t.Error("a 401 passed for a 200 case")
	}
}
