package jwks_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

// TestOIDCKeySetStatus: Issuer, FetchedAt and KeyIDs tell a monitor the
// issuer, when the current set was fetched (zero until one is) and its
// sorted kids, and follow a rotation.
func TestOIDCKeySetStatus(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.RSA.PublicKey)
	f.update(func(f *fakeIssuer) { f.status = 500 })
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newOIDCKeys(t, f, clock)
	ctx := context.Background()
	kidA, kidB, kidC := tokentest.KubeKID(t, &k.RSA.PublicKey), tokentest.KubeKID(t, &k.RSA2.PublicKey), tokentest.KubeKID(t, &k.EC.PublicKey)

	if got := keys.Issuer(); got != f.srv.URL {
		t.Errorf("Issuer() = %q, want %q", got, f.srv.URL)
	}
	if _, err := keys.Key(ctx, kidA); err == nil {
		t.Fatal("Key answered while the issuer fails")
	}
	if at, kids := keys.FetchedAt(), keys.KeyIDs(); !at.IsZero() || kids != nil {
		t.Errorf("before any fetch: FetchedAt %v, KeyIDs %q; want zero and nil", at, kids)
	}

	f.update(func(f *fakeIssuer) { f.status = 0 })
	clock.Advance(jwks.DefaultMinRefreshInterval)
	first := clock.Now()
	if _, err := keys.Key(ctx, kidA); err != nil {
		t.Fatal(err)
	}
	if at, kids := keys.FetchedAt(), keys.KeyIDs(); !at.Equal(first) || !slices.Equal(kids, []string{kidA}) {
		t.Errorf("after the first fetch: FetchedAt %v, KeyIDs %q; want %v, %q", at, kids, first, kidA)
	}

	f.setKeys(t, &k.EC.PublicKey, &k.RSA2.PublicKey)
	clock.Advance(time.Hour)
	second := clock.Now()
	if _, err := keys.Key(ctx, kidB); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values([]string{kidB, kidC}))
	if at, kids := keys.FetchedAt(), keys.KeyIDs(); !at.Equal(second) || !slices.Equal(kids, want) {
		t.Errorf("after the rotation: FetchedAt %v, KeyIDs %q; want %v, %q", at, kids, second, want)
	}
}
