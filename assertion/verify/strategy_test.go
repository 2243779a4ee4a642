package verify_test

import (
	"context"
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authntest"
)

func present(token string) authntest.RequestOption {
	return authntest.WithHeader(assertion.AssertionHeader, token)
}

// An assertion accepted by the runner is refused by another downstream
// of the same minting service: the audience binds it.
func TestReplayedToAnotherAudience(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	token := m.sign(t, human(), audience)
	if d := newStrategy(t, m).Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Fatalf("runner: %v %s", d.Outcome, d.Reason)
	}
	vault, err := verify.New(issuer, m.keys(t), verify.WithAudiences("https://vault.example.com"), verify.WithClock(func() time.Time { return start }))
	if err != nil {
		t.Fatal(err)
	}
	if d := vault.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Rejected || d.Reason != "assertion audience not accepted" {
		t.Errorf("vault: %v %s", d.Outcome, d.Reason)
	}
}

// Without a replay cache an assertion may be presented again until it
// expires; with one, only once.
func TestReplayCache(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	token := m.sign(t, human(), audience)
	again := newStrategy(t, m)
	once := newStrategy(t, m, verify.WithReplayCache(10))
	for i := range 2 {
		if d := again.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
			t.Errorf("without cache, try %d: %v %s", i, d.Outcome, d.Reason)
		}
	}
	if d := once.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Errorf("with cache, first: %v %s", d.Outcome, d.Reason)
	}
	if d := once.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Rejected || d.Reason != "assertion replayed" {
		t.Errorf("with cache, replay: %v %s", d.Outcome, d.Reason)
	}
	if d := once.Authenticate(authntest.NewRequest(present(m.sign(t, human(), audience))), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Errorf("with cache, a new assertion: %v %s", d.Outcome, d.Reason)
	}
}

// An assertion beside an identity an earlier strategy established is
// ambiguous and refused.
func TestBesideAnotherIdentity(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	token := m.sign(t, human(), audience)
	for name, sofar := range map[string]authn.Principal{
		"user":       {User: authn.User{Name: "mallory"}},
		"actor":      {Actor: &authn.ServiceAccount{Namespace: "a", Name: "b"}},
		"credential": {Credential: &authn.Credential{Type: "jwt"}},
	} {
		if d := s.Authenticate(authntest.NewRequest(present(token)), sofar); d.Outcome != authn.Rejected {
			t.Errorf("%s: %v %s", name, d.Outcome, d.Reason)
		}
	}
}

// The header is read once, under its canonical name, and never more than
// MaxAssertionLength.
func TestHeaderShape(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	token := m.sign(t, human(), audience)
	for name, opts := range map[string][]authntest.RequestOption{
		"twice":         {present(token), present(token)},
		"non-canonical": {authntest.WithHeader("authchain_assertion", token)},
		"too long":      {present(token + strings.Repeat("A", verify.MaxAssertionLength))},
	} {
		r := authntest.NewRequest(opts...)
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome != authn.Rejected {
			t.Errorf("%s: %v %s", name, d.Outcome, d.Reason)
		}
	}
	if d := s.Authenticate(authntest.NewRequest(), authn.Principal{}); d.Outcome != authn.NotApplicable {
		t.Errorf("no header: %v %s", d.Outcome, d.Reason)
	}
}

// The rebuilt Principal's Credential names the minting service's token,
// the issuer, the one audience and the assertion's expiry; the Detail
// names the minting service's strategies.
func TestCredentialAndDetail(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	d := s.Authenticate(authntest.NewRequest(present(m.sign(t, human(), audience))), authn.Principal{})
	want := &authn.Credential{
		Type: verify.CredentialType, ID: "JTI=abc", Issuer: issuer,
		Audiences: []string{audience}, ExpiresAt: start.Add(assertion.DefaultLifetime),
	}
	if diff := cmp.Diff(want, d.Principal.Credential); diff != "" {
		t.Errorf("credential (-want +got):\n%s", diff)
	}
	if want := "minted by " + issuer + " after jwt,annotation"; d.Detail != want {
		t.Errorf("detail %q, want %q", d.Detail, want)
	}
}

