package strategies_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/tokentest"
)

// subjectRefused is the decision for a well-formed subject that no token
// proved.
var subjectRefused = authn.Reject("ServiceAccount subject without a verified token").WithDetail(
	"a forwarded ServiceAccount subject is believed only with a verified bearer token for the same ServiceAccount in the same request")

func TestServiceAccount(t *testing.T) {
	key := &authn.ServiceAccount{Namespace: "team", Name: "key"}
	tests := []struct {
		name  string
		sofar authn.Principal
		// want is the decision by default; wantInsecure under
		// InsecureBelieveForwardedSubjects, when it differs.
		want, wantInsecure authn.Decision
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
			// What a token strategy leaves after verifying the subject's
			// token: the proof is already in.
			name: "actor already set by a token",
			sofar: authn.Principal{
				Actor:      &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-1"},
				Credential: &authn.Credential{Type: "jwt"},
			},
			want: authn.Skip("not a ServiceAccount subject"),
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
			name:         "subject without a token is refused, or becomes the actor when believed",
			sofar:        authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key"}},
			want:         subjectRefused,
			wantInsecure: authn.Contribute(authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"}}, "ServiceAccount subject"),
		},
		{
			// A credential that made no Actor proves nothing about the
			// subject.
			name: "subject beside a credential that is not its token",
			sofar: authn.Principal{
				User:       authn.User{Name: "system:serviceaccount:team:key"},
				Credential: &authn.Credential{Type: "tokenreview"},
			},
			want: subjectRefused,
			wantInsecure: authn.Contribute(authn.Principal{
				Actor:      &authn.ServiceAccount{Namespace: "team", Name: "key"},
				Credential: &authn.Credential{Type: "tokenreview"},
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
			want: subjectRefused,
			wantInsecure: authn.Contribute(authn.Principal{
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
	strict := strategies.ServiceAccount()
	believing := strategies.ServiceAccount(strategies.InsecureBelieveForwardedSubjects())
	if strict.Name() != "serviceaccount" || believing.Name() != "serviceaccount" {
		t.Fatalf("Name() = %q, %q", strict.Name(), believing.Name())
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, strict.Authenticate(r, tt.sofar)); diff != "" {
				t.Errorf("default: Authenticate mismatch (-want +got):\n%s", diff)
			}
			want := tt.wantInsecure
			if want.Reason == "" { // every decision has a reason
				want = tt.want
			}
			if diff := cmp.Diff(want, believing.Authenticate(r, tt.sofar)); diff != "" {
				t.Errorf("InsecureBelieveForwardedSubjects: Authenticate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServiceAccountNilOptionIgnored: a nil option cannot turn the proof
// off.
func TestServiceAccountNilOptionIgnored(t *testing.T) {
	s := strategies.ServiceAccount(nil)
	d := s.Authenticate(httptest.NewRequest("GET", "/", nil), authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key"}})
	if diff := cmp.Diff(subjectRefused, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestServiceAccountInChain checks the guarantee that matters: through a
// chain, a key never comes out as a human named after its subject, whether
// or not subjects are believed.
func TestServiceAccountInChain(t *testing.T) {
	forwarded := authn.StrategyFunc("test-forwarded", func(r *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: r.Header.Get("X-Forwarded-User")}
		return authn.Contribute(p, "header")
	})
	for _, s := range []*strategies.ServiceAccountStrategy{
		strategies.ServiceAccount(),
		strategies.ServiceAccount(strategies.InsecureBelieveForwardedSubjects()),
	} {
		chain, err := authn.NewChain(forwarded, s)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-User", "system:serviceaccount:team:key")
		if p, _, err := chain.Authenticate(r); err == nil {
			t.Fatalf("key authenticated as %+v; want an error for a ServiceAccount without an effective user", p)
		}
	}
}

// TestServiceAccountProof runs the proof rule through the chain it is
// written for: forwarded headers, a token strategy, serviceaccount and the
// creator annotation over a cache. The forwarded subject is believed only
// with a verified token of the same ServiceAccount, and only of the
// incarnation in the cache.
func TestServiceAccountProof(t *testing.T) {
	const subject = "system:serviceaccount:team-a:builder" // jwtClaims' ServiceAccount
	builder := newTestSA("team-a", "builder", saUID("sa-uid-1"), saAccessKey(), saCreatedBy("alice@example.com"))
	other := newTestSA("team-a", "other", saAccessKey(), saCreatedBy("bob@example.com"))
	recreated := newTestSA("team-a", "builder", saUID("sa-uid-2"), saAccessKey(), saCreatedBy("mallory@example.com"))

	trust, err := strategies.TrustPeerCIDRs("192.0.2.0/24") // httptest's peer
	if err != nil {
		t.Fatal(err)
	}
	forwarded, err := strategies.Forwarded(trust)
	if err != nil {
		t.Fatal(err)
	}
	newChain := func(t *testing.T, cluster []*corev1.ServiceAccount, opts ...strategies.ServiceAccountOption) *authn.Chain {
		t.Helper()
		annotation, err := strategies.CreatorAnnotation(indexerReader(t, cluster...),
			strategies.RequireLabels(map[string]string{"app": "ambient-access-key"}))
		if err != nil {
			t.Fatal(err)
		}
		chain, err := authn.NewChain(forwarded, tokenStrategy(t), strategies.ServiceAccount(opts...), annotation)
		if err != nil {
			t.Fatal(err)
		}
		return chain
	}
	token := tokentest.RSA(t, tokentest.Claims())
	otherToken := tokentest.RSA(t, tokentest.Claims(tokentest.Set("sub", "system:serviceaccount:team-a:other"),
		tokentest.SetK8s("serviceaccount", map[string]any{"name": "other", "uid": "uid-other"})))

	tests := []struct {
		name    string
		cluster []*corev1.ServiceAccount
		opts    []strategies.ServiceAccountOption
		user    string // X-Forwarded-User, if any
		token   string
		// wantUser is the resolved human, or "" for a refusal by
		// wantStrategy with wantReason.
		wantUser, wantUID        string
		wantStrategy, wantReason string
	}{{
		name:         "subject without a token is refused",
		cluster:      []*corev1.ServiceAccount{builder},
		user:         subject,
		wantStrategy: "serviceaccount", wantReason: subjectRefused.Reason,
	}, {
		name:    "subject with its own token acts for the creator",
		cluster: []*corev1.ServiceAccount{builder},
		user:    subject, token: token,
		wantUser: "alice@example.com", wantUID: "sa-uid-1",
	}, {
		name:     "token alone acts for the creator",
		cluster:  []*corev1.ServiceAccount{builder},
		token:    token,
		wantUser: "alice@example.com", wantUID: "sa-uid-1",
	}, {
		name:    "subject with another key's token is refused",
		cluster: []*corev1.ServiceAccount{builder, other},
		user:    subject, token: otherToken,
		wantStrategy: "jwt", wantReason: "forwarded ServiceAccount does not match the token's ServiceAccount",
	}, {
		// The old incarnation's token names the same ServiceAccount; its
		// uid is what tells it apart.
		name:    "token of a re-created ServiceAccount is refused",
		cluster: []*corev1.ServiceAccount{recreated},
		user:    subject, token: token,
		wantStrategy: "annotation", wantReason: "ServiceAccount was re-created",
	}, {
		name:    "token of a deleted ServiceAccount is refused",
		cluster: []*corev1.ServiceAccount{other},
		user:    subject, token: token,
		wantStrategy: "annotation", wantReason: "the token's ServiceAccount no longer exists",
	}, {
		name:     "believed subject without a token acts for the creator",
		cluster:  []*corev1.ServiceAccount{builder},
		opts:     []strategies.ServiceAccountOption{strategies.InsecureBelieveForwardedSubjects()},
		user:     subject,
		wantUser: "alice@example.com", wantUID: "sa-uid-1",
	}, {
		// What the option gives away: the header alone speaks for
		// whichever ServiceAccount has the name now.
		name:     "believed subject acts for the re-created ServiceAccount's creator",
		cluster:  []*corev1.ServiceAccount{recreated},
		opts:     []strategies.ServiceAccountOption{strategies.InsecureBelieveForwardedSubjects()},
		user:     subject,
		wantUser: "mallory@example.com", wantUID: "sa-uid-2",
	}, {
		name:    "a believed subject still needs the token's uid to match",
		cluster: []*corev1.ServiceAccount{recreated},
		opts:    []strategies.ServiceAccountOption{strategies.InsecureBelieveForwardedSubjects()},
		user:    subject, token: token,
		wantStrategy: "annotation", wantReason: "ServiceAccount was re-created",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tokentest.Request(tt.token)
			if tt.user != "" {
				r.Header.Set("X-Forwarded-User", tt.user)
			}
			p, trace, err := newChain(t, tt.cluster, tt.opts...).Authenticate(r)
			if tt.wantUser == "" {
				var aerr *authn.Error
				if !errors.As(err, &aerr) || authn.StatusCode(err) != http.StatusUnauthorized ||
					aerr.Strategy != tt.wantStrategy || aerr.Reason != tt.wantReason {
					t.Fatalf("err = %v, want 401 from %s: %s (principal %+v, trace %v)", err, tt.wantStrategy, tt.wantReason, p, trace)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, trace %v", err, trace)
			}
			if p.User.Name != tt.wantUser || p.Actor == nil || p.Actor.Subject() != subject || p.Actor.UID != tt.wantUID {
				t.Errorf("principal %+v actor %+v, want %s through %s uid %s", p, p.Actor, tt.wantUser, subject, tt.wantUID)
			}
		})
	}
}

// TestServiceAccountProofNeedsTheCache shows why the doc asks for
// CreatorAnnotation after this strategy: without a look-up of the object,
// nothing compares the token's uid with the cluster's, and a token of a
// deleted incarnation passes on its name.
func TestServiceAccountProofNeedsTheCache(t *testing.T) {
	creator := authn.StrategyFunc("creator", func(_ *http.Request, sofar authn.Principal) authn.Decision {
		if sofar.Actor == nil || !sofar.User.IsZero() {
			return authn.Skip("no actor")
		}
		sofar.User = authn.User{Name: "alice@example.com"}
		return authn.Contribute(sofar, "creator, by name")
	})
	chain, err := authn.NewChain(tokenStrategy(t), strategies.ServiceAccount(), creator)
	if err != nil {
		t.Fatal(err)
	}
	old := tokentest.RSA(t, tokentest.Claims(tokentest.SetK8s("serviceaccount", map[string]any{"name": "builder", "uid": "uid-of-a-deleted-incarnation"})))
	if _, _, err := chain.Authenticate(tokentest.Request(old)); err != nil {
		t.Fatalf("err = %v; without a cache look-up the old token was expected to pass", err)
	}
}

// BenchmarkServiceAccount: a subject without a token, refused: 0
// allocs/op. BenchmarkServiceAccountBelieved: believed, 1 allocs/op (the
// Actor); a human costs 0 either way.
func BenchmarkServiceAccount(b *testing.B) {
	benchServiceAccount(b, strategies.ServiceAccount(), authn.Rejected)
}

func BenchmarkServiceAccountBelieved(b *testing.B) {
	benchServiceAccount(b, strategies.ServiceAccount(strategies.InsecureBelieveForwardedSubjects()), authn.Contributed)
}

func benchServiceAccount(b *testing.B, s *strategies.ServiceAccountStrategy, want authn.Outcome) {
	r := httptest.NewRequest("GET", "/", nil)
	sofar := authn.Principal{User: authn.User{Name: "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa"}}
	b.ReportAllocs()
	for b.Loop() {
		if d := s.Authenticate(r, sofar); d.Outcome != want {
			b.Fatal(d)
		}
	}
}

func TestServiceAccountAllocs(t *testing.T) {
	strict := strategies.ServiceAccount()
	believing := strategies.ServiceAccount(strategies.InsecureBelieveForwardedSubjects())
	r := httptest.NewRequest("GET", "/", nil)
	for _, tt := range []struct {
		s    *strategies.ServiceAccountStrategy
		user string
		max  float64
	}{
		{strict, "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa", 0},
		{believing, "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa", 1},
		{strict, "alice@example.com", 0},
		{believing, "alice@example.com", 0},
		{strict, "system:serviceaccount:Team:key", 0},
		{believing, "system:serviceaccount:Team:key", 0},
	} {
		sofar := authn.Principal{User: authn.User{Name: tt.user}}
		if n := testing.AllocsPerRun(100, func() { tt.s.Authenticate(r, sofar) }); n > tt.max {
			t.Errorf("%q: %v allocs/op, want at most %v", tt.user, n, tt.max)
		}
	}
}

// tokenStrategy is the jwt strategy for the tokens tokentest.RSA mints.
func tokenStrategy(t testing.TB) *jwt.Strategy {
	t.Helper()
	keys, err := jwks.Static(tokentest.StaticJWKS(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.ServiceAccount(tokentest.Issuer, keys, jwt.WithAudiences(tokentest.Audience), jwt.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
