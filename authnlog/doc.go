// Package authnlog writes one log/slog record per authentication decision,
// and offers Token, a string type that never prints its value.
//
//	logged, err := authnlog.Wrap(chain, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
//	r.Use(chiadapter.Authenticate(logged))
//
// A record holds the result, the deciding strategy and its reason, the
// effective user, the acting ServiceAccount's subject, whether the user is
// synthetic, and the strategies that contributed; a refusal adds the HTTP
// status, the detail, the cause and the trace of decisions. Everything in it
// comes from the authn.Principal, authn.Trace and authn.Error, which the authn
// contract keeps free of tokens and header values; the package reads nothing
// else from the request unless WithRequestAttrs says so. It imports only
// the standard library and authn.
package authnlog
