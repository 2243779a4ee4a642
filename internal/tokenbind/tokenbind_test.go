package tokenbind

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/internal/tokentest"
)

func cachedIdentity() (*authn.ServiceAccount, *authn.Credential) {
	return &authn.ServiceAccount{Namespace: "team", Name: "ci-bot", UID: "uid-ci-bot"},
		&authn.Credential{
			Type: "jwt", ID: "JTI=1", Issuer: "https://kubernetes.default.svc",
			Audiences: []string{"https://api.example.com"},
			ExpiresAt: time.Unix(1_900_000_000, 0),
			Pod:       &authn.BoundObject{Name: "runner", UID: "uid-pod"},
			Node:      &authn.BoundObject{Name: "node-a", UID: "uid-node"},
		}
}

// TestPerRequestIsADeepCopy: the copies equal the originals, and editing
// every piece of them (what a handler could reach) leaves the originals
// as they were, for one and for several audiences, with and without
// bindings, pod, node and ServiceAccount.
func TestPerRequestIsADeepCopy(t *testing.T) {
	sa, cred := cachedIdentity()
	several := *cred
	several.Audiences = []string{"a", "b", "c"}
	bound := *cred
	bound.Pod, bound.Node, bound.Audiences = nil, nil, nil
	bound.Bindings = []authn.Binding{{Kind: "validatingwebhookconfiguration", Name: "p", UID: "u",
		Attestations: map[string][]string{"admissionReviewAPIGroups": {"apps"}}}}
	empty := *cred
	empty.Audiences = []string{}
	idToken := *cred
	idToken.Pod, idToken.Node = nil, nil
	for name, in := range map[string]struct {
		sa   *authn.ServiceAccount
		cred *authn.Credential
	}{
		"one audience":      {sa, cred},
		"three audiences":   {sa, &several},
		"bindings":          {sa, &bound},
		"empty audiences":   {sa, &empty},
		"no ServiceAccount": {nil, cred},
		"ID token":          {nil, &idToken},
	} {
		wantSA, wantCred := clone(in.sa), in.cred.Clone()
		gotSA, gotCred := PerRequest(in.sa, in.cred)
		if diff := cmp.Diff(wantSA, gotSA); diff != "" {
			t.Errorf("%s: ServiceAccount (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantCred, gotCred); diff != "" {
			t.Errorf("%s: Credential (-want +got):\n%s", name, diff)
		}
		if gotSA != nil {
			gotSA.Name, gotSA.UID = "edited", "edited"
		}
		gotCred.ID = "edited"
		for i := range gotCred.Audiences {
			gotCred.Audiences[i] = "edited"
		}
		gotCred.Audiences = append(gotCred.Audiences[:len(gotCred.Audiences):len(gotCred.Audiences)], "appended")
		if gotCred.Pod != nil {
			gotCred.Pod.Name = "edited"
		}
		if gotCred.Node != nil {
			gotCred.Node.UID = "edited"
		}
		for _, b := range gotCred.Bindings {
			b.Attestations["admissionReviewAPIGroups"][0] = "*"
		}
		if diff := cmp.Diff(wantSA, in.sa); diff != "" {
			t.Errorf("%s: an edit of the copy reached the ServiceAccount (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantCred, in.cred); diff != "" {
			t.Errorf("%s: an edit of the copy reached the Credential (-want +got):\n%s", name, diff)
		}
	}
}

func clone(sa *authn.ServiceAccount) *authn.ServiceAccount {
	if sa == nil {
		return nil
	}
	c := *sa
	return &c
}

// TestPerRequestAllocs: a ServiceAccount and a Credential with one
// audience, a pod and a node cost one allocation, as does an ID token's
// Credential alone, in a smaller one.
func TestPerRequestAllocs(t *testing.T) {
	if testing.Short() || tokentest.RaceDetectorOn() {
		t.Skip("allocation counts are for full runs")
	}
	sa, cred := cachedIdentity()
	if n := testing.AllocsPerRun(100, func() { PerRequest(sa, cred) }); n != 1 {
		t.Errorf("%v allocs/op, want 1", n)
	}
	idToken := *cred
	idToken.Pod, idToken.Node = nil, nil
	if n := testing.AllocsPerRun(100, func() { PerRequest(nil, &idToken) }); n != 1 {
		t.Errorf("ID token: %v allocs/op, want 1", n)
	}
}
