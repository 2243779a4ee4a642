// Command whoami serves the full authchain chain and shows, for each request,
// who it acts for and why: GET /whoami answers {"principal":…,"trace":[…]},
// errors come back as application/problem+json.
//
//	go run ./cmd/whoami                       # demo cluster, trusts 127.0.0.1
//	curl -H "Authorization: Bearer $(go run ./cmd/whoami -demo-token ambient-key-alice-write)" \
//	    -H 'X-Forwarded-User: system:serviceaccount:demo:ambient-key-alice-write' localhost:8080/whoami
//
// A forwarded ServiceAccount subject is believed only together with a
// verified token of that ServiceAccount (-require-token-proof, on by
// default). In demo mode a demo issuer, whose key is derived from a public
// seed, signs those tokens: whoami prints one for each demo ServiceAccount
// at start-up, and -demo-token NAME prints a fresh one.
//
// With -explain it reads one request's headers ("Name: value" lines, plus
// "@peer: ADDR:PORT") from stdin, prints the principal and the trace, and
// exits 1 when the request is refused.
//
// The chain is an authnconfig configuration file: by default the one
// embedded from default.yaml, edited by the chain flags (-trust-cidr,
// -issuer, -require-label, …); with -config FILE, that file, reloaded when
// it changes. -print-config prints the embedded file after the flags, a
// file -config reads, and exits.
//
// GET /assertion?aud=AUD answers with an assertion of the caller's
// Principal for AUD (package assertion), signed with an ephemeral ES256 key
// (or -assertion-key-file) whose public half /.well-known/jwks.json
// publishes. With -accept-assertions-jwks URL|FILE and
// -accept-assertions-issuer, a request carrying an assertion of that
// issuer is judged by it alone, so that one whoami's /assertion answer
// authenticates at another. A FILE is read once; a URL (https, or http of
// this machine) is kept current, and /readyz waits for its first fetch:
//
//	go run ./cmd/whoami -listen 127.0.0.1:8081 \
//	    -accept-assertions-jwks http://127.0.0.1:8080/.well-known/jwks.json \
//	    -accept-assertions-issuer http://127.0.0.1:8080
//
// With -metrics-listen ADDR it serves Prometheus metrics at /metrics on
// ADDR, a port apart from the authenticated routes (see authnmetrics).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
