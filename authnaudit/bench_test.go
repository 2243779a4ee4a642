package authnaudit_test

import (
	"io"
	"testing"

	"github.com/authchain/authchain/authnaudit"
)

// BenchmarkWrap measures an audited decision of an access key's request:
// building the event (the annotations map, the user's copy, the audit id)
// and, for "jsonlines", encoding it. Measured beyond the chain's 10
// allocations (BenchmarkChain): 18 to build the event, 50 with JSON
// encoding.
func BenchmarkWrap(b *testing.B) {
	for name, sink := range map[string]authnaudit.Sink{
		"discard":   authnaudit.SinkFunc(func(authnaudit.Event) {}),
		"jsonlines": authnaudit.NewJSONLines(io.Discard),
	} {
		b.Run(name, func(b *testing.B) {
			a, err := authnaudit.Wrap(testChain(b), sink)
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
	chain := testChain(b)
	r := request("key")
	h := r.Header.Clone()
	b.ReportAllocs()
	for b.Loop() {
		r.Header = h
		_, _, _ = chain.Authenticate(r)
	}
}
