package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authnlog"
	"github.com/authchain/authchain/chiadapter"
)

// jwksPath is where whoami publishes the keys its assertions are signed
// with.
const jwksPath = "/.well-known/jwks.json"

// whoamiResponse is the body of a successful GET /whoami.
type whoamiResponse struct {
	Principal authn.Principal `json:"principal"`
	Trace     authn.Trace     `json:"trace"`
}

// newHandler routes /healthz, /readyz (ready: the ServiceAccount cache and
// any fetched key set are current) and the authenticated /whoami. Every
// authentication is logged to log by authnlog, with the request's method
// and path, so an operator can see why a refused request was refused;
// tokens and header values are never logged.
//
// With mint (at most one), it also serves the keys at jwksPath, their
// discovery document at assertion.DiscoveryPath, and the authenticated GET
// /assertion?aud=AUD.
func newHandler(chain authn.Authenticator, ready func() bool, log *slog.Logger, mint ...*minting) (http.Handler, error) {
	logged, err := authnlog.Wrap(chain, log, authnlog.WithRequestAttrs(requestAttrs))
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "caches not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	for _, m := range mint {
		r.Method(http.MethodGet, jwksPath, m.ring.Handler())
		r.Method(http.MethodGet, assertion.DiscoveryPath, m.signer.DiscoveryHandler(jwksPath))
	}
	r.Group(func(r chi.Router) {
		r.Use(chiadapter.Authenticate(logged))
		for _, m := range mint {
			r.Get("/assertion", m.serveAssertion)
		}
		r.Get("/whoami", func(w http.ResponseWriter, r *http.Request) {
			p, _ := authn.FromContext(r.Context())
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(whoamiResponse{Principal: p, Trace: authn.TraceFromContext(r.Context())})
		})
	})
	return r, nil
}

// requestAttrs are what whoami logs about a request beside the decision:
// the method and the path, which only /whoami and /assertion reach, and never
// the query.
func requestAttrs(r *http.Request) []slog.Attr {
	return []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path)}
}

// newLogger returns the logger of -log-format: "text" (slog's key=value
// lines) or "json" (one object a line).
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want json or text", format)
}
