//go:build linux

package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/kubecache"
)

// TestLabelSelectorCache mounts the /jwt and front routes over a cache of
// the access-key label only (kubecache.WithLabelSelector), as its doc says
// a deployment may, and checks what that doc promises of a ServiceAccount
// without the label: it is "not in the cache", so its forwarded subject
// alone, where subjects are believed without a token, gets the synthetic
// identity, and its bound token is refused as if the ServiceAccount had
// been deleted. A labelled key works as usual.
func TestLabelSelectorCache(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()

	cacheCtx, stopCache := context.WithCancel(context.Background())
	filtered := newCache(t, cacheCtx, w.admin,
		kubecache.WithLabelSelector(AccessKeyLabel+"="+AccessKeyLabelValue),
		kubecache.WithProjection(w.jwtConfig.Projection()))
	t.Cleanup(func() { stopCache(); filtered.Shutdown() })
	app := httptest.NewServer(NewApp(map[string]*authn.Chain{"jwt": chain(t, w.jwtConfig, filtered)}))
	t.Cleanup(app.Close)
	proxy := w.h.StartOAuth2Proxy(t, w.cluster, app.URL+"/", audience, users)
	believing := w.frontConfig
	believing.InsecureForwardedSubjectWithoutToken = true
	front := w.serveFront(t, NewApp(map[string]*authn.Chain{"front": chain(t, believing, filtered)}))
	waitUntil(t, propagationBound, "the filtered cache", filtered.HasSynced)

	// The unlabelled key is signed for alice like any key, so that only
	// the missing label sets it apart. It is created before the labelled
	// key, so that once the filtered cache holds the labelled one, the
	// unlabelled one is left out, not merely not delivered yet.
	unlabelled, err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "unlabelled-key"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetCreator(ctx, w.admin, unlabelled, "alice@example.com", bindingKey); err != nil {
		t.Fatal(err)
	}
	unlabelledToken := w.token(t, "unlabelled-key")
	labelled, labelledToken := w.createKey(t, "ambient-key-alice", "alice@example.com", nil)

	viaFilteredProxy := func(t *testing.T, edit func(*http.Request)) answer {
		t.Helper()
		return w.call(t, w.http, proxy.URL+"/jwt/whoami", edit)
	}

	t.Run("labelled key with a token", func(t *testing.T) {
		var a answer
		waitUntil(t, propagationBound, "the labelled key to resolve", func() bool {
			a = viaFilteredProxy(t, withToken(labelledToken))
			return a.Status == http.StatusOK
		})
		if a.Principal.Synthetic || a.Principal.User.Name != "alice@example.com" ||
			a.Principal.Actor == nil || a.Principal.Actor.UID != string(labelled.UID) {
			t.Errorf("got %s; want alice through the labelled key", a)
		}
	})

	t.Run("unlabelled key is known to the unfiltered cache", func(t *testing.T) {
		// The contrast: a cache of every ServiceAccount finds the key and
		// refuses it for its label, so below it is the filter, not the
		// cluster, that makes the key unknown. The label itself is a
		// policy detail, kept out of the body.
		const detail = "creator annotation failed provenance"
		var a answer
		waitUntil(t, propagationBound, "the unfiltered cache to judge the key", func() bool {
			a = w.viaProxy(t, "jwt", withToken(unlabelledToken))
			return a.Status == http.StatusUnauthorized && strings.Contains(a.Body, detail)
		})
		if a.problemStrategy() != "annotation" {
			t.Errorf("got %d %s; want 401 from annotation: %s", a.Status, a, detail)
		}
	})

	t.Run("unlabelled key with a token is refused as gone", func(t *testing.T) {
		a := viaFilteredProxy(t, withToken(unlabelledToken))
		if a.Status != http.StatusUnauthorized || a.problemStrategy() != "annotation" ||
			!strings.Contains(a.Body, "the token's ServiceAccount no longer exists") {
			t.Errorf("got %d %s; want 401 from annotation, ServiceAccount no longer exists", a.Status, a)
		}
	})

	t.Run("unlabelled key forwarded without a token is synthetic", func(t *testing.T) {
		client := w.frontClient(t, w.frontProxyCA, "front-proxy-client")
		a := w.call(t, client, front.URL+"/front/whoami", func(r *http.Request) {
			r.Header.Set("X-Remote-User", "system:serviceaccount:"+keyNamespace+":unlabelled-key")
		})
		want := authn.Principal{
			User:      authn.User{Name: "system-serviceaccount-keys-unlabelled-key"},
			Actor:     &authn.ServiceAccount{Namespace: keyNamespace, Name: "unlabelled-key"},
			Synthetic: true,
		}
		got := a.Principal
		got.Credential, got.Via = nil, nil
		if a.Status != http.StatusOK {
			t.Fatalf("got %d %s; want the synthetic user of unlabelled-key", a.Status, a)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("principal (-want +got):\n%s\nbody: %s", diff, a)
		}
	})
}
