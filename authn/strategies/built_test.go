package strategies_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/tokentest"
)

// builtStrategies returns one strategy of every type in the package, each
// built by its constructor. The token strategies have tests of their own.
func builtStrategies(t *testing.T) []authn.Strategy {
	t.Helper()
	annotation, err := strategies.CreatorAnnotation(indexerReader(t), strategies.InsecureAcceptUnverifiedAnnotations())
	if err != nil {
		t.Fatal(err)
	}
	return []authn.Strategy{
		newForwarded(t, strategies.InsecureTrustAnyPeer()),
		strategies.ServiceAccount(),
		annotation,
		strategies.Synthetic(),
	}
}

// TestNewChainRefusesUnbuiltStrategies: a strategy struct used as a zero
// value, not built by its constructor, would panic on the first request
// that reaches it (a nil key set, client, ServiceAccount reader or namer). Each is an
// authn.Validator, so authn.NewChain refuses it with an error that names
// the constructor, while the same types built by their constructors pass.
func TestNewChainRefusesUnbuiltStrategies(t *testing.T) {
	for _, tt := range []struct {
		zero        authn.Strategy
		constructor string
	}{
		{&strategies.ForwardedStrategy{}, "Forwarded"},
		{&strategies.AnnotationStrategy{}, "CreatorAnnotation"},
		{&strategies.SyntheticStrategy{}, "Synthetic"},
	} {
		t.Run(fmt.Sprintf("%T", tt.zero), func(t *testing.T) {
			chain, err := authn.NewChain(tt.zero)
			if err == nil || chain != nil {
				t.Fatalf("NewChain accepted a zero %T", tt.zero)
			}
			if !errors.Is(err, authn.ErrNotBuilt) || !strings.Contains(err.Error(), "use "+tt.constructor) {
				t.Errorf("err = %v, want ErrNotBuilt saying to use %s", err, tt.constructor)
			}
		})
	}
	built := builtStrategies(t)
	for _, s := range built {
		if err := s.(authn.Validator).Validate(); err != nil {
			t.Errorf("%T built by its constructor: Validate = %v", s, err)
		}
	}
	if _, err := authn.NewChain(built...); err != nil {
		t.Errorf("NewChain refused strategies built by their constructors: %v", err)
	}
}

// TestServiceAccountZeroValueIsTheDefault: the one strategy whose zero
// value is complete is accepted by NewChain and, like ServiceAccount(),
// refuses a forwarded subject without a verified token.
func TestServiceAccountZeroValueIsTheDefault(t *testing.T) {
	subject := authn.StrategyFunc("subject", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User = authn.User{Name: "system:serviceaccount:team:key"}
		return authn.Contribute(p, "subject")
	})
	chain, err := authn.NewChain(subject, &strategies.ServiceAccountStrategy{})
	if err != nil {
		t.Fatalf("zero ServiceAccountStrategy refused: %v", err)
	}
	_, trace, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	if !errors.Is(err, authn.ErrRejected) || trace[1].Outcome != authn.Rejected {
		t.Errorf("unproven subject: trace %v, err %v, want a rejection", trace, err)
	}
}

// Types whose nil pointers satisfy the dependency interfaces, as a typed
// variable declared but never assigned does: the interface is not nil,
// and its first method call panics.
type (
	nilTrust  struct{ authn.TrustPolicy }
	nilReader struct {
		strategies.ServiceAccountReader
	}
)

// TestConstructorsRefuseTypedNilDependencies: a dependency that is an
// interface holding a nil pointer is refused when the strategy is built,
// with the same error as a plain nil, not found by a panic on a request.
func TestConstructorsRefuseTypedNilDependencies(t *testing.T) {
	var (
		trust = authn.TrustPolicy((*nilTrust)(nil))
		sas   = strategies.ServiceAccountReader((*nilReader)(nil))
	)
	for _, tt := range []struct {
		name  string
		build func() error
		want  string
	}{
		{"Forwarded", func() error {
			_, err := strategies.Forwarded(trust)
			return err
		}, "needs a TrustPolicy"},
		{"CreatorAnnotation", func() error {
			_, err := strategies.CreatorAnnotation(sas, strategies.InsecureAcceptUnverifiedAnnotations())
			return err
		}, "the ServiceAccountReader is nil"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tokentest.NoPanic(tt.build)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestConstructorsHandleNilOptions: a nil option never panics a
// constructor. Synthetic, Forwarded and ServiceAccount ignore it (it
// cannot weaken them); the others refuse it with an error.
func TestConstructorsHandleNilOptions(t *testing.T) {
	ignored := map[string]func() (authn.Strategy, error){
		"Synthetic": func() (authn.Strategy, error) { return strategies.Synthetic(nil), nil },
		"Forwarded": func() (authn.Strategy, error) {
			return strategies.Forwarded(strategies.InsecureTrustAnyPeer(), nil)
		},
		"ServiceAccount": func() (authn.Strategy, error) { return strategies.ServiceAccount(nil), nil },
	}
	for name, build := range ignored {
		var s authn.Strategy
		err := tokentest.NoPanic(func() (err error) {
			s, err = build()
			return err
		})
		if err != nil {
			t.Errorf("%s(nil option): %v", name, err)
			continue
		}
		if _, err := authn.NewChain(s); err != nil {
			t.Errorf("%s(nil option) built a strategy NewChain refuses: %v", name, err)
		}
	}
	// Synthetic(nil) keeps the default name.
	d := strategies.Synthetic(nil).Authenticate(nil, authn.Principal{Actor: &authn.ServiceAccount{Namespace: "team", Name: "key"}})
	if d.Outcome != authn.Contributed || d.Principal.User.Name != authn.LegacyID("system:serviceaccount:team:key") {
		t.Errorf("Synthetic(nil): %+v", d)
	}

	refused := map[string]func() error{
		"CreatorAnnotation": func() error {
			_, err := strategies.CreatorAnnotation(indexerReader(t), strategies.InsecureAcceptUnverifiedAnnotations(), nil)
			return err
		},
	}
	for name, build := range refused {
		if err := tokentest.NoPanic(build); err == nil || !strings.Contains(err.Error(), "option") || !strings.Contains(err.Error(), "is nil") {
			t.Errorf("%s(nil option): err = %v, want it refused", name, err)
		}
	}
}
