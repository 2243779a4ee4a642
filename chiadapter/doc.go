// Package chiadapter mounts an authn.Authenticator, usually an authn.Chain,
// as net/http middleware, for chi routers or any other
// func(http.Handler) http.Handler stack.
//
// Authenticate runs it on every request and puts the Principal and
// the trace in the request context; a request the chain refuses never
// reaches the handler and is answered with an RFC 9457 problem: 401 with a
// Bearer challenge, 403, 503 with Retry-After, or 500. RequireUser,
// RequireHuman, RequireGroup, RequireActorAttribute (role caps on access
// keys) and policies of one's own built with Require, mounted behind it,
// admit or deny by the Principal and answer with the same error writer and
// headers, so a router is configured once.
//
//	r := chi.NewRouter()
//	r.Use(chiadapter.Authenticate(chain, chiadapter.WithRealm("console")))
//	r.With(chiadapter.RequireGroup("admins")).Get("/admin", admin)
//	r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
//		p, _ := authn.FromContext(r.Context())
//		fmt.Fprintln(w, p.User.Name)
//	})
//
// A Require… middleware answers 401 when the request has no Principal and
// 403 when the policy denies it. It takes no options: Authenticate leaves its
// configuration in the request context, and Require… behind it use it.
//
// Problem bodies carry the authn.Error's Reason and strategy name and never
// its Cause, a token or a header value. The package logs nothing; see
// WithObserver.
package chiadapter
