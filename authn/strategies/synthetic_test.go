package strategies_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

func TestSynthetic(t *testing.T) {
	actor := func() *authn.ServiceAccount {
		return &authn.ServiceAccount{Namespace: "stackrox-1", Name: "ci-bot", UID: "uid-ci-bot", Attributes: map[string]string{"scope": "read"}}
	}
	byName := strategies.WithSyntheticName(func(sa authn.ServiceAccount) string {
		return authn.SyntheticNamePrefix + sa.Namespace + "." + sa.Name
	})
	named := func(name string) []strategies.SyntheticOption {
		return []strategies.SyntheticOption{strategies.WithSyntheticName(func(authn.ServiceAccount) string { return name })}
	}
	tests := []struct {
		name  string
		opts  []strategies.SyntheticOption
		sofar authn.Principal
		want  authn.Decision
	}{
		{
			name:  "no actor",
			sofar: authn.Principal{User: authn.User{Name: "alice@example.com"}},
			want:  authn.Skip("no actor awaiting a user"),
		},
		{
			name:  "nothing at all",
			sofar: authn.Principal{},
			want:  authn.Skip("no actor awaiting a user"),
		},
		{
			name:  "user already resolved",
			sofar: authn.Principal{User: authn.User{Name: "alice@example.com"}, Actor: actor()},
			want:  authn.Skip("no actor awaiting a user"),
		},
		{
			name:  "default legacy name, actor kept",
			sofar: authn.Principal{Actor: actor()},
			want: authn.Contribute(authn.Principal{
				User:      authn.User{Name: "system-serviceaccount-stackrox-1-ci-bot"},
				Actor:     actor(),
				Synthetic: true,
			}, "synthetic user for ServiceAccount"),
		},
		{
			name:  "nil namer keeps the default",
			opts:  []strategies.SyntheticOption{strategies.WithSyntheticName(nil)},
			sofar: authn.Principal{Actor: actor()},
			want: authn.Contribute(authn.Principal{
				User:      authn.User{Name: "system-serviceaccount-stackrox-1-ci-bot"},
				Actor:     actor(),
				Synthetic: true,
			}, "synthetic user for ServiceAccount"),
		},
		{
			name:  "custom namer",
			opts:  []strategies.SyntheticOption{byName},
			sofar: authn.Principal{Actor: actor()},
			want: authn.Contribute(authn.Principal{
				User:      authn.User{Name: "system-serviceaccount-stackrox-1.ci-bot"},
				Actor:     actor(),
				Synthetic: true,
			}, "synthetic user for ServiceAccount"),
		},
		{
			name:  "namer returning empty is rejected",
			opts:  named(""),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name lacks the synthetic prefix"),
		},
		{
			name:  "namer returning the subject is rejected",
			opts:  []strategies.SyntheticOption{strategies.WithSyntheticName(authn.ServiceAccount.Subject)},
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name lacks the synthetic prefix"),
		},
		{
			name:  "namer returning another system name is rejected",
			opts:  named("system:masters"),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name lacks the synthetic prefix"),
		},
		{
			name:  "namer returning a human's name is rejected",
			opts:  named("alice@example.com"),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name lacks the synthetic prefix"),
		},
		{
			name:  "the prefix in another case is not the prefix",
			opts:  named("SYSTEM-SERVICEACCOUNT-stackrox-1-ci-bot"),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name lacks the synthetic prefix"),
		},
		{
			name:  "namer returning the prefix and a zero-width space is rejected",
			opts:  named(authn.SyntheticNamePrefix + "ci\u200bbot"),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name contains an invisible format character"),
		},
		{
			name:  "namer returning the prefix and a newline is rejected",
			opts:  named(authn.SyntheticNamePrefix + "ci\nbot"),
			sofar: authn.Principal{Actor: actor()},
			want:  authn.Reject("synthetic name contains a control character"),
		},
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := strategies.Synthetic(tt.opts...)
			if s.Name() != "synthetic" {
				t.Fatalf("Name() = %q", s.Name())
			}
			got := s.Authenticate(r, tt.sofar)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authenticate mismatch (-want +got):\n%s", diff)
			}
			if got.Outcome == authn.Contributed {
				if got.Principal.Actor != tt.sofar.Actor {
					t.Error("Actor was replaced; want the same ServiceAccount kept")
				}
				if !got.Principal.Synthetic || got.Principal.IsHuman() {
					t.Error("a synthetic user must never count as a human")
				}
			}
		})
	}
}

// TestSyntheticLongNameIsBounded: the legacy id is cut to 253 bytes, so
// the longest ServiceAccount still gets a usable, non-reserved name.
func TestSyntheticLongNameIsBounded(t *testing.T) {
	sa := &authn.ServiceAccount{Namespace: strings.Repeat("n", 63), Name: strings.Repeat("a", 253)}
	d := strategies.Synthetic().Authenticate(httptest.NewRequest("GET", "/", nil), authn.Principal{Actor: sa})
	if d.Outcome != authn.Contributed {
		t.Fatalf("got %v %q", d.Outcome, d.Reason)
	}
	if n := len(d.Principal.User.Name); n == 0 || n > 253 {
		t.Errorf("name of %d bytes", n)
	}
}

// BenchmarkSynthetic: 2 allocs/op with the default name (the subject and
// the legacy id built from it).
func BenchmarkSynthetic(b *testing.B) {
	s := strategies.Synthetic()
	r := httptest.NewRequest("GET", "/", nil)
	sofar := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "stackrox-1", Name: "ambient-key-test-write-2b3908aa"}}
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, sofar); d.Outcome != authn.Contributed {
			b.Fatal(d)
		}
	}
}

func TestSyntheticAllocs(t *testing.T) {
	s := strategies.Synthetic()
	r := httptest.NewRequest("GET", "/", nil)
	sofar := authn.Principal{Actor: &authn.ServiceAccount{Namespace: "stackrox-1", Name: "ambient-key-test-write-2b3908aa"}}
	if n := testing.AllocsPerRun(100, func() { s.Authenticate(r, sofar) }); n > 2 {
		t.Errorf("%v allocs/op, want at most 2", n)
	}
}
