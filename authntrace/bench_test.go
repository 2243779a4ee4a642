package authntrace_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/authchain/authchain/authntrace"
)

// BenchmarkWrap measures a traced decision of a two-strategy chain.
// Measured beyond the chain's 5 allocations (BenchmarkChain): 3 with a
// no-op provider (its context), 24 with the SDK recording the span, its
// request copy, two events and the attributes.
func BenchmarkWrap(b *testing.B) {
	for name, tp := range map[string]trace.TracerProvider{
		"noop": noop.NewTracerProvider(),
		"sdk":  sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder())),
	} {
		b.Run(name, func(b *testing.B) {
			var seen trace.SpanContext
			a, err := authntrace.Wrap(testChain(b, &seen), tp)
			if err != nil {
				b.Fatal(err)
			}
			r := request(context.Background(), "key")
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
	var seen trace.SpanContext
	chain := testChain(b, &seen)
	r := request(context.Background(), "key")
	h := r.Header.Clone()
	b.ReportAllocs()
	for b.Loop() {
		r.Header = h
		_, _, _ = chain.Authenticate(r)
	}
}
