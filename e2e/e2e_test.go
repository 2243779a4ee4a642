//go:build linux

package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
)

// propagationBound is the longest a cluster change may take to reach the
// app's answers. Informers deliver in milliseconds on loopback; the bound
// leaves room for a loaded CI machine.
const propagationBound = 10 * time.Second

// TestSeedStory is the story the library exists for: the platform creates
// an access key for alice, a tool calls through oauth2-proxy with its
// token, and the app sees alice acting through the key. The app requires
// token proof for forwarded ServiceAccount subjects (the default):
// oauth2-proxy forwards the token's subject and passes the token on, and
// both are checked.
func TestSeedStory(t *testing.T) {
	w := newWorld(t)
	start := time.Now()
	sa, token := w.createKey(t, "ambient-key-alice", "alice@example.com", map[string]string{roleAnnotation: "read-only"})

	for _, route := range []string{"jwt", "tokenreview"} {
		t.Run(route, func(t *testing.T) {
			var a answer
			waitUntil(t, propagationBound, "the key to resolve", func() bool {
				a = w.viaProxy(t, route, withToken(token))
				return a.Status == http.StatusOK
			})
			if route == "jwt" {
				harness.Report.Addf(t, "new key usable %v after the platform started creating it", time.Since(start).Round(time.Millisecond))
			}
			want := authn.Principal{
				User: authn.User{Name: "alice@example.com"},
				Actor: &authn.ServiceAccount{
					Namespace: keyNamespace, Name: "ambient-key-alice", UID: string(sa.UID),
					Attributes: map[string]string{roleAnnotation: "read-only"},
				},
			}
			got := a.Principal
			if want := []string{"forwarded", route, "annotation"}; !slices.Equal(got.Via, want) {
				t.Errorf("via %v, want %v: the proxy's subject, proven by the token", got.Via, want)
			}
			if got.Credential == nil || got.Credential.Type != route {
				t.Errorf("credential %+v, want type %s", got.Credential, route)
			} else if !slices.Contains(got.Credential.Audiences, audience) {
				t.Errorf("credential audiences %v, want %s", got.Credential.Audiences, audience)
			}
			got.Credential, got.Via = nil, nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s\nbody: %s", diff, a)
			}
		})
	}
}

// TestHumans calls as people: through oauth2-proxy (signed in with basic
// auth, standing in for the identity provider) and through a Kubernetes
// front proxy that proves itself with a client certificate.
func TestHumans(t *testing.T) {
	w := newWorld(t)
	w.createKey(t, "ambient-key-alice", "alice@example.com", nil)

	t.Run("oauth2-proxy", func(t *testing.T) {
		a := w.viaProxy(t, "jwt", asUser("bob@example.com"))
		if a.Status != http.StatusOK || a.Principal.User.Name != "bob@example.com" || a.Principal.Actor != nil || a.Principal.Synthetic {
			t.Errorf("got %d %s; want bob, no actor", a.Status, a)
		}
	})
	t.Run("oauth2-proxy replaces identity headers a client sends", func(t *testing.T) {
		a := w.viaProxy(t, "jwt", func(r *http.Request) {
			asUser("bob@example.com")(r)
			r.Header.Set("X-Forwarded-User", "system:serviceaccount:keys:ambient-key-alice")
			r.Header.Set("X-Forwarded-Groups", "system:masters")
		})
		if a.Status != http.StatusOK || a.Principal.User.Name != "bob@example.com" || len(a.Principal.User.Groups) != 0 || a.Principal.Actor != nil {
			t.Errorf("got %d %s; want bob without groups", a.Status, a)
		}
	})
	t.Run("oauth2-proxy refuses anonymous callers", func(t *testing.T) {
		a := w.viaProxy(t, "jwt", func(r *http.Request) { r.Header.Set("X-Forwarded-User", "alice@example.com") })
		if a.Status == http.StatusOK {
			t.Errorf("got %d %s; want the proxy to refuse", a.Status, a)
		}
	})

	frontURL := w.front.URL + "/front/whoami"
	frontHeaders := func(user string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("X-Remote-User", user)
			// One group per line, as Kubernetes reads them; the comma is
			// part of the first group's name.
			r.Header.Add("X-Remote-Group", "devs,qa")
			r.Header.Add("X-Remote-Group", "ops")
		}
	}
	otherCA, err := NewCA("not the front-proxy CA")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("front proxy with its certificate", func(t *testing.T) {
		a := w.call(t, w.frontClient(t, w.frontProxyCA, "front-proxy-client"), frontURL, frontHeaders("bob@example.com"))
		want := authn.User{Name: "bob@example.com", Groups: []string{"devs,qa", "ops"}}
		if a.Status != http.StatusOK || !cmp.Equal(a.Principal.User, want) || a.Principal.Actor != nil {
			t.Errorf("got %d %s; want %+v", a.Status, a, want)
		}
	})
	for _, tc := range []struct {
		name string
		ca   *CA
		cn   string
	}{
		{"no client certificate", nil, ""},
		{"certificate with another name", w.frontProxyCA, "someone-else"},
		{"certificate from another CA", otherCA, "front-proxy-client"},
	} {
		t.Run("front proxy refuses "+tc.name, func(t *testing.T) {
			a := w.call(t, w.frontClient(t, tc.ca, tc.cn), frontURL, frontHeaders("bob@example.com"))
			if a.Status != http.StatusUnauthorized || a.problemStrategy() != "forwarded" {
				t.Errorf("got %d %s; want 401 from forwarded", a.Status, a)
			}
		})
	}
}

