package jwks_test

// Adversarial tests of OIDC's options after the rename: every nonsense
// combination is refused at construction, before a goroutine starts.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

func TestAttack8OIDCRefusesNonsenseOptions(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const issuer = "https://issuer.example"
	for name, opts := range map[string][]jwks.Option{
		"nil client":               {jwks.WithHTTPClient(nil)},
		"no origins":               {jwks.WithOrigins()},
		"http origin":              {jwks.WithOrigins("http://keys.example")},
		"origin with path":         {jwks.WithOrigins("https://keys.example/path")},
		"zero refresh":             {jwks.WithRefreshInterval(0)},
		"negative refresh":         {jwks.WithRefreshInterval(-time.Minute)},
		"zero min refresh":         {jwks.WithMinRefreshInterval(0)},
		"negative min refresh":     {jwks.WithMinRefreshInterval(-1)},
		"min above refresh":        {jwks.WithRefreshInterval(time.Minute), jwks.WithMinRefreshInterval(time.Hour)},
		"staleness below refresh":  {jwks.WithRefreshInterval(time.Hour), jwks.WithMaxStaleness(time.Minute)},
		"staleness equals refresh": {jwks.WithRefreshInterval(time.Hour), jwks.WithMaxStaleness(time.Hour)},
		"negative staleness":       {jwks.WithMaxStaleness(-1)},
		"nil clock":                {jwks.WithClock(nil)},
		"nil option":               {nil},
	} {
		err := tokentest.NoPanic(func() error {
			k, err := jwks.OIDC(context.Background(), issuer, opts...)
			if k != nil {
				k.Close()
			}
			return err
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, bad := range []string{"", "http://issuer.example", "https://user:pw@issuer.example", "issuer.example", "https://"} {
		if k, err := jwks.OIDC(context.Background(), bad, jwks.WithHTTPClient(http.DefaultClient)); err == nil {
			k.Close()
			t.Errorf("issuer %q accepted", bad)
		}
	}
}
