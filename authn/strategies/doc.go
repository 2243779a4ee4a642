// Package strategies holds the steps of an authn.Chain for requests behind
// an authenticating proxy on Kubernetes: who the proxy says called, which
// ServiceAccount that is, and which human an access key's ServiceAccount
// acts for.
//
// Each strategy does one job, in its own file, and they are meant to run in
// this order, with the bearer-token strategies of packages authn/bearer/jwt
// and authn/bearer/tokenreview in their place (they do not import this
// package, nor it them):
//
//	Constructor               Name            Applies when                 Contributes
//	Forwarded(trust)          forwarded       identity headers present     User, from a proxy trust proves
//	jwt.ServiceAccount(…)     jwt             bearer JWT of this issuer    Actor with UID, Credential: the
//	                                                                       token verified locally
//	tokenreview.New(…)        tokenreview     any bearer token             the same, from a cached TokenReview
//	ServiceAccount()          serviceaccount  User is system:serviceaccount:NS:NAME
//	                                          and no token proved it       nothing: rejected (with
//	                                                                       InsecureBelieveForwardedSubjects,
//	                                                                       Actor parsed from it; User cleared)
//	CreatorAnnotation(…)      annotation      Actor set, no User           User: the key's creator, from the
//	                                                                       informer cache; Actor.UID
//	Synthetic()               synthetic       Actor set, still no User     stand-in User, Synthetic = true
//
// A present but untrustworthy identity (an unverified proxy, a malformed
// subject, a ServiceAccount subject without its verified token, a creator
// annotation failing provenance) is rejected, never passed on to a weaker
// strategy. Leave Synthetic out to refuse keys whose
// creator is unknown; the chain then answers 401.
//
// The code that creates access keys writes annotations on the key's
// ServiceAccount once it exists: DefaultCreatorAnnotation with the user (or
// the subject of the key it was created with), binding.DefaultAnnotation
// with the value of binding.Sign (package binding imports only the standard
// library), which RequireSignedBinding verifies, and, for a key created
// with a key, DefaultCreatorUIDAnnotation with that key's UID.
//
// The smallest use, with kubecache's informer cache of the cluster's
// ServiceAccounts (kubecache.FromInformer reads an informer a program
// already runs):
//
//	sas, err := kubecache.New(ctx, client)
//	...
//	annotation, err := strategies.CreatorAnnotation(sas, strategies.RequireSignedBinding(bindingKey))
//	...
//	forwarded, err := strategies.Forwarded(trust)
//	...
//	keys, err := jwks.OIDC(ctx, issuer, jwks.WithHTTPClient(apiClient))
//	...
//	tokens, err := jwt.ServiceAccount(issuer, keys, jwt.WithAudiences("my-app"))
//	...
//	chain, err := authn.NewChain(forwarded, tokens, strategies.ServiceAccount(), annotation, strategies.Synthetic())
//
// Every strategy is safe for concurrent use. Header and annotation
// strategies never call the API server while answering; the token
// strategies (package authn/bearer and below) call it only on a cache miss (TokenReview, limited in flight
// and per second, failing rather than queueing beyond) or for an unknown
// key id (a rate-limited key-set refresh), and bound the wait.
package strategies
