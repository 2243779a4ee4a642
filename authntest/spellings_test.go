package authntest

import (
	"math/rand/v2"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
)

func TestSpellingsAreTheNameInOtherForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"X-Api-Key", []string{
			"X-Api-Key", "x-api-key", "X-API-KEY", "X_Api_Key", "x_api_key", "X_API_KEY",
			"X_api_key", "x-Api_KEY", "X_API-key", "X-api_Key", "x_ApI-kEy",
		}},
		{"x_forwarded_user", []string{
			"X_forwarded_user", "X-Forwarded-User", "x-forwarded-user", "X-FORWARDED-USER", "X_Forwarded_User",
			"x_forwarded_user", "X_FORWARDED_USER", "x-Forwarded_USER", "X_FORWARDED-user", "X-forwarded_User", "x_FoRwArDeD-uSeR",
		}},
		{"Authorization", []string{"Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"}},
	} {
		got := spellings(tc.name)
		if !slices.Equal(got, tc.want) {
			t.Errorf("spellings(%q) = %q, want %q", tc.name, got, tc.want)
		}
		for i, sp := range got {
			if !authn.HeaderNameEqual(sp, tc.name) {
				t.Errorf("spellings(%q): %q is another header", tc.name, sp)
			}
			if slices.Contains(got[:i], sp) {
				t.Errorf("spellings(%q): %q twice", tc.name, sp)
			}
		}
		// What Go's server makes of the '_' form must be among them.
		served := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(strings.ToLower(tc.name), "-", "_"))
		if !slices.Contains(got, served) {
			t.Errorf("spellings(%q) lacks %q, the key a Go server delivers", tc.name, served)
		}
	}
}

// TestRandomSpellingsAreNewAndReplayable: random spellings are the same
// header, none of the fixed ones, each once, and a seed gives them again.
func TestRandomSpellingsAreNewAndReplayable(t *testing.T) {
	for _, name := range []string{"X-Api-Key", "Authorization", "x_forwarded_user"} {
		got := randomSpellings(name, rand.New(rand.NewPCG(7, 7)), 4)
		if len(got) != 4 {
			t.Errorf("%s: %d random spellings, want 4: %q", name, len(got), got)
		}
		for i, sp := range got {
			if !authn.HeaderNameEqual(sp, name) {
				t.Errorf("%s: %q is another header", name, sp)
			}
			if slices.Contains(spellings(name), sp) || slices.Contains(got[:i], sp) {
				t.Errorf("%s: %q is not new", name, sp)
			}
		}
		if again := randomSpellings(name, rand.New(rand.NewPCG(7, 7)), 4); !slices.Equal(got, again) {
			t.Errorf("%s: seed 7 gave %q, then %q", name, got, again)
		}
	}
	// A name with nothing left to vary yields what there is.
	if got := randomSpellings("A", rand.New(rand.NewPCG(1, 1)), 4); len(got) != 0 {
		t.Errorf("randomSpellings(A) = %q; both spellings are fixed ones", got)
	}
}