// An EdDSA key signs assertions the strategy verifies, and WithAlgorithms
// pins one algorithm.
func TestEdDSA(t *testing.T) {
	now := func() time.Time { return start }
	ring, err := assertion.NewKeyRing(edKey(t), assertion.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := assertion.NewSigner(issuer, ring, assertion.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	m := &minter{ring: ring, signer: signer}
	token := m.sign(t, human(), audience)
	if d := newStrategy(t, m).Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Errorf("EdDSA: %v %s", d.Outcome, d.Reason)
	}
	es := newStrategy(t, m, verify.WithAlgorithms("ES256"))
	if d := es.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Rejected {
		t.Errorf("EdDSA with ES256 pinned: %v %s", d.Outcome, d.Reason)
	}
}

// A key retired by Rotate still verifies what it signed until its
// retention ends; then its assertions are refused as an unknown key's.
func TestRotation(t *testing.T) {
	now := start
	clock := func() time.Time { return now }
	m := newMinter(t, issuer, clock)
	old := m.sign(t, human(), audience)
	if err := m.ring.Rotate(edKey(t)); err != nil {
		t.Fatal(err)
	}
	fresh := m.sign(t, human(), audience)
	s := newStrategy(t, m) // the set published after the rotation
	for name, token := range map[string]string{"old": old, "new": fresh} {
		if d := s.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
			t.Errorf("%s key: %v %s", name, d.Outcome, d.Reason)
		}
	}
	now = start.Add(assertion.RetiredKeyRetention)
	if n := strings.Count(string(m.ring.JWKS()), `"kid"`); n != 1 {
		t.Errorf("after the retention the set has %d keys, want 1", n)
	}
}

func TestNewRefuses(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	for name, build := range map[string]func() (*verify.Strategy, error){
		"no issuer":   func() (*verify.Strategy, error) { return verify.New("", m.keys(t), verify.WithAudiences(audience)) },
		"no keys":     func() (*verify.Strategy, error) { return verify.New(issuer, nil, verify.WithAudiences(audience)) },
		"no audience": func() (*verify.Strategy, error) { return verify.New(issuer, m.keys(t)) },
		"HS256": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithAlgorithms("HS256"))
		},
		"RS256": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithAlgorithms("RS256"))
		},
		"replay size 0": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithReplayCache(0))
		},
		"skew too large": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithClockSkew(time.Hour))
		},
		"nil option": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), nil)
		},
		"nil clock": func() (*verify.Strategy, error) {
			return verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithClock(nil))
		},
		"empty audience": func() (*verify.Strategy, error) { return verify.New(issuer, m.keys(t), verify.WithAudiences("")) },
	} {
		if s, err := build(); err == nil {
			t.Errorf("%s: built %v", name, s)
		}
	}
	if err := (&verify.Strategy{}).Validate(); err == nil {
		t.Error("a zero Strategy validates")
	}
	if _, err := authn.NewChain(&verify.Strategy{}); err == nil {
		t.Error("a chain takes a zero Strategy")
	}
}

// unavailableKeys is a key set that cannot answer.
type unavailableKeys struct{}

func (unavailableKeys) Key(context.Context, string) (crypto.PublicKey, error) {
	return nil, jwks.ErrKeysUnavailable
}

// When the keys are unavailable the strategy fails (503) rather than
// decide.
func TestKeysUnavailable(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s, err := verify.New(issuer, unavailableKeys{}, verify.WithAudiences(audience), verify.WithClock(func() time.Time { return start }))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Authenticate(authntest.NewRequest(present(m.sign(t, human(), audience))), authn.Principal{}); d.Outcome != authn.Failed {
		t.Errorf("%v %s", d.Outcome, d.Reason)
	}
}

// A replay cache full of unexpired jtis refuses new assertions (503)
// rather than forgetting one; once the oldest has expired, past the skew,
// there is room again.
func TestReplayCacheFull(t *testing.T) {
	now := start
	clock := func() time.Time { return now }
	m := newMinter(t, issuer, clock)
	s, err := verify.New(issuer, m.keys(t), verify.WithAudiences(audience), verify.WithClock(clock), verify.WithReplayCache(2))
	if err != nil {
		t.Fatal(err)
	}
	first := m.sign(t, human(), audience)
	for _, token := range []string{first, m.sign(t, human(), audience)} {
		if d := s.Authenticate(authntest.NewRequest(present(token)), authn.Principal{}); d.Outcome != authn.Contributed {
			t.Fatalf("filling the cache: %v %s", d.Outcome, d.Reason)
		}
	}
	third := m.sign(t, human(), audience)
	d := s.Authenticate(authntest.NewRequest(present(third)), authn.Principal{})
	if d.Outcome != authn.Failed {
		t.Errorf("a third assertion with a full cache: %v %s, want failed (503)", d.Outcome, d.Reason)
	}
	if d := s.Authenticate(authntest.NewRequest(present(first)), authn.Principal{}); d.Outcome != authn.Rejected || d.Reason != "assertion replayed" {
		t.Errorf("the first again, cache full: %v %s", d.Outcome, d.Reason)
	}
	// Past every expiry and the skew: the old jtis may go.
	now = start.Add(assertion.MaxLifetime + verify.DefaultClockSkew + time.Second)
	fresh := m.sign(t, human(), audience)
	if d := s.Authenticate(authntest.NewRequest(present(fresh)), authn.Principal{}); d.Outcome != authn.Contributed {
		t.Errorf("after the old ones expired: %v %s", d.Outcome, d.Reason)
	}
}
