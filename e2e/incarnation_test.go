//go:build linux

package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// holdFinalizer keeps a ServiceAccount in the terminating state until the
// test removes it.
const holdFinalizer = "authchain.dev/e2e-hold"

// TestIncarnationRefusals shows, on a real API server and through
// oauth2-proxy, the three refusals that pin a key to the objects it was
// issued as rather than to their names: a key whose parent key was deleted
// and re-created for someone else, a key whose role was edited after it was
// signed, and a key whose deletion a finalizer holds up. Each must be
// refused by both token routes, with the key's own, still valid token.
func TestIncarnationRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	sas := w.admin.CoreV1().ServiceAccounts(keyNamespace)

	t.Run("key whose parent was re-created", func(t *testing.T) {
		parent, _ := w.createKey(t, "parent-key", "alice@example.com", nil)
		_, childToken := w.createKey(t, "child-key", "system:serviceaccount:"+keyNamespace+":parent-key", nil)
		w.waitForUser(t, childToken, "alice@example.com")

		if err := sas.Delete(ctx, parent.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, propagationBound, "the parent to be gone", func() bool {
			_, err := sas.Get(ctx, parent.Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
		recreated, err := CreateAccessKey(ctx, w.admin, keyNamespace, parent.Name, "mallory@example.com", bindingKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		if recreated.UID == parent.UID {
			t.Fatal("re-created parent has the old uid")
		}
		changed := time.Now()
		w.waitForRefusal(t, childToken, changed, "parent re-created for another user")
	})

	t.Run("key whose role was edited", func(t *testing.T) {
		sa, token := w.createKey(t, "role-key", "alice@example.com", map[string]string{roleAnnotation: "read"})
		a := w.waitForUser(t, token, "alice@example.com")
		if got := a.Principal.Actor.Attributes[roleAnnotation]; got != "read" {
			t.Fatalf("role %q before the edit, want read", got)
		}
		sa, err := sas.Get(ctx, sa.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sa.Annotations[roleAnnotation] = "admin"
		if _, err := sas.Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		w.waitForRefusal(t, token, time.Now(), "role edited after signing")
	})

	t.Run("key deleted while a finalizer holds it", func(t *testing.T) {
		sa, token := w.createKey(t, "held-key", "alice@example.com", nil)
		sa, err := sas.Get(ctx, sa.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sa.Finalizers = append(sa.Finalizers, holdFinalizer)
		if _, err := sas.Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.release(t, sa.Name) })
		w.waitForUser(t, token, "alice@example.com")

		if err := sas.Delete(ctx, sa.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		held, err := sas.Get(ctx, sa.Name, metav1.GetOptions{})
		if err != nil || held.DeletionTimestamp == nil {
			t.Fatalf("after delete: %v, deletionTimestamp %v; want the object held terminating", err, held.GetDeletionTimestamp())
		}
		w.waitForRefusal(t, token, deleted, "deleted while a finalizer holds it")

		// Kubernetes keeps accepting the token for 60 s after deletion
		// starts; authchain refuses it at once. Show the difference.
		review, err := w.admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{audience}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if since := time.Since(deleted); since < time.Minute {
			harness.Report.Addf(t, "terminating key: API server still authenticates its token %v after deletion started (%v); authchain refuses it", since.Round(time.Millisecond), review.Status.Authenticated)
		}
	})
}

// waitForUser waits until token resolves to user on the jwt route and
// returns that answer.
func (w *world) waitForUser(t *testing.T, token, user string) answer {
	t.Helper()
	var a answer
	waitUntil(t, propagationBound, "the key to resolve to "+user, func() bool {
		a = w.viaProxy(t, "jwt", withToken(token))
		return a.Status == http.StatusOK && a.Principal.User.Name == user
	})
	return a
}

// waitForRefusal waits until both token routes refuse token with a 401 from
// the annotation strategy, and reports how long that took from since.
func (w *world) waitForRefusal(t *testing.T, token string, since time.Time, what string) {
	t.Helper()
	var mu sync.Mutex
	took := map[string]time.Duration{}
	var wg sync.WaitGroup
	for _, route := range []string{"jwt", "tokenreview"} {
		wg.Go(func() {
			var a answer
			waitUntil(t, propagationBound, route+" to refuse the key", func() bool {
				a = w.viaProxy(t, route, withToken(token))
				return a.Status != http.StatusOK
			})
			if a.Status != http.StatusUnauthorized || a.problemStrategy() != "annotation" {
				t.Errorf("%s: %d %s; want 401 from the annotation strategy", route, a.Status, a)
			}
			mu.Lock()
			took[route] = time.Since(since)
			mu.Unlock()
		})
	}
	wg.Wait()
	harness.Report.Addf(t, "%s: refused after %v (jwt), %v (tokenreview)", what,
		took["jwt"].Round(time.Millisecond), took["tokenreview"].Round(time.Millisecond))
}

// release removes holdFinalizer from the ServiceAccount name, if it is
// still there, so that its deletion can finish.
func (w *world) release(t *testing.T, name string) {
	// Cleanups run after t.Context() is canceled.
	ctx := context.Background()
	sas := w.admin.CoreV1().ServiceAccounts(keyNamespace)
	sa, err := sas.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	kept := sa.Finalizers[:0]
	for _, f := range sa.Finalizers {
		if f != holdFinalizer {
			kept = append(kept, f)
		}
	}
	sa.Finalizers = kept
	if _, err := sas.Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
		t.Logf("releasing %s: %v", name, err)
	}
}
