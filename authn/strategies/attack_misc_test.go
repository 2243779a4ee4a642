package strategies_test

// Class 9 (panics, typed nils, zero values, nil options) and low-level
// forwarded-strategy and trust-policy attempts.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// setActor is a strategy that makes ServiceAccount team/key the actor, as a
// verified token would.
var setActor = authn.StrategyFunc("set-actor", func(_ *http.Request, p authn.Principal) authn.Decision {
	p.Actor = &authn.ServiceAccount{Namespace: "team", Name: "key", UID: "uid-key"}
	return authn.Contribute(p, "actor")
})

// runNoPanic runs chain on r and reports a panic as an error.
func runNoPanic(chain *authn.Chain, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	_, _, _ = chain.Authenticate(r)
	return nil
}

// TestAttack_ZeroValueStrategiesPanic: a strategy struct used without its
// constructor (a zero value, as `&strategies.SyntheticStrategy{}`), or a
// constructor given a typed-nil dependency, must be refused when the chain
// is built, never panic on the first request that reaches it. The token
// strategies have the same test in their packages (TestUnbuiltStrategyRefused).
func TestAttack_ZeroValueStrategiesPanic(t *testing.T) {
	cases := []struct {
		name  string
		build func() (authn.Strategy, error)
		req   *http.Request
	}{
		{"zero SyntheticStrategy", func() (authn.Strategy, error) { return &strategies.SyntheticStrategy{}, nil }, httptest.NewRequest("GET", "/", nil)},
		{"zero AnnotationStrategy", func() (authn.Strategy, error) { return &strategies.AnnotationStrategy{}, nil }, httptest.NewRequest("GET", "/", nil)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.build()
			if err != nil {
				return // refused at construction: secure
			}
			strats := []authn.Strategy{s}
			if _, isSynthOrAnn := s.(*strategies.SyntheticStrategy); isSynthOrAnn {
				strats = []authn.Strategy{setActor, s}
			}
			if _, ok := s.(*strategies.AnnotationStrategy); ok {
				strats = []authn.Strategy{setActor, s}
			}
			chain, err := authn.NewChain(strats...)
			if err != nil {
				return // refused: secure
			}
			if err := runNoPanic(chain, tt.req); err != nil {
				t.Errorf("NewChain accepted it and the first request panicked: %v", err)
			}
		})
	}
}

// TestAttack_SyntheticNilOptionPanics: Synthetic, like every other
// constructor, ignores or refuses a nil option instead of panicking.
func TestAttack_SyntheticNilOptionPanics(t *testing.T) {
	defer func() {
		if v := recover(); v != nil {
			t.Errorf("Synthetic(nil) panicked: %v", v)
		}
	}()
	_ = strategies.Synthetic(nil)
}

// TestAttack_NilOptionsElsewhere: nil options are ignored or refused, never
// a panic, by every other constructor.
func TestAttack_NilOptionsElsewhere(t *testing.T) {
	try := func(name string, f func()) {
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("%s panicked: %v", name, v)
			}
		}()
		f()
	}
	try("Forwarded", func() { _, _ = strategies.Forwarded(strategies.InsecureTrustAnyPeer(), nil) })
	try("ServiceAccount", func() { _ = strategies.ServiceAccount(nil) })
	try("CreatorAnnotation", func() {
		_, _ = strategies.CreatorAnnotation(indexerReader(t), nil)
	})
	try("WithSyntheticName(nil)", func() { _ = strategies.Synthetic(strategies.WithSyntheticName(nil)) })
	try("Forwarded(nil trust)", func() {
		if _, err := strategies.Forwarded(nil); err == nil {
			t.Error("Forwarded(nil) accepted")
		}
	})
	try("TrustClientCertificate(nil pool)", func() {
		if _, err := strategies.TrustClientCertificate(nil, "proxy"); err == nil {
			t.Error("nil pool accepted")
		}
	})
	try("TrustSharedSecret short", func() {
		if _, err := strategies.TrustSharedSecret("X-Proxy-Secret", []byte("short")); err == nil {
			t.Error("short secret accepted")
		}
	})
}

// TestAttack_ZeroForwardedStrategyIsInert: a zero ForwardedStrategy reads
// nothing and panics on nothing; the chain still strips every family.
func TestAttack_ZeroForwardedStrategyIsInert(t *testing.T) {
	chain, err := authn.NewChain(&strategies.ForwardedStrategy{})
	if err != nil {
		return
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-User", "admin")
	if err := runNoPanic(chain, r); err != nil {
		t.Fatal(err)
	}
	if len(r.Header) != 0 {
		t.Errorf("left %v", r.Header)
	}
}

// TestAttack_ServiceAccountStrategyZeroValueIsSecure: the zero value of
// ServiceAccountStrategy refuses unproven subjects, like the constructor.
func TestAttack_ServiceAccountStrategyZeroValueIsSecure(t *testing.T) {
	d := (&strategies.ServiceAccountStrategy{}).Authenticate(nil, authn.Principal{User: authn.User{Name: "system:serviceaccount:team:key"}})
	if d.Outcome != authn.Rejected {
		t.Errorf("zero ServiceAccountStrategy: %v", d.Outcome)
	}
}

// TestAttack_TrustPoliciesUnderPressure: client certificates that are not
// the proxy's, shared secrets sent oddly.
func TestAttack_TrustPoliciesUnderPressure(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	trust, err := strategies.TrustSharedSecret("X-Proxy-Secret", secret)
	if err != nil {
		t.Fatal(err)
	}
	fwd := newForwarded(t, trust)
	for name, kv := range map[string][]string{
		"no secret":            {"X-Forwarded-User", "admin"},
		"wrong secret":         {"X-Forwarded-User", "admin", "X-Proxy-Secret", "0123456789abcdef0123456789abcdeX"},
		"secret twice":         {"X-Forwarded-User", "admin", "X-Proxy-Secret", string(secret), "X-Proxy-Secret", string(secret)},
		"secret prefix":        {"X-Forwarded-User", "admin", "X-Proxy-Secret", string(secret[:31])},
		"secret with suffix":   {"X-Forwarded-User", "admin", "X-Proxy-Secret", string(secret) + "x"},
		"secret odd spelling":  {"X-Forwarded-User", "admin", "=x_proxy_secret", string(secret)},
		"secret and odd twin":  {"X-Forwarded-User", "admin", "X-Proxy-Secret", string(secret), "=x-proxy-secret", string(secret)},
		"secret in other name": {"X-Forwarded-User", "admin", "X-Proxy-Secret-2", string(secret)},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for i := 0; i < len(kv); i += 2 {
			if kv[i][0] == '=' {
				r.Header[kv[i][1:]] = append(r.Header[kv[i][1:]], kv[i+1])
			} else {
				r.Header.Add(kv[i], kv[i+1])
			}
		}
		if d := fwd.Authenticate(r, authn.Principal{}); d.Outcome == authn.Contributed {
			t.Errorf("%s: trusted", name)
		}
	}
	// Client certificate: a verified chain to the CA but a name not
	// allowed, or no TLS at all, or a chain to another CA.
	pool := x509.NewCertPool()
	certTrust, err := strategies.TrustClientCertificate(pool, "front-proxy")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.TLS = &tls.ConnectionState{}
	if certTrust.Verify(r) == nil {
		t.Error("TLS without a peer certificate trusted")
	}
	r.TLS = nil
	if certTrust.Verify(r) == nil {
		t.Error("plain request trusted")
	}
}
