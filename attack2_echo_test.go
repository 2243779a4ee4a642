package authchain_test

// Adversarial tests of what reaches errors: TokenReview client errors with a
// Reason, Message, Details or Causes crafted by the server, custom
// APIStatus errors, wrapped deadline errors and panics, and JWT header and
// claim values: none of a token or header value may reach Error(), a
// Reason, a Detail, the trace or the problem body.

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	authenticationv1 "k8s.io/api/authentication/v1"
)

// craftedStatus is an error a wrapping client might return: it implements
// apierrors.APIStatus with every text field the server's.
type craftedStatus struct{ s metav1.Status }

func (c craftedStatus) Error() string         { return c.s.Message }
func (c craftedStatus) Status() metav1.Status { return c.s }

func TestAttack2_TokenReviewCraftedErrorsNotEchoed(t *testing.T) {
	var mu sync.Mutex
	mode := ""
	client := fake.NewClientset()
	client.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tok := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenReview).Spec.Token
		mu.Lock()
		m := mode
		mu.Unlock()
		full := metav1.Status{Status: metav1.StatusFailure, Code: 500, Reason: metav1.StatusReason(tok), Message: "bad " + tok,
			Details: &metav1.StatusDetails{Name: tok, Kind: tok, UID: "u", Causes: []metav1.StatusCause{{Type: metav1.CauseType(tok), Message: tok, Field: tok}}}}
		switch m {
		case "status":
			return true, nil, &apierrors.StatusError{ErrStatus: full}
		case "known-reason":
			full.Reason = metav1.StatusReasonInternalError
			return true, nil, &apierrors.StatusError{ErrStatus: full}
		case "custom":
			return true, nil, craftedStatus{full}
		case "wrapped-status":
			return true, nil, fmt.Errorf("review of %s: %w", tok, &apierrors.StatusError{ErrStatus: full})
		case "deadline":
			return true, nil, fmt.Errorf("token %s: %w", tok, context.DeadlineExceeded)
		case "canceled":
			return true, nil, fmt.Errorf("token %s: %w", tok, context.Canceled)
		case "url":
			return true, nil, &url.Error{Op: "Post", URL: "https://api/?t=" + tok, Err: fmt.Errorf("refused %s", tok)}
		case "panic":
			panic("review " + tok)
		case "panic-error":
			panic(fmt.Errorf("review %s", tok))
		case "nil-object":
			return true, nil, nil
		}
		return false, nil, nil
	})
	cfg := atkConfig(t)
	cfg.Issuer, cfg.Keys = "", nil
	cfg.TokenReviews = client.AuthenticationV1().TokenReviews()
	chain := atkChain(t, cfg, atkKeyCluster)
	for i, m := range []string{"status", "known-reason", "custom", "wrapped-status", "deadline", "canceled", "url", "panic", "panic-error", "nil-object"} {
		mu.Lock()
		mode = m
		mu.Unlock()
		tok := atkToken(t, "team", "key", fmt.Sprintf("uid-%d", i))
		var res atkResult
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s: panic escaped the chain: %v", m, v)
				}
			}()
			res = atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok))
		}()
		if res.status == http.StatusOK {
			t.Errorf("%s: authenticated", m)
		}
		noEcho(t, m, res, tok[:20], tok[len(tok)-25:], tok[40:70])
	}
}

// TestAttack2_JWTHeaderAndClaimValuesNotEchoed: a token of the configured
// issuer whose kid, alg, typ, crit, audience, subject and kubernetes.io
// names carry the secret; refused without quoting any of them.
func TestAttack2_JWTHeaderAndClaimValuesNotEchoed(t *testing.T) {
	chain := atkChain(t, atkConfig(t), atkKeyCluster)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	payload := b64(`{"iss":"` + atkIssuer + `","sub":"system:serviceaccount:team:key","aud":["authchain"],"exp":9999999999}`)
	for name, tok := range map[string]string{
		"kid":             b64(`{"alg":"RS256","kid":"`+sekrit+`"}`) + "." + payload + ".c2ln",
		"alg":             b64(`{"alg":"`+sekrit+`","kid":"rsa-1"}`) + "." + payload + ".c2ln",
		"crit":            b64(`{"alg":"RS256","kid":"rsa-1","crit":["`+sekrit+`"]}`) + "." + payload + ".c2ln",
		"kid object":      b64(`{"alg":"RS256","kid":{"`+sekrit+`":1}}`) + "." + payload + ".c2ln",
		"aud":             atkToken(t, "team", "key", "uid-key", claim("aud", []string{sekrit})),
		"sub":             atkToken(t, "team", "key", "uid-key", claim("sub", "system:serviceaccount:team:"+sekrit)),
		"sub human":       atkToken(t, "team", "key", "uid-key", claim("sub", sekrit)),
		"namespace":       atkToken(t, "team", "key", "uid-key", k8sClaim("namespace", sekrit)),
		"sa name":         atkToken(t, "team", "key", "uid-key", k8sClaim("serviceaccount", map[string]any{"name": sekrit, "uid": "uid-key"})),
		"uid":             atkToken(t, "team", "key", "uid-key", k8sClaim("serviceaccount", map[string]any{"name": "key", "uid": sekrit})),
		"pod":             atkToken(t, "team", "key", "uid-key", k8sClaim("pod", map[string]any{"name": sekrit})),
		"unknown binding": atkToken(t, "team", "key", "uid-key", k8sClaim(sekrit, map[string]any{"name": "x", "uid": "y"})),
		"exp":             atkToken(t, "team", "key", "uid-key", claim("nbf", map[string]any{sekrit: 1})),
	} {
		res := atkDo(chain, atkRequest(atkProxy, "Authorization", "Bearer "+tok, "X-Forwarded-User", "system:serviceaccount:team:key"))
		if res.status == http.StatusOK {
			t.Errorf("%s: authenticated", name)
		}
		noEcho(t, name, res, sekrit)
	}
}
