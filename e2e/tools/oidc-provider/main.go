// Command oidc-provider is the OpenID provider of the e2e tier: the example
// provider of github.com/zitadel/oidc (its login page, in-memory users and
// storage, RS256 keys made at start) at the version this module pins,
// served over TLS with the confidential web clients its flags name. It lives in a module
// of its own so that its dependencies move no version the cluster's
// binaries are built from.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to serve https on")
	issuer := flag.String("issuer", "", "issuer URL, https://HOST:PORT, announced in discovery and every token")
	certFile := flag.String("tls-cert", "", "serving certificate (PEM)")
	keyFile := flag.String("tls-key", "", "serving key (PEM)")
	usersFile := flag.String("users", "", "users, as JSON in the example storage's format (a map of user id to user)")
	var clients []string
	flag.Func("client", "a confidential web client, ID:SECRET; repeatable", func(v string) error {
		if id, secret, ok := strings.Cut(v, ":"); !ok || id == "" || secret == "" {
			return errors.New("want ID:SECRET")
		}
		clients = append(clients, v)
		return nil
	})
	redirectURIs := flag.String("redirect-uris", "", "the redirect URIs every client may use, comma-separated")
	flag.Parse()
	if *issuer == "" || *certFile == "" || *keyFile == "" || *usersFile == "" || len(clients) == 0 || *redirectURIs == "" {
		fmt.Fprintln(os.Stderr, "oidc-provider: -issuer, -tls-cert, -tls-key, -users, -client and -redirect-uris are required")
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	users, err := storage.StoreFromFile(*usersFile)
	if err != nil {
		logger.Error("reading users", "error", err)
		os.Exit(1)
	}
	for _, c := range clients {
		id, secret, _ := strings.Cut(c, ":")
		storage.RegisterClients(storage.WebClient(id, secret, strings.Split(*redirectURIs, ",")...))
	}
	router := exampleop.SetupServer(*issuer, claimsInIDToken{storage.NewStorage(users)}, logger, false)

	server := &http.Server{Addr: *addr, Handler: router, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("serving", "issuer", *issuer, "addr", *addr)
	if err := server.ListenAndServeTLS(*certFile, *keyFile); err != nil {
		logger.Error("serving", "error", err)
		os.Exit(1)
	}
}

// claimsInIDToken is the example storage with one change: its clients get
// the profile and email claims in the ID token even when an access token
// is issued too, as Google and Microsoft Entra do. A relying party that
// verifies only the ID token, as one behind oauth2-proxy's
// --pass-authorization-header does, then learns the email from it.
type claimsInIDToken struct{ *storage.Storage }

func (s claimsInIDToken) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return userinfoClaimsAsserted{c}, nil
}

type userinfoClaimsAsserted struct{ op.Client }

func (userinfoClaimsAsserted) IDTokenUserinfoClaimsAssertion() bool { return true }
