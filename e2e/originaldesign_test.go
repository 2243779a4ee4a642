//go:build linux

package e2e

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// originalDesign is the per-request design authchain replaces, kept as the
// baseline of TestOriginalDesignComparison: every request costs the API
// server a TokenReview of its bearer token and a GET of the token's
// ServiceAccount, to read the creator annotation. It answers only access
// keys with a creator, which is all the comparison sends; it checks no
// binding, label or incarnation, so it does less than the chain it is
// compared with. The token is never echoed: errors say which step failed.
func originalDesign(client kubernetes.Interface) func(http.Handler) http.Handler {
	reviews := client.AuthenticationV1().TokenReviews()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || token == "" {
				http.Error(w, "no bearer token", http.StatusUnauthorized)
				return
			}
			review, err := reviews.Create(r.Context(), &authenticationv1.TokenReview{
				Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{audience}},
			}, metav1.CreateOptions{})
			if err != nil {
				http.Error(w, "token review failed", http.StatusServiceUnavailable)
				return
			}
			if !review.Status.Authenticated || !slices.Contains(review.Status.Audiences, audience) {
				http.Error(w, "token refused", http.StatusUnauthorized)
				return
			}
			ref, err := authn.ParseServiceAccountSubject(review.Status.User.Username)
			if err != nil {
				http.Error(w, "not a ServiceAccount", http.StatusUnauthorized)
				return
			}
			sa, err := client.CoreV1().ServiceAccounts(ref.Namespace).Get(r.Context(), ref.Name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				http.Error(w, "no such ServiceAccount", http.StatusUnauthorized)
				return
			case err != nil:
				http.Error(w, "ServiceAccount read failed", http.StatusServiceUnavailable)
				return
			}
			creator := sa.Annotations[strategies.DefaultCreatorAnnotation]
			if creator == "" {
				http.Error(w, "key without a creator", http.StatusUnauthorized)
				return
			}
			r.Header.Del("Authorization")
			p := authn.Principal{
				User:  authn.User{Name: creator},
				Actor: &authn.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID)},
			}
			next.ServeHTTP(w, r.WithContext(authn.NewContext(r.Context(), p)))
		})
	}
}

// newOriginalApp serves GET /whoami behind originalDesign, answering what
// NewApp's routes answer.
func newOriginalApp(client kubernetes.Interface) http.Handler {
	r := chi.NewRouter()
	r.Use(originalDesign(client))
	r.Get("/whoami", whoami)
	return r
}
