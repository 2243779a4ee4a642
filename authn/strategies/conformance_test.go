package strategies_test

import (
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/authntest"
	"github.com/authchain/authchain/binding"
)

// user presents a forwarded user name.
func user(name string) []authntest.RequestOption {
	return []authntest.RequestOption{authntest.WithHeader("X-Forwarded-User", name)}
}

// forwardedBad are the requests every Forwarded strategy refuses, whatever
// its trust policy, once trusted.
func forwardedBad(trusted ...authntest.RequestOption) []authntest.Credential {
	with := func(opts ...authntest.RequestOption) []authntest.RequestOption {
		return append(append([]authntest.RequestOption(nil), trusted...), opts...)
	}
	return []authntest.Credential{
		{Name: "repeated user", Request: with(authntest.WithHeader("X-Forwarded-User", "alice"), authntest.WithHeader("X-Forwarded-User", "bob"))},
		{Name: "non-canonical spelling", Request: with(authntest.WithHeader("x_forwarded_user", "alice"))},
		{Name: "reserved name", Request: with(user("system:admin")...)},
		{Name: "control character", Request: with(user("alice\x00")...)},
		{Name: "overlong value", Request: with(user(strings.Repeat("a", strategies.DefaultMaxValueLength+1))...)},
		{Name: "groups without user", Request: with(authntest.WithHeader("X-Forwarded-Groups", "admins"))},
		{Name: "identity already established", Request: with(user("alice")...), Sofar: &authn.Principal{User: authn.User{Name: "bob"}}},
	}
}

var oauth2ProxyHeaders = []string{"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Preferred-Username", "X-Forwarded-Groups"}

func TestConformanceForwarded(t *testing.T) {
	ca := authntest.NewCA(t, "proxy CA")
	other := authntest.NewCA(t, "another CA")
	const secret = "proxy-shared-secret-0123456789abcdef"

	t.Run("InsecureTrustAnyPeer", func(t *testing.T) {
		s, err := strategies.Forwarded(strategies.InsecureTrustAnyPeer())
		if err != nil {
			t.Fatal(err)
		}
		authntest.Conformance(t, s, authntest.Config{
			Good:    authntest.Credential{Name: "alice", Request: append(user("alice@example.com"), authntest.WithHeader("X-Forwarded-Groups", "devs,ops"))},
			Bad:     forwardedBad(),
			Headers: oauth2ProxyHeaders,
		})
	})
	t.Run("TrustPeerCIDRs", func(t *testing.T) {
		trust, err := strategies.TrustPeerCIDRs("10.0.0.0/8")
		if err != nil {
			t.Fatal(err)
		}
		s, err := strategies.Forwarded(trust)
		if err != nil {
			t.Fatal(err)
		}
		proxy := authntest.WithPeer("10.1.2.3:5000")
		authntest.Conformance(t, s, authntest.Config{
			Good: authntest.Credential{Name: "alice from the proxy", Request: append(user("alice"), proxy)},
			Bad: append(forwardedBad(proxy),
				authntest.Credential{Name: "untrusted peer", Request: append(user("alice"), authntest.WithPeer("192.0.2.1:5000"))}),
			Headers: oauth2ProxyHeaders,
		})
	})
	t.Run("TrustClientCertificate", func(t *testing.T) {
		trust, err := strategies.TrustClientCertificate(ca.Pool(), "proxy")
		if err != nil {
			t.Fatal(err)
		}
		s, err := strategies.Forwarded(trust)
		if err != nil {
			t.Fatal(err)
		}
		proxy := authntest.WithTLS(ca.ClientState(t, authntest.ClientCert{CommonName: "proxy"}))
		authntest.Conformance(t, s, authntest.Config{
			Good: authntest.Credential{Name: "alice from the proxy", Request: append(user("alice"), proxy)},
			Bad: append(forwardedBad(proxy),
				authntest.Credential{Name: "no certificate", Request: user("alice")},
				authntest.Credential{Name: "another CA", Request: append(user("alice"), authntest.WithTLS(other.ClientState(t, authntest.ClientCert{CommonName: "proxy"})))},
				authntest.Credential{Name: "another name", Request: append(user("alice"), authntest.WithTLS(ca.ClientState(t, authntest.ClientCert{CommonName: "intruder"})))},
				authntest.Credential{Name: "server certificate", Request: append(user("alice"), authntest.WithTLS(ca.ClientState(t, authntest.ClientCert{CommonName: "proxy", ServerOnly: true})))},
			),
			Headers: oauth2ProxyHeaders,
		})
	})
	t.Run("TrustSharedSecret", func(t *testing.T) {
		trust, err := strategies.TrustSharedSecret("X-Proxy-Secret", []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		// Headers a chain does not strip by default, so that the strategy's
		// own declaration is what is tested.
		s, err := strategies.Forwarded(trust, strategies.WithHeaders(strategies.HeaderNames{
			User: "X-Corp-User", Groups: "X-Corp-Groups", ExtraPrefix: "X-Corp-Extra-",
		}))
		if err != nil {
			t.Fatal(err)
		}
		proxy := authntest.WithHeader("X-Proxy-Secret", secret)
		corp := func(opts ...authntest.RequestOption) []authntest.RequestOption {
			return append([]authntest.RequestOption{proxy}, opts...)
		}
		authntest.Conformance(t, s, authntest.Config{
			Good: authntest.Credential{Name: "alice from the proxy", Request: corp(authntest.WithHeader("X-Corp-User", "alice"), authntest.WithHeader("X-Corp-Extra-Team", "a"))},
			Bad: []authntest.Credential{
				{Name: "no secret", Request: []authntest.RequestOption{authntest.WithHeader("X-Corp-User", "alice")}},
				{Name: "wrong secret", Request: []authntest.RequestOption{authntest.WithHeader("X-Proxy-Secret", secret+"x"), authntest.WithHeader("X-Corp-User", "alice")}},
				{Name: "repeated user", Request: corp(authntest.WithHeader("X-Corp-User", "alice"), authntest.WithHeader("X-Corp-User", "bob"))},
				{Name: "non-canonical extra", Request: corp(authntest.WithHeader("X-Corp-User", "alice"), authntest.WithHeader("x-corp-extra-team", "a"))},
				{Name: "reserved group", Request: corp(authntest.WithHeader("X-Corp-User", "alice"), authntest.WithHeader("X-Corp-Groups", "system:masters"))},
			},
			Headers: []string{"X-Corp-User", "X-Corp-Groups", "X-Corp-Extra-*", "X-Proxy-Secret"},
			Secrets: []string{secret},
		})
	})
}

// actor is the Principal a token strategy leaves for the strategies after
// it: a ServiceAccount, no user yet.
func actor(ns, name, uid string) *authn.Principal {
	return &authn.Principal{Actor: &authn.ServiceAccount{Namespace: ns, Name: name, UID: uid}}
}

func TestConformanceServiceAccount(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		// It only ever refuses: a proven subject is an Actor already.
		authntest.Conformance(t, strategies.ServiceAccount(), authntest.Config{
			Bad: []authntest.Credential{
				{Name: "forwarded subject", Sofar: &authn.Principal{User: authn.User{Name: "system:serviceaccount:team-a:builder"}}},
				{Name: "malformed subject", Sofar: &authn.Principal{User: authn.User{Name: "system:serviceaccount:team-a"}}},
			},
		})
	})
	t.Run("InsecureBelieveForwardedSubjects", func(t *testing.T) {
		forwarded, err := strategies.Forwarded(strategies.InsecureTrustAnyPeer())
		if err != nil {
			t.Fatal(err)
		}
		authntest.Conformance(t, strategies.ServiceAccount(strategies.InsecureBelieveForwardedSubjects()), authntest.Config{
			Before: []authn.Strategy{forwarded},
			After:  []authn.Strategy{strategies.Synthetic()},
			Good:   authntest.Credential{Name: "forwarded subject", Request: user("system:serviceaccount:team-a:builder")},
			Bad: []authntest.Credential{
				{Name: "malformed subject", Request: user("system:serviceaccount:team-a")},
				{Name: "empty name", Request: user("system:serviceaccount:team-a:")},
			},
			Headers: oauth2ProxyHeaders,
		})
	})
}

