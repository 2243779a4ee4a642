package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCases serves each case of the mixed set through both servers'
// handlers in-process, without the network: what each costs the server
// beyond the HTTP stack, case by case, for reading e2ebench's CPU ratio.
func BenchmarkCases(b *testing.B) {
	cases, err := requestCases()
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{modeNone, modeAuth} {
		ctx, cancel := context.WithCancel(context.Background())
		handler, stop, err := newServer(ctx, mode)
		if err != nil {
			cancel()
			b.Fatal(err)
		}
		for _, c := range cases {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
				r.RemoteAddr = "127.0.0.1:40000"
				want := c.status
				if mode == modeNone {
					want = http.StatusOK // nothing refuses without the chain
				}
				b.ReportAllocs()
				for b.Loop() {
					r.Header = c.header.Clone()
					w := httptest.NewRecorder()
					handler.ServeHTTP(w, r)
					if w.Code != want {
						b.Fatalf("status %d, want %d", w.Code, want)
					}
				}
			})
		}
		cancel()
		stop()
	}
}
