package jwt_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestUnbuiltStrategyRefused: a zero jwt.Strategy would panic on the first
// request (no key set, no parser); NewChain refuses it, naming the
// constructor, and accepts the strategy ServiceAccount builds.
func TestUnbuiltStrategyRefused(t *testing.T) {
	tokentest.CheckUnbuilt(t, &jwt.Strategy{}, "jwt.ServiceAccount", tokentest.Request(tokentest.RSA(t, tokentest.Claims())))
	tokentest.CheckBuilt(t, newJWT(t, jwtStaticKeys(t)))
}

// TestServiceAccountRefusesUnbuiltKeys: a key set that is an interface
// holding a nil *OIDCKeys, or a zero OIDCKeys that jwks.OIDC did not
// build, is refused when the strategy is built, not found by a panic on a
// request.
func TestServiceAccountRefusesUnbuiltKeys(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys jwks.KeySet
		want string
	}{
		{"typed-nil OIDCKeys", (*jwks.OIDCKeys)(nil), "keys is nil"},
		{"zero OIDCKeys", &jwks.OIDCKeys{}, "use OIDC"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tokentest.NoPanic(func() error {
				s, err := jwt.ServiceAccount(tokentest.Issuer, tt.keys, jwt.WithAudiences(tokentest.Audience), jwt.WithCacheTTL(0))
				if err == nil {
					return fmt.Errorf("built %T", s)
				}
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one saying %q", err, tt.want)
			}
			if tt.want == "use OIDC" && !errors.Is(err, authn.ErrNotBuilt) {
				t.Errorf("err = %v, want it to wrap authn.ErrNotBuilt", err)
			}
		})
	}
}

// TestServiceAccountRefusesNilOption: a nil option is refused with an
// error, never a panic.
func TestServiceAccountRefusesNilOption(t *testing.T) {
	err := tokentest.NoPanic(func() error {
		_, err := jwt.ServiceAccount(tokentest.Issuer, jwtStaticKeys(t), jwt.WithAudiences(tokentest.Audience), nil)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "option") || !strings.Contains(err.Error(), "is nil") {
		t.Errorf("err = %v, want the nil option refused", err)
	}
}
