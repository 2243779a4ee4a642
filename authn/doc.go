// Package authn answers, for one HTTP request behind an OAuth proxy, who the
// request acts for and through which Kubernetes ServiceAccount.
//
// A Chain runs Strategies in order. Each reads the request and the Principal
// established so far and returns a Decision: NotApplicable (continue),
// Contributed (continue with a refined Principal), Rejected (stop, 401) or
// Failed (stop, 503). A rejection never falls through to a weaker strategy.
// The result is a Principal that keeps the effective User and the acting
// ServiceAccount apart, with the strategies that contributed in Via. Its
// names obey one identity-name rule (CheckName, CheckUserName,
// CheckGroupName), and the chain strips every identity header
// (DefaultIdentityHeaders and what strategies read) before the handler runs.
//
//	chain, err := authn.NewChain(forwarded, tokens, serviceAccount, annotation, synthetic)
//	...
//	p, trace, err := chain.Authenticate(r)
//
// The header strategies live in package strategies, the bearer-token ones
// under package bearer (jwt, tokenreview, and bearer's kit for custom
// token strategies); the HTTP middleware in package chiadapter. This
// package imports nothing from Kubernetes.
package authn
