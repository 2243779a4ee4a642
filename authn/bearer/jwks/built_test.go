package jwks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

// nilContext is a Context whose nil pointer satisfies the interface, as a
// typed variable declared but never assigned does.
type nilContext struct{ context.Context }

// TestOIDCRefusesTypedNilAndNilOptions: a context that is an interface
// holding a nil pointer is refused as a plain nil is, and so is a nil
// option, never with a panic; a zero OIDCKeys reports authn.ErrNotBuilt.
func TestOIDCRefusesTypedNilAndNilOptions(t *testing.T) {
	ctx := context.Context((*nilContext)(nil))
	err := tokentest.NoPanic(func() error {
		_, err := jwks.OIDC(ctx, "https://issuer.example")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "ctx is nil") {
		t.Errorf("typed-nil ctx: err = %v, want it refused", err)
	}
	err = tokentest.NoPanic(func() error {
		_, err := jwks.OIDC(context.Background(), "https://issuer.example", nil)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "option") || !strings.Contains(err.Error(), "is nil") {
		t.Errorf("nil option: err = %v, want it refused", err)
	}
	if err := (&jwks.OIDCKeys{}).Validate(); !errors.Is(err, authn.ErrNotBuilt) || !strings.Contains(err.Error(), "use OIDC") {
		t.Errorf("zero OIDCKeys: Validate = %v, want ErrNotBuilt saying to use OIDC", err)
	}
}
