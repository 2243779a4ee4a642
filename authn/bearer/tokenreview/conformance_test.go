package tokenreview_test

import (
	"testing"

	"github.com/authchain/authchain/authn/bearer"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
)

// TestConformance runs authntest's suite on the TokenReview strategy:
// reading Authorization only, and also X-Forwarded-Access-Token from a
// proxy proven by its address.
func TestConformance(t *testing.T) {
	bad := map[string]string{
		"unknown token":              unknownToken,
		"token for another audience": otherAudToken,
		"malformed subject":          badSubject,
		"system user":                kubeProxy,
		"bound to a webhook":         webhookToken,
		"not a token":                "not a token",
	}
	secrets := []string{ciBotToken}
	var creds []authntest.Credential
	for name, token := range bad {
		creds = append(creds, authntest.Credential{Name: name, Request: []authntest.RequestOption{authntest.WithBearer(token)}})
		if len(token) > 8 {
			secrets = append(secrets, token)
		}
	}
	t.Run("authorization", func(t *testing.T) {
		s := newTokenReview(t, newReviewAPI(reviewTokens()))
		authntest.Conformance(t, s, authntest.Config{
			Good:    authntest.Credential{Name: "ServiceAccount token", Request: []authntest.RequestOption{authntest.WithBearer(ciBotToken)}},
			Bad:     creds,
			Headers: []string{bearer.AuthorizationHeader},
			Secrets: secrets,
		})
	})
	t.Run("forwarded access token", func(t *testing.T) {
		trust, err := strategies.TrustPeerCIDRs("192.0.2.0/24")
		if err != nil {
			t.Fatal(err)
		}
		src, err := bearer.AlsoFromForwardedAccessToken(trust)
		if err != nil {
			t.Fatal(err)
		}
		s := newTokenReview(t, newReviewAPI(reviewTokens()), tokenreview.WithTokenSource(src))
		proxy := authntest.WithPeer("192.0.2.7:41000")
		authntest.Conformance(t, s, authntest.Config{
			Good: authntest.Credential{Name: "token from the proxy", Request: []authntest.RequestOption{
				proxy, authntest.WithHeader(bearer.ForwardedAccessTokenHeader, ciBotToken),
			}},
			Bad: append(creds,
				authntest.Credential{Name: "two different tokens", Request: []authntest.RequestOption{
					proxy, authntest.WithHeader(bearer.ForwardedAccessTokenHeader, ciBotToken), authntest.WithBearer(aliceToken),
				}},
				authntest.Credential{Name: "unknown token from the proxy", Request: []authntest.RequestOption{
					proxy, authntest.WithHeader(bearer.ForwardedAccessTokenHeader, unknownToken),
				}},
			),
			Headers: []string{bearer.AuthorizationHeader, bearer.ForwardedAccessTokenHeader},
			Secrets: append(secrets, aliceToken),
		})
	})
}
