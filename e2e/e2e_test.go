//go:build linux

package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

// TestSeedStory is the story the library exists for: the platform creates
// an access key for alice, a tool calls through oauth2-proxy with its
// token, and the app sees alice acting through the key.
func TestSeedStory(t *testing.T) {
	w := newWorld(t)
	sa, token := w.createKey(t, "ambient-key-alice", "alice@example.com", map[string]string{roleAnnotation: "read-only"})

	for _, route := range []string{"jwt", "tokenreview"} {
		t.Run(route, func(t *testing.T) {
			var a answer
			waitUntil(t, 10*time.Second, "the key to resolve", func() bool {
				a = w.viaProxy(t, route, withToken(token))
				return a.Status == http.StatusOK
			})
			want := authn.Principal{
				User: authn.User{Name: "alice@example.com"},
				Actor: &authn.ServiceAccount{
					Namespace: keyNamespace, Name: "ambient-key-alice", UID: string(sa.UID),
					Attributes: map[string]string{roleAnnotation: "read-only"},
				},
			}
			got := a.Principal
			if got.Credential == nil || got.Credential.Type != route && !(route == "jwt" && got.Credential.Type == "jwt") {
				t.Errorf("credential %+v, want type %s", got.Credential, route)
			}
			got.Credential, got.Via = nil, nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("principal (-want +got):\n%s\nbody: %s", diff, a)
			}
		})
	}
}
