package tokenreview_test

import (
	"fmt"
	"net/http/httptest"
	"slices"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
)

// Verifying a pod's ServiceAccount token with the API server. The fake
// clientset stands in for kubernetes.NewForConfig, and its reactor for the
// API server's authenticator; in production the client needs RBAC to
// create tokenreviews. In a chain, TokenReview goes before
// CreatorAnnotation, which then finds the human behind the Actor.
//
// The second token is shaped like one but made up: the API server refuses
// it. The third cannot be a Kubernetes token at all and is refused without
// asking.
func ExampleNew() {
	const (
		audience = "https://notebooks.example.com"
		// A projected token as the pod reads it; its signature is the API
		// server's business, here the reactor's.
		projected = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dGVhbTpjaS1ib3QifQ.c2lnbmF0dXJl"
		forged    = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6dGVhbTphZG1pbiJ9.Zm9yZ2Vk"
	)
	reviews := 0
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		reviews++
		tr := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).DeepCopy()
		if tr.Spec.Token == projected && slices.Contains(tr.Spec.Audiences, audience) {
			tr.Status = authenticationv1.TokenReviewStatus{
				Authenticated: true,
				Audiences:     []string{audience},
				User: authenticationv1.UserInfo{
					Username: "system:serviceaccount:team:ci-bot",
					UID:      "0c6c1d0e-5f3a-4b7e-9d21-7a8c3e2f1b40",
					Extra: map[string]authenticationv1.ExtraValue{
						"authentication.kubernetes.io/credential-id": {"JTI=7f3e9a10"},
						"authentication.kubernetes.io/pod-name":      {"runner-7d9f"},
					},
				},
			}
		}
		return true, tr, nil
	})

	review, err := tokenreview.New(client.AuthenticationV1().TokenReviews(),
		tokenreview.WithAudiences(audience))
	if err != nil {
		panic(err)
	}

	for _, token := range []string{projected, forged, "token-someone-made-up", ""} {
		r := httptest.NewRequest("GET", "/api/notebooks", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		d := review.Authenticate(r, authn.Principal{})
		fmt.Printf("%s: %s\n", d.Outcome, d.Reason)
		if p := d.Principal; p.Actor != nil {
			fmt.Printf("  actor %s/%s uid %s\n", p.Actor.Namespace, p.Actor.Name, p.Actor.UID)
			fmt.Printf("  credential %s %s for %q from pod %s\n", p.Credential.Type, p.Credential.ID, p.Credential.Audiences, p.Credential.Pod.Name)
		}
	}
	fmt.Println(reviews, "TokenReviews")
	// Output:
	// contributed: TokenReview authenticated the token
	//   actor team/ci-bot uid 0c6c1d0e-5f3a-4b7e-9d21-7a8c3e2f1b40
	//   credential tokenreview JTI=7f3e9a10 for ["https://notebooks.example.com"] from pod runner-7d9f
	// rejected: token not authenticated
	// rejected: not a Kubernetes token
	// not-applicable: no bearer token
	// 2 TokenReviews
}
