package authn_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/authchain/authchain/authn"
)

func TestPrincipalJSON(t *testing.T) {
	tests := []struct {
		name string
		p    authn.Principal
		want string
	}{
		{
			name: "human",
			p:    authn.Principal{User: authn.User{Name: "alice", Groups: []string{"dev"}}, Via: []string{"forwarded"}},
			want: `{"user":{"name":"alice","groups":["dev"]},"actor":null,"synthetic":false,"via":["forwarded"]}`,
		},
		{
			name: "key acting for a human",
			p: authn.Principal{
				User:  authn.User{Name: "alice"},
				Actor: &authn.ServiceAccount{Namespace: "ns", Name: "key", UID: "u1", Attributes: map[string]string{"role": "read"}},
				Via:   []string{"forwarded", "serviceaccount", "annotation"},
			},
			want: `{"user":{"name":"alice"},"actor":{"namespace":"ns","name":"key","uid":"u1","attributes":{"role":"read"}},"synthetic":false,"via":["forwarded","serviceaccount","annotation"]}`,
		},
		{
			name: "zero",
			want: `{"user":{"name":""},"actor":null,"synthetic":false,"via":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			var back authn.Principal
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.p, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStorageKeyIsCollisionFree(t *testing.T) {
	// Names the legacy id folds together must stay apart.
	names := []string{
		"a:b", "a/b", "a-b", "a_b", "a--b", "-a-b-", "a b", "a_3ab", "A-B", "a.b",
		"system:serviceaccount:ns:key", "system-serviceaccount-ns-key",
		"alice@example.com", "alice_40example.com", "élise", "",
	}
	seen := map[string]string{}
	for _, n := range names {
		k := authn.Principal{User: authn.User{Name: n}}.StorageKey()
		if other, ok := seen[k]; ok {
			t.Errorf("StorageKey(%q) == StorageKey(%q) == %q", n, other, k)
		}
		seen[k] = n
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
				t.Errorf("StorageKey(%q) = %q has byte %q", n, k, c)
			}
		}
	}
	if got := (authn.Principal{User: authn.User{Name: "alice@example.com"}}).StorageKey(); got != "alice_40example.com" {
		t.Errorf("StorageKey(alice@example.com) = %q", got)
	}
}

// FuzzStorageKeyInjective: distinct names give keys that differ even under
// case folding, so a case-insensitive store keeps them apart.
func FuzzStorageKeyInjective(f *testing.F) {
	f.Add("a:b", "a/b")
	f.Add("a_b", "a_5fb")
	f.Add("Alice", "alice")
	f.Add(".", "_2e")
	f.Fuzz(func(t *testing.T, a, b string) {
		ka := authn.Principal{User: authn.User{Name: a}}.StorageKey()
		kb := authn.Principal{User: authn.User{Name: b}}.StorageKey()
		if a != b && strings.EqualFold(ka, kb) {
			t.Fatalf("StorageKey(%q) = %q and StorageKey(%q) = %q are equal under case folding", a, ka, b, kb)
		}
	})
}

// objectNameNames are names whose object names must be valid and distinct:
// ones the readable part folds together, ones differing only in case, and
// ones that push the readable part to its limits.
func objectNameNames() []string {
	return []string{
		"alice@example.com", "Alice@example.com", "ALICE@EXAMPLE.COM", "alice_40example.com",
		"a:b", "a/b", "a-b", "a_b", "a--b", "-a-b-", "a b", "A-B", "a.b", "a..b", "a.-b", "a-.b", ".a.", "..", ".", "-", "_",
		"élise", "Élise", "山田太郎", " ", "Zoë",
		"system:serviceaccount:ns:key", "system-serviceaccount-ns-key",
		strings.Repeat("a", 300), strings.Repeat("A", 300), strings.Repeat("a.", 200), strings.Repeat(".", 300),
		strings.Repeat("-", 62) + "a", strings.Repeat("a", 62) + ".b", strings.Repeat("é", 100),
	}
}

// TestObjectNameIsAValidSubdomain checks ObjectName's doc against
// Kubernetes' own validation: a DNS-1123 subdomain of at most 253 bytes,
// distinct for distinct names, even those that differ only in letter case.
func TestObjectNameIsAValidSubdomain(t *testing.T) {
	seen := map[string]string{}
	for _, n := range objectNameNames() {
		o := authn.Principal{User: authn.User{Name: n}}.ObjectName()
		if errs := validation.IsDNS1123Subdomain(o); len(errs) > 0 {
			t.Errorf("ObjectName(%q) = %q is not a DNS-1123 subdomain: %v", n, o, errs)
		}
		if len(o) > 253 {
			t.Errorf("ObjectName(%q) has %d bytes", n, len(o))
		}
		if other, ok := seen[o]; ok {
			t.Errorf("ObjectName(%q) == ObjectName(%q) == %q", n, other, o)
		}
		seen[o] = n
	}
	if got := (authn.Principal{}).ObjectName(); got != "" {
		t.Errorf("ObjectName of the zero Principal = %q, want empty", got)
	}
	got := authn.Principal{User: authn.User{Name: "alice@example.com"}}.ObjectName()
	if !strings.HasPrefix(got, "alice-example.com-") || len(got) != len("alice-example.com-")+52 {
		t.Errorf("ObjectName(alice@example.com) = %q, want the readable part, '-' and 52 digest characters", got)
	}
}

// TestObjectNameOfSyntheticUsersFollowsTheActor: as with StorageKey, the
// synthetic users of two ServiceAccounts whose legacy names collide get
// distinct, valid object names.
func TestObjectNameOfSyntheticUsersFollowsTheActor(t *testing.T) {
	synthetic := func(ns, name string) authn.Principal {
		actor := &authn.ServiceAccount{Namespace: ns, Name: name}
		return authn.Principal{User: authn.User{Name: authn.LegacyID(actor.Subject())}, Actor: actor, Synthetic: true}
	}
	a, b := synthetic("team-x", "bot").ObjectName(), synthetic("team", "x-bot").ObjectName()
	if a == b {
		t.Errorf("synthetic users of different ServiceAccounts share the object name %q", a)
	}
	for _, o := range []string{a, b} {
		if errs := validation.IsDNS1123Subdomain(o); len(errs) > 0 {
			t.Errorf("%q: %v", o, errs)
		}
	}
}

// TestStorageKeyIsAFileName: no key is a path element with a meaning of its
// own, or a hidden file.
func TestStorageKeyIsAFileName(t *testing.T) {
	for _, n := range objectNameNames() {
		k := authn.Principal{User: authn.User{Name: n}}.StorageKey()
		if k == "" || k == "." || k == ".." || strings.HasPrefix(k, ".") || strings.ContainsAny(k, "/\\\x00") {
			t.Errorf("StorageKey(%q) = %q is not a plain file name", n, k)
		}
	}
}

// FuzzObjectName checks ObjectName and StorageKey on arbitrary names: the
// object name is a valid DNS-1123 subdomain of at most 253 bytes, the key
// holds only [a-z0-9._-] and never starts with '.', and distinct names give
// distinct object names and keys, also under case folding.
func FuzzObjectName(f *testing.F) {
	for _, n := range objectNameNames() {
		f.Add(n, strings.ToUpper(n))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == "" || b == "" {
			return // the zero User has no key
		}
		pa, pb := authn.Principal{User: authn.User{Name: a}}, authn.Principal{User: authn.User{Name: b}}
		oa, ob := pa.ObjectName(), pb.ObjectName()
		ka, kb := pa.StorageKey(), pb.StorageKey()
		for _, o := range []string{oa, ob} {
			if errs := validation.IsDNS1123Subdomain(o); len(errs) > 0 {
				t.Fatalf("ObjectName %q: %v", o, errs)
			}
		}
		for _, k := range []string{ka, kb} {
			if strings.HasPrefix(k, ".") || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
				t.Fatalf("StorageKey %q has a byte outside [a-z0-9._-] or a leading '.'", k)
			}
		}
		if a == b {
			return
		}
		if strings.EqualFold(oa, ob) {
			t.Errorf("ObjectName(%q) and ObjectName(%q) are both %q", a, b, oa)
		}
		if strings.EqualFold(ka, kb) {
			t.Errorf("StorageKey(%q) and StorageKey(%q) are both %q", a, b, ka)
		}
	})
}

func TestLegacyID(t *testing.T) {
	for in, want := range map[string]string{
		"system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa": "system-serviceaccount-stackrox-1-ambient-key-test-write-2b3908aa",
		"alice@example.com":             "alice-example.com",
		"::a::b::":                      "a-b",
		"a_b.c":                         "a_b.c",
		"--":                            "",
		strings.Repeat("x", 300):        strings.Repeat("x", 253),
		strings.Repeat("x", 252) + ":y": strings.Repeat("x", 252),
	} {
		if got := authn.LegacyID(in); got != want {
			t.Errorf("LegacyID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContextRoundTrip(t *testing.T) {
	if _, ok := authn.FromContext(context.Background()); ok {
		t.Error("empty context reported a principal")
	}
	p := authn.Principal{User: authn.User{Name: "alice"}}
	got, ok := authn.FromContext(authn.NewContext(context.Background(), p))
	if !ok || got.User.Name != "alice" {
		t.Errorf("FromContext = %+v, %v", got, ok)
	}
	tr := authn.Trace{{Strategy: "forwarded", Outcome: authn.Contributed}}
	if diff := cmp.Diff(tr, authn.TraceFromContext(authn.NewTraceContext(context.Background(), tr))); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestServiceAccountSubject(t *testing.T) {
	sa := authn.ServiceAccount{Namespace: "ns", Name: "key"}
	if got := sa.Subject(); got != "system:serviceaccount:ns:key" {
		t.Errorf("Subject() = %q", got)
	}
}

func TestCloneIsDeep(t *testing.T) {
	u := authn.User{Name: "alice", Groups: []string{"dev"}, Extra: map[string][]string{"scopes": {"read"}}}
	c := authn.Credential{
		Type: "tokenreview", Audiences: []string{"api"}, Pod: &authn.BoundObject{Name: "p"}, Node: &authn.BoundObject{Name: "n"},
		Bindings: []authn.Binding{{Kind: "validatingwebhookconfiguration", Name: "v", Attestations: map[string][]string{"admissionReviewAPIGroups": {"apps"}}}},
	}
	uc, cc := u.Clone(), c.Clone()
	uc.Groups[0], uc.Extra["scopes"][0] = "cluster-admins", "write"
	cc.Audiences[0], cc.Pod.Name, cc.Node.Name = "other", "q", "m"
	cc.Bindings[0].Name, cc.Bindings[0].Attestations["admissionReviewAPIGroups"][0] = "w", "*"
	cc.Bindings[0].Attestations["more"] = []string{"x"}
	if diff := cmp.Diff(authn.User{Name: "alice", Groups: []string{"dev"}, Extra: map[string][]string{"scopes": {"read"}}}, u); diff != "" {
		t.Errorf("editing the clone changed the user (-want +got):\n%s", diff)
	}
	if c.Audiences[0] != "api" || c.Pod.Name != "p" || c.Node.Name != "n" || c.Bindings[0].Name != "v" ||
		!cmp.Equal(c.Bindings[0].Attestations, map[string][]string{"admissionReviewAPIGroups": {"apps"}}) {
		t.Errorf("editing the clone changed the credential: %+v", c)
	}
}

func TestStorageKeyOfSyntheticUsersFollowsTheActor(t *testing.T) {
	synthetic := func(ns, name string) authn.Principal {
		actor := &authn.ServiceAccount{Namespace: ns, Name: name}
		return authn.Principal{User: authn.User{Name: authn.LegacyID(actor.Subject())}, Actor: actor, Synthetic: true}
	}
	a, b := synthetic("team-x", "bot"), synthetic("team", "x-bot")
	if a.User.Name != b.User.Name {
		t.Fatalf("the legacy names were expected to collide: %q, %q", a.User.Name, b.User.Name)
	}
	if a.StorageKey() == b.StorageKey() {
		t.Errorf("synthetic users of different ServiceAccounts share the storage key %q", a.StorageKey())
	}
	if got, want := a.StorageKey(), "system_3aserviceaccount_3ateam-x_3abot"; got != want {
		t.Errorf("StorageKey = %q, want %q", got, want)
	}
}
