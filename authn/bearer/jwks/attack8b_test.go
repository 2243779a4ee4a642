package jwks_test

// Second adversarial review of WithOrigins after it began refusing paths:
// the spellings of one origin must still be accepted and mean just that
// origin, and every spelling that names more than an origin is refused.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

func withOriginsErr(o string) error {
	return tokentest.NoPanic(func() error {
		k, err := jwks.OIDC(context.Background(), "https://issuer.example", jwks.WithOrigins(o))
		if k != nil {
			k.Close()
		}
		return err
	})
}

// TestAttack8bWithOriginsSyntax: the bare origin, a trailing "/", the
// default port, an upper-case scheme or host and IPv6 literals are one
// origin each; a path, a query (even an empty "?"), a non-empty fragment,
// credentials, another scheme or an opaque form are refused.
func TestAttack8bWithOriginsSyntax(t *testing.T) {
	for _, o := range []string{
		"https://keys.example", "https://keys.example/", "https://keys.example:443", "https://keys.example:443/",
		"HTTPS://KEYS.EXAMPLE", "Https://Keys.Example:8443/", "https://[::1]", "https://[::1]:8443/",
		"https://[2001:db8::1]:443", "https://keys.example#",
	} {
		if err := withOriginsErr(o); err != nil {
			t.Errorf("origin %q refused: %v", o, err)
		}
	}
	for _, o := range []string{
		"https://keys.example?", "https://keys.example/?", "https://keys.example/?x=1", "https://keys.example#x",
		"https://keys.example/#x", "https://keys.example/keys", "https://keys.example//", "https://keys.example/%2F",
		"https://keys.example/.", "https://keys.example/;x", "https://u@keys.example", "https://u:p@keys.example/",
		"http://keys.example/", "https:keys.example", "https:///keys.example", "https://[::1]/x", "https://[::1",
		"//keys.example", "keys.example", " https://keys.example", "https://keys.example/ ",
	} {
		if err := withOriginsErr(o); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
}

// TestAttack8bWithOriginsSpellingsAllowExactlyTheOrigin: each accepted
// spelling of the JWKS host's origin lets the key set fetch from it, so a
// trailing "/" or an upper-case scheme is not a silent refusal.
func TestAttack8bWithOriginsSpellingsAllowExactlyTheOrigin(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	kid := tokentest.KubeKID(t, &k.RSA.PublicKey)
	foreign := tokentest.NewJWKSSink(t, &k.RSA.PublicKey)
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	f.update(func(f *fakeIssuer) { f.jwksURI = foreign.Server.URL + "/openid/v1/jwks" })
	base := foreign.Server.URL // https://127.0.0.1:PORT
	for _, o := range []string{base + "/", strings.Replace(base, "https", "HTTPS", 1), base + "#"} {
		keys := newOIDCKeys(t, f, tokentest.NewClockAt(tokentest.Now()), jwks.WithOrigins(o))
		if _, err := keys.Key(context.Background(), kid); err != nil {
			t.Errorf("WithOrigins(%q): %v", o, err)
		}
	}
	// Another port of the same host is another origin.
	other := base[:strings.LastIndex(base, ":")] + ":1"
	keys := newOIDCKeys(t, f, tokentest.NewClockAt(tokentest.Now()), jwks.WithOrigins(other))
	if _, err := keys.Key(context.Background(), kid); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("WithOrigins(%q) let the key set fetch from %s: %v", other, base, err)
	}
}
