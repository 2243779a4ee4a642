package strategies_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

func TestServiceAccount(t *testing.T) {
	key := &authn.ServiceAccount{Namespace: "team", Name: "key"}
	tests := []struct {
		name  string
		sofar authn.Principal
		want  authn.Decision
	}{
		{
			name:  "human is not its business",
			sofar: authn.Principal{User: authn.User{Name: "alice@example.com"}},
			want:  authn.Skip("not a ServiceAccount subject"),
		},
		{
			name:  "no user at all",
			sofar: authn.Principal{},
			want:  authn.Skip("not a ServiceAccount subject"),
		},
		{
			name:  "other system user is not its business",
			sofar: authn.Principal{User: authn.User{Name: "system:admin"}},
			want:  authn.Skip("not a ServiceAccount subject"),
		},
		{
			name:  "ServiceAccount group prefix is not a subject",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccounts:team"}},
			want:  authn.Skip("not a ServiceAccount subject"),
		},
		{
			name: "actor already set",
			sofar: authn.Principal{
				User:  authn.User{Name: "system:serviceaccount:team:other"},
				Actor: key,
			},
			want: authn.Skip("not a ServiceAccount subject"),
		},
		{
			name:  "subject becomes the actor and the user is cleared",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key"}},
			want: authn.Contribute(authn.Principal{
				Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"},
			}, "ServiceAccount subject"),
		},
		{
			name: "every user field is cleared",
			sofar: authn.Principal{User: authn.User{
				Name:   "system:serviceaccount:stackrox-1:ambient-key-2b3908aa",
				UID:    "u-1",
				Email:  "key@example.com",
				Groups: []string{"system:serviceaccounts", "admins"},
				Extra:  map[string][]string{"scope": {"all"}},
			}},
			want: authn.Contribute(authn.Principal{
				Actor: &authn.ServiceAccount{Namespace: "stackrox-1", Name: "ambient-key-2b3908aa"},
			}, "ServiceAccount subject"),
		},
		{
			name:  "extra part is rejected, not treated as a human",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key:extra"}},
			want:  authn.Reject(authn.ErrSubjectParts.Error()),
		},
		{
			name:  "missing name part",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team"}},
			want:  authn.Reject(authn.ErrSubjectParts.Error()),
		},
		{
			name:  "upper-case namespace",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:Team:key"}},
			want:  authn.Reject(authn.ErrSubjectNamespace.Error()),
		},
		{
			name:  "empty name",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:"}},
			want:  authn.Reject(authn.ErrSubjectName.Error()),
		},
		{
			name:  "control character in name",
			sofar: authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key\n"}},
			want:  authn.Reject(authn.ErrSubjectName.Error()),
		},
	}
	s := strategies.ServiceAccount()
	if s.Name() != "serviceaccount" {
		t.Fatalf("Name() = %q", s.Name())
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Authenticate(r, tt.sofar)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authenticate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServiceAccountInChain checks the guarantee that matters: through a
// chain, a key never comes out as a human named after its subject.
func TestServiceAccountInChain(t *testing.T) {
	forwarded := authn.StrategyFunc("test-forwarded", func(r *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: r.Header.Get("X-Forwarded-User")}
		return authn.Contribute(p, "header")
	})
	chain, err := authn.NewChain(forwarded, strategies.ServiceAccount())
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-User", "system:serviceaccount:team:key")
	if p, _, err := chain.Authenticate(r); err == nil {
		t.Fatalf("key authenticated as %+v; want an error for a ServiceAccount without an effective user", p)
	}
}

// BenchmarkServiceAccount: 1 allocs/op (the Actor) for a subject; 0 for a
// human.
func BenchmarkServiceAccount(b *testing.B) {
	s := strategies.ServiceAccount()
	r := httptest.NewRequest("GET", "/", nil)
	sofar := authn.Principal{User: authn.User{Name: "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa"}}
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, sofar); d.Outcome != authn.Contributed {
			b.Fatal(d)
		}
	}
}

func TestServiceAccountAllocs(t *testing.T) {
	s := strategies.ServiceAccount()
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range []struct {
		user string
		max  float64
	}{
		{"system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa", 1},
		{"alice@example.com", 0},
		{"system:serviceaccount:Team:key", 0},
	} {
		sofar := authn.Principal{User: authn.User{Name: tt.user}}
		if n := testing.AllocsPerRun(100, func() { s.Authenticate(r, sofar) }); n > tt.max {
			t.Errorf("%q: %v allocs/op, want at most %v", tt.user, n, tt.max)
		}
	}
}
