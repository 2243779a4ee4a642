// Command apikey is an example program outside the authchain module: a
// chain with a custom API-key strategy after the forwarded-header strategy,
// wrapped in an authenticator of its own, mounted with chi, and a route
// capped by the key's role.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/chiadapter"
)

// RoleAttribute is the Actor attribute that caps what a key may do.
const RoleAttribute = "example.com/role"

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	proxy := flag.String("proxy-cidr", "127.0.0.1/32", "addresses of the authenticating proxy")
	flag.Parse()
	// One key per line: KEY OWNER NAMESPACE/NAME ROLE, from a file in a
	// real program; a fixed demo key here.
	keys := map[string]Key{
		"demo-key-0123456789abcdef0123456789": {Owner: "alice@example.com", Namespace: "keys", Name: "alice-ci", Role: "read"},
	}
	router, _, err := NewRouter(*proxy, keys)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: router, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("listening on %s", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
		os.Exit(1)
	}
}

// NewRouter builds the chain (forwarded headers from the proxy at
// proxyCIDR, then API keys), wraps it in Counting, and mounts it: GET /me
// answers who called, POST /reports only for keys with role "write"
// (humans calling directly are not capped).
func NewRouter(proxyCIDR string, keys map[string]Key) (http.Handler, *Counting, error) {
	trust, err := strategies.TrustPeerCIDRs(proxyCIDR)
	if err != nil {
		return nil, nil, err
	}
	forwarded, err := strategies.Forwarded(trust)
	if err != nil {
		return nil, nil, err
	}
	apiKeys, err := NewAPIKeys(keys)
	if err != nil {
		return nil, nil, err
	}
	chain, err := authn.NewChain(forwarded, apiKeys)
	if err != nil {
		return nil, nil, err
	}
	counting := &Counting{Next: chain}

	r := chi.NewRouter()
	r.Use(chiadapter.Authenticate(counting))
	r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p)
	})
	r.With(chiadapter.RequireActorAttribute(RoleAttribute, "write")).Post("/reports", func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.FromContext(r.Context())
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("report filed for " + strings.ToLower(p.User.Name) + "\n"))
	})
	return r, counting, nil
}
