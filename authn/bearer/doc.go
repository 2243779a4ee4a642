// Package bearer holds what every bearer-token strategy shares, for the
// strategies below it (jwt, tokenreview) and for a custom one:
//
//   - Source: where a token is read (Authorization: Bearer, and
//     optionally X-Forwarded-Access-Token from a proxy an authn.TrustPolicy
//     proves), with the token68 syntax and MaxLength checked, and a reason
//     to reject that never quotes the token;
//   - Source.Presented and Bind: how a token strategy starts (skip when a
//     credential is already verified or no token is sent) and how the
//     identity a verified token proves is joined to what the chain
//     established before it (the subject-binding rule);
//     Source.PresentedForCache for a strategy that hands the token to a
//     Cache, which then checks its syntax on a miss only;
//   - Cache: the token-cache decorator, keyed by a MAC of the token under
//     a per-process random key, with a negative cache and one verification
//     per token however many requests wait for it.
//
// A custom token strategy, verifying an API key against a slow backend:
//
//	cache, err := bearer.NewCache(func(ctx context.Context, token string, _ []string) (bearer.Verdict[authn.User], error) {
//		u, ok, err := backend.Lookup(ctx, token)
//		switch {
//		case err != nil:
//			return bearer.Verdict[authn.User]{}, err // not cached: 503
//		case !ok:
//			return bearer.Verdict[authn.User]{Invalid: "unknown API key"}, nil
//		}
//		return bearer.Verdict[authn.User]{Value: u}, nil
//	})
//	...
//	func (s *apiKeys) Authenticate(r *http.Request, sofar authn.Principal) authn.Decision {
//		token, d, ok := s.source.Presented(r, sofar)
//		if !ok {
//			return d
//		}
//		v, err := s.cache.Get(r.Context(), token, nil)
//		switch {
//		case err != nil:
//			return authn.Fail("API key check failed", err)
//		case v.Invalid != "":
//			return authn.Reject(v.Invalid)
//		}
//		return bearer.Bind(sofar, nil, v.Value.Clone(), &authn.Credential{Type: "apikey"}, "API key verified")
//	}
//
// It imports the standard library, package authn, golang-lru and
// golang.org/x/sync only: no Kubernetes client and no JOSE library. It
// trusts nothing a request says unless the authn.TrustPolicy given to
// AlsoFromForwardedAccessToken verifies the connection, and keeps no token:
// not in the cache, not in a reason, not in an error.
package bearer
