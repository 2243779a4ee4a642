package jwt_test

import (
	"encoding/json"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestAttack9bJWTTimeOverflow: the same time edges as the oidc strategy's,
// through the shared checks: an iat beyond int64 seconds (which wraps to
// the far past) is not taken as a past issue time, and a token whose exp lies past the year 9999
// is refused or leaves a Principal that encodes as JSON.
func TestAttack9bJWTTimeOverflow(t *testing.T) {
	s := newJWT(t, jwtStaticKeys(t), jwt.WithCacheTTL(0))
	tokentest.WantRejected(t, "iat beyond int64", tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims(tokentest.Set("iat", 9.3e18)))))
	for _, exp := range []float64{253402300800, 1e18} {
		d := tokentest.Authenticate(s, tokentest.RSA(t, tokentest.Claims(tokentest.Set("exp", exp))))
		if d.Outcome != authn.Contributed {
			continue
		}
		if _, err := json.Marshal(d.Principal); err != nil {
			t.Errorf("exp %g: token accepted, but its Principal does not encode: %v", exp, err)
		}
	}
}
