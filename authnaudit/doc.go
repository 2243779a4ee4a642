// Package authnaudit emits one audit event per authentication decision, in
// the shape of a Kubernetes audit event (audit.k8s.io/v1 Event), so that
// the tools that read an API server's audit log read this one too.
//
//	audited, err := authnaudit.Wrap(chain, authnaudit.NewJSONLines(file))
//	r.Use(chiadapter.Authenticate(audited))
//
// An event says who holds the credential (user: the acting
// ServiceAccount, or the human who called directly), for whom it acts
// (impersonatedUser: the effective user, when a ServiceAccount acts), the
// credential's id (the token's JTI, in user.extra as Kubernetes records it),
// the decision of every strategy, the result, and the request's path, verb,
// peer address, user agent and request id. It never holds a token, an
// identity header's value, the query string, or the request's body.
package authnaudit
