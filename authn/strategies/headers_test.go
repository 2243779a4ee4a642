package strategies

import (
	"net/http"
	"testing"

	"github.com/authchain/authchain/authn"
)

// FuzzIsCanonicalHeaderKey holds the written-out canonical-case check to
// the answer of http.CanonicalHeaderKey, the spelling Go's server stores.
func FuzzIsCanonicalHeaderKey(f *testing.F) {
	for _, k := range []string{
		"X-Remote-Extra-Scopes", "x-remote-extra-scopes", "X-Remote-Extra-scopes", "X-REMOTE-USER",
		"X_Remote_User", "X-Remote_User", "X--Remote", "-X", "X-", "A-1b", "A-1B", "Ab Cd", "Ä", "", "X-Remote-Extra-%41",
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		want := authn.ValidHeaderName(key) && http.CanonicalHeaderKey(key) == key
		if got := isCanonicalHeaderKey(key); got != want {
			t.Errorf("isCanonicalHeaderKey(%q) = %v, want %v", key, got, want)
		}
	})
}