const conformanceBindingKey = "conformance-binding-key-32-bytes"

func TestConformanceCreatorAnnotation(t *testing.T) {
	signed, err := binding.Sign([]byte(conformanceBindingKey), binding.Binding{
		Namespace: "team-a", Name: "key-alice", UID: "uid-key-alice", Creator: "alice@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := authntest.Cluster(t, []byte(`
apiVersion: v1
kind: ServiceAccount
metadata:
  namespace: team-a
  name: key-alice
  uid: uid-key-alice
  annotations:
    ambient-code.io/created-by-user-id: alice@example.com
    ambient-code.io/created-by-binding: `+signed+`
---
apiVersion: v1
kind: ServiceAccount
metadata:
  namespace: team-a
  name: forged
  uid: uid-forged
  annotations:
    ambient-code.io/created-by-user-id: bob@example.com
---
apiVersion: v1
kind: ServiceAccount
metadata:
  namespace: team-a
  name: system-creator
  uid: uid-system-creator
  annotations:
    ambient-code.io/created-by-user-id: system:admin
`))
	s, err := strategies.CreatorAnnotation(cache, strategies.RequireSignedBinding([]byte(conformanceBindingKey)))
	if err != nil {
		t.Fatal(err)
	}
	authntest.Conformance(t, s, authntest.Config{
		Good: authntest.Credential{Name: "signed key", Sofar: actor("team-a", "key-alice", "uid-key-alice")},
		Bad: []authntest.Credential{
			{Name: "unsigned annotation", Sofar: actor("team-a", "forged", "uid-forged")},
			{Name: "system creator", Sofar: actor("team-a", "system-creator", "uid-system-creator")},
			{Name: "re-created", Sofar: actor("team-a", "key-alice", "uid-of-an-older-key")},
			{Name: "deleted", Sofar: actor("team-a", "gone", "uid-gone")},
		},
		Secrets: []string{conformanceBindingKey, signed},
	})
}

func TestConformanceSynthetic(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		authntest.Conformance(t, strategies.Synthetic(), authntest.Config{
			Good: authntest.Credential{Name: "actor without user", Sofar: actor("team-a", "builder", "uid-builder")},
		})
	})
	t.Run("WithSyntheticName", func(t *testing.T) {
		// A name function with a bug for one namespace: the strategy must
		// refuse a name that is not synthetic.
		s := strategies.Synthetic(strategies.WithSyntheticName(func(sa authn.ServiceAccount) string {
			if sa.Namespace == "impostor" {
				return "alice"
			}
			return authn.SyntheticNamePrefix + sa.Namespace + "." + sa.Name
		}))
		authntest.Conformance(t, s, authntest.Config{
			Good: authntest.Credential{Name: "actor without user", Sofar: actor("team-a", "builder", "uid-builder")},
			Bad:  []authntest.Credential{{Name: "human name", Sofar: actor("impostor", "builder", "uid-impostor")}},
		})
	})
}
