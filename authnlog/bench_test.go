package authnlog_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/authchain/authchain/authnlog"
)

// BenchmarkWrap measures a logged decision of a one-strategy chain, the
// request's header reset each time. Measured: a record to a JSON handler
// costs 3 allocations beyond the chain's own (the attribute slice and
// the handler's); a logger whose level drops the record costs none beyond
// the chain's.
func BenchmarkWrap(b *testing.B) {
	for name, log := range map[string]*slog.Logger{
		"json":    slog.New(slog.NewJSONHandler(io.Discard, nil)),
		"dropped": slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})),
	} {
		b.Run(name, func(b *testing.B) {
			chain := bearerChain(b)
			a, err := authnlog.Wrap(chain, log)
			if err != nil {
				b.Fatal(err)
			}
			r := request("key")
			h := r.Header.Clone()
			b.ReportAllocs()
			for b.Loop() {
				r.Header = h
				_, _, _ = a.Authenticate(r)
			}
		})
	}
}

// BenchmarkChain is the chain alone, the base BenchmarkWrap adds to.
func BenchmarkChain(b *testing.B) {
	chain := bearerChain(b)
	r := request("key")
	h := r.Header.Clone()
	b.ReportAllocs()
	for b.Loop() {
		r.Header = h
		_, _, _ = chain.Authenticate(r)
	}
}
