package assertion_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
)

// Set clears every inbound copy, in every spelling, of the configured and
// the default identity headers, then writes the Principal's.
func TestPlainHeaders(t *testing.T) {
	ph, err := assertion.NewPlainHeaders("X-Runner-User", "X-Runner-Group", "X-Runner-Actor")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{
		"X-Runner-User":    {"mallory"},
		"x_runner_user":    {"mallory"},
		"X-RUNNER-GROUP":   {"admins"},
		"X-Runner-Actor":   {"system:serviceaccount:kube-system:admin"},
		"X-Forwarded-User": {"mallory"},
		"Content-Type":     {"application/json"},
	}
	if err := ph.Set(h, alice()); err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"X-Runner-User":  {"alice@example.com"},
		"X-Runner-Group": {"team-a"},
		"X-Runner-Actor": {"system:serviceaccount:team-a:runner-key"},
		"Content-Type":   {"application/json"},
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}

	// No actor: no actor header, and the inbound one is gone.
	h = http.Header{"X-Runner-Actor": {"system:serviceaccount:kube-system:admin"}}
	if err := ph.Set(h, authn.Principal{User: authn.User{Name: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(http.Header{"X-Runner-User": {"bob"}}, h); diff != "" {
		t.Errorf("no actor (-want +got):\n%s", diff)
	}

	// No principal: only cleared.
	h = http.Header{"X-Runner-User": {"mallory"}}
	if err := ph.Set(h, authn.Principal{}); !errors.Is(err, assertion.ErrNoPrincipal) || len(h) != 0 {
		t.Errorf("no principal: %v, %v", err, h)
	}
}

func TestNewPlainHeadersRefuses(t *testing.T) {
	for name, names := range map[string][3]string{
		"no user":      {"", "G", "A"},
		"invalid user": {"X User", "", ""},
		"invalid":      {"U", "G:", ""},
	} {
		if ph, err := assertion.NewPlainHeaders(names[0], names[1], names[2]); err == nil {
			t.Errorf("%s: built %v", name, ph)
		}
	}
	if _, err := assertion.NewPlainHeaders("U", "", ""); err != nil {
		t.Errorf("user alone: %v", err)
	}
}
