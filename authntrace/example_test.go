package authntrace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authntrace"
)

// Wrap a chain with the application's tracer provider; here the SDK's, with
// an in-memory recorder to show the span.
func ExampleWrap() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	chain, err := authn.NewChain(authn.StrategyFunc("demo", func(r *http.Request, sofar authn.Principal) authn.Decision {
		return authn.Reject("token refused")
	}))
	if err != nil {
		panic(err)
	}
	traced, err := authntrace.Wrap(chain, tp)
	if err != nil {
		panic(err)
	}
	_, _, _ = traced.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))

	span := rec.Ended()[0]
	fmt.Println(span.Name(), span.Status().Code, span.Status().Description)
	for _, e := range span.Events() {
		fmt.Print(e.Name)
		for _, kv := range e.Attributes {
			fmt.Printf(" %s=%q", kv.Key, kv.Value.String())
		}
		fmt.Println()
	}
	// Output:
	// authchain.authenticate Error rejected: token refused
	// authchain.decision authchain.strategy="demo" authchain.outcome="rejected" authchain.reason="token refused"
}

// TraceID reads the trace id of the span in a context, for audit events.
func ExampleTraceID() {
	fmt.Printf("%q\n", authntrace.TraceID(context.Background()))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("example").Start(context.Background(), "request")
	defer span.End()
	fmt.Println(len(authntrace.TraceID(ctx)))
	// Output:
	// ""
	// 32
}