// TestKeyLifecycle follows access keys through what happens to them in a
// cluster: keys without a creator, forged creators, deletion,
// re-creation under the same name and a change of creator. Propagation
// times are measured from the API call's return to the first answer
// through oauth2-proxy that reflects it.
func TestKeyLifecycle(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	alice, aliceToken := w.createKey(t, "ambient-key-alice", "alice@example.com", nil)
	waitUntil(t, propagationBound, "alice's key", func() bool {
		return w.viaProxy(t, "jwt", withToken(aliceToken)).Status == http.StatusOK
	})
	// The TokenReview route now holds the API server's "authenticated"
	// for this token (for two minutes): below, only the ServiceAccount
	// cache can notice that the key is gone.
	if a := w.viaProxy(t, "tokenreview", withToken(aliceToken)); a.Status != http.StatusOK {
		t.Fatalf("tokenreview: %d %s", a.Status, a)
	}

	t.Run("key without a creator is synthetic", func(t *testing.T) {
		_, token := w.createKey(t, "ci-bot", "", nil)
		var a answer
		waitUntil(t, propagationBound, "the key to be cached", func() bool {
			a = w.viaProxy(t, "jwt", withToken(token))
			return a.Status == http.StatusOK
		})
		if !a.Principal.Synthetic || a.Principal.User.Name != "system-serviceaccount-keys-ci-bot" || a.Principal.Actor == nil {
			t.Errorf("got %s; want the synthetic user of ci-bot", a)
		}
	})

	t.Run("forged creators are refused", func(t *testing.T) {
		stolen := alice.Annotations[binding.DefaultAnnotation]
		otherKey := strings.Repeat("k", binding.MinKeyLen)
		for _, tc := range []struct {
			name        string
			labels      map[string]string
			annotations func(uid string) map[string]string
			detail      string
		}{{
			name:        "no binding",
			annotations: func(string) map[string]string { return nil },
			detail:      "creator annotation failed provenance", // binding signature missing in the trace
		}, {
			name: "binding copied from alice's key",
			annotations: func(string) map[string]string {
				return map[string]string{binding.DefaultAnnotation: stolen}
			},
			detail: "creator annotation failed provenance", // binding signature invalid in the trace
		}, {
			name: "binding signed with another key",
			annotations: func(uid string) map[string]string {
				return map[string]string{binding.DefaultAnnotation: mustSignBinding([]byte(otherKey), binding.Binding{Namespace: keyNamespace, Name: "forged-other-key", UID: uid, Creator: "alice@example.com"})}
			},
			detail: "creator annotation failed provenance", // binding signature invalid in the trace
		}, {
			name:        "no access-key label",
			labels:      map[string]string{},
			annotations: func(string) map[string]string { return nil },
			detail:      "creator annotation failed provenance", // label app is not ambient-access-key in the trace
		}} {
			t.Run(tc.name, func(t *testing.T) {
				name := "forged-" + strings.ReplaceAll(tc.name, " ", "-")
				name = strings.ReplaceAll(name, "'", "")
				lbls := tc.labels
				if lbls == nil {
					lbls = map[string]string{AccessKeyLabel: AccessKeyLabelValue}
				}
				sa, err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
					Name: name, Labels: lbls,
					Annotations: map[string]string{strategies.DefaultCreatorAnnotation: "alice@example.com"},
				}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if extra := tc.annotations(string(sa.UID)); len(extra) > 0 {
					for k, v := range extra {
						sa.Annotations[k] = v
					}
					if _, err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				token := w.token(t, name)
				var a answer
				waitUntil(t, propagationBound, "the forged key to be judged", func() bool {
					a = w.viaProxy(t, "jwt", withToken(token))
					return a.Status != http.StatusUnauthorized || strings.Contains(a.Body, tc.detail)
				})
				if a.Status != http.StatusUnauthorized || a.problemStrategy() != "annotation" {
					t.Errorf("got %d %s; want 401 from annotation: %s", a.Status, a, tc.detail)
				}
			})
		}
	})

	t.Run("creator changed without a new binding is refused", func(t *testing.T) {
		sa, token := w.createKey(t, "ambient-key-edited", "alice@example.com", nil)
		waitUntil(t, propagationBound, "the key", func() bool { return w.viaProxy(t, "jwt", withToken(token)).Status == http.StatusOK })
		sa.Annotations[strategies.DefaultCreatorAnnotation] = "mallory@example.com"
		if _, err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Update(ctx, sa, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		took := waitUntil(t, propagationBound, "the edit to be refused", func() bool {
			return w.viaProxy(t, "jwt", withToken(token)).Status == http.StatusUnauthorized
		})
		harness.Report.Addf(t, "unsigned creator edit refused after %v", took.Round(time.Millisecond))
	})

	t.Run("deleted key is refused", func(t *testing.T) {
		if err := w.admin.CoreV1().ServiceAccounts(keyNamespace).Delete(ctx, "ambient-key-alice", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		var mu sync.Mutex
		took := map[string]time.Duration{}
		var wg sync.WaitGroup
		for _, route := range []string{"jwt", "tokenreview"} {
			wg.Go(func() {
				var a answer
				waitUntil(t, propagationBound, route+" to refuse the deleted key", func() bool {
					a = w.viaProxy(t, route, withToken(aliceToken))
					return a.Status == http.StatusUnauthorized
				})
				mu.Lock()
				took[route] = time.Since(deleted)
				mu.Unlock()
				if !strings.Contains(a.Body, "no longer exists") {
					t.Errorf("%s: %s; want the ServiceAccount reported gone", route, a)
				}
			})
		}
		wg.Wait()
		harness.Report.Addf(t, "deleted key refused after %v (jwt), %v (tokenreview)",
			took["jwt"].Round(time.Millisecond), took["tokenreview"].Round(time.Millisecond))
	})

	var recreated *corev1.ServiceAccount
	t.Run("re-created key refuses the old token", func(t *testing.T) {
		var newToken string
		recreated, newToken = w.createKey(t, "ambient-key-alice", "alice@example.com", nil)
		if recreated.UID == alice.UID {
			t.Fatal("re-created ServiceAccount has the old uid")
		}
		waitUntil(t, propagationBound, "the new incarnation", func() bool {
			return w.viaProxy(t, "jwt", withToken(newToken)).Status == http.StatusOK
		})
		for _, route := range []string{"jwt", "tokenreview"} {
			a := w.viaProxy(t, route, withToken(aliceToken))
			if a.Status != http.StatusUnauthorized || !strings.Contains(a.Body, "re-created") {
				t.Errorf("%s, old token: %d %s; want 401, re-created", route, a.Status, a)
			}
			if a := w.viaProxy(t, route, withToken(newToken)); a.Status != http.StatusOK || a.Principal.Actor.UID != string(recreated.UID) {
				t.Errorf("%s, new token: %d %s; want the new incarnation", route, a.Status, a)
			}
		}
	})

	t.Run("changed creator is seen", func(t *testing.T) {
		if recreated == nil {
			t.Skip("needs the re-created key")
		}
		token := w.token(t, "ambient-key-alice")
		var times []time.Duration
		sa := recreated
		for i, creator := range []string{"carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com", "grace@example.com"} {
			var err error
			if sa, err = SetCreator(ctx, w.admin, sa, creator, bindingKey); err != nil {
				t.Fatal(err)
			}
			took := waitUntil(t, propagationBound, fmt.Sprintf("creator %d", i), func() bool {
				a := w.viaProxy(t, "jwt", withToken(token))
				return a.Status == http.StatusOK && a.Principal.User.Name == creator
			})
			times = append(times, took)
		}
		slices.Sort(times)
		harness.Report.Addf(t, "creator change seen after min %v, median %v, max %v (%d changes)",
			times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond), len(times))
	})
}
