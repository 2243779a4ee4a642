// Package tokenreview is the strategy named "tokenreview": it verifies a
// bearer token by asking the API server (a TokenReview for the configured
// audiences) and caches the answers.
//
//	reviews, err := tokenreview.New(clientset.AuthenticationV1().TokenReviews(),
//		tokenreview.WithAudiences("my-app"))
//	...
//	chain, err := authn.NewChain(forwarded, reviews, strategies.ServiceAccount(), annotation)
//
// It trusts the API server's answer, within limits: a user that is not a
// ServiceAccount must pass the identity-name rule, and a ServiceAccount
// token bound to an object kind it does not check is refused. A token that
// cannot be a Kubernetes token costs no API call; reviews are bounded in
// flight and per second, and beyond that a request fails (503) rather than
// waiting. Answers are cached under a keyed MAC of the token (bearer.Cache); no
// token, and nothing the API server says back, is quoted in a reason.
//
// It imports package authn, authn/bearer and client-go's typed
// authentication client.
package tokenreview
