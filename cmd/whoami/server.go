package main

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// whoamiResponse is the body of a successful GET /whoami.
type whoamiResponse struct {
	Principal authn.Principal `json:"principal"`
	Trace     authn.Trace     `json:"trace"`
}

// newHandler routes /healthz, /readyz (ready: the ServiceAccount cache and
// any fetched key set are current) and the authenticated /whoami.
func newHandler(chain authn.Authenticator, ready func() bool, log *slog.Logger) http.Handler {
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
	r.Group(func(r chi.Router) {
		r.Use(chiadapter.Authenticate(chain, chiadapter.WithObserver(logDecision(log))))
		r.Get("/whoami", func(w http.ResponseWriter, r *http.Request) {
			p, _ := authn.FromContext(r.Context())
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(whoamiResponse{Principal: p, Trace: authn.TraceFromContext(r.Context())})
		})
	})
	return r
}

// logDecision logs every authentication with its trace, so an operator can
// see why a refused request was refused. Traces carry no secrets.
func logDecision(log *slog.Logger) func(*http.Request, authn.Principal, authn.Trace, error) {
	return func(r *http.Request, p authn.Principal, t authn.Trace, err error) {
		if err != nil {
			log.Warn("refused", "path", r.URL.Path, "status", authn.StatusCode(err), "err", err, "trace", t)
			return
		}
		log.Info("authenticated", "path", r.URL.Path, "user", p.User.Name, "actor", p.Actor, "synthetic", p.Synthetic, "via", p.Via)
	}
}
