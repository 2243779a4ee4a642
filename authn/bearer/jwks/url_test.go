package jwks_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/internal/tokentest"
)

// The tests of URL run the set against fakeIssuer's JWKS path alone: a set
// built with URL must never ask for the discovery document.

func newURLKeys(t *testing.T, f *fakeIssuer, clock *tokentest.Clock, opts ...jwks.Option) *jwks.OIDCKeys {
	t.Helper()
	opts = append([]jwks.Option{
		jwks.WithHTTPClient(f.srv.Client()),
		jwks.WithClock(clock.Now),
	}, opts...)
	keys, err := jwks.URL(context.Background(), f.srv.URL+"/openid/v1/jwks", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	return keys
}

// TestURLKeySetRotation: an unknown kid refreshes the set, at most once per
// minimum refresh interval; a removed key stops verifying once the set is
// refreshed; discovery is never asked.
func TestURLKeySetRotation(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.EC.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newURLKeys(t, f, clock)
	kidA, kidB := tokentest.KubeKID(t, &k.EC.PublicKey), tokentest.KubeKID(t, &k.RSA.PublicKey)
	ctx := context.Background()

	if key, _, err := keys.KeyAndAlgorithm(ctx, kidA); err != nil || !k.EC.PublicKey.Equal(key) {
		t.Fatalf("key A: %v, %v", key, err)
	}
	if !keys.Synced() || keys.Issuer() != f.srv.URL+"/openid/v1/jwks" {
		t.Errorf("Synced() = %v, Issuer() = %q after a fetch", keys.Synced(), keys.Issuer())
	}
	if _, err := keys.Key(ctx, kidB); !errors.Is(err, jwks.ErrUnknownKey) {
		t.Errorf("key B before rotation: %v, want ErrUnknownKey", err)
	}
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("unknown kid within the minimum refresh interval: %d fetches, want 1", n)
	}

	f.setKeys(t, &k.RSA.PublicKey)
	clock.Advance(jwks.DefaultMinRefreshInterval)
	if key, err := keys.Key(ctx, kidB); err != nil || !k.RSA.PublicKey.Equal(key) {
		t.Errorf("key B after rotation: %v, %v", key, err)
	}
	if _, err := keys.Key(ctx, kidA); !errors.Is(err, jwks.ErrUnknownKey) {
		t.Errorf("removed key A: %v, want ErrUnknownKey", err)
	}
	if n, d := f.fetches.Load(), f.discoveries.Load(); n != 2 || d != 0 {
		t.Errorf("%d fetches and %d discoveries, want 2 and 0", n, d)
	}
	if got := keys.KeyIDs(); len(got) != 1 || got[0] != kidB {
		t.Errorf("KeyIDs() = %v, want [%s]", got, kidB)
	}
}

// TestURLKeySetStaleness: while fetches fail, the last set is used up to
// the maximum staleness, then keys are unavailable; errors never quote the
// body; the set recovers with the server.
func TestURLKeySetStaleness(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	f := newFakeIssuer(t, &k.EC.PublicKey)
	clock := tokentest.NewClockAt(tokentest.Now())
	keys := newURLKeys(t, f, clock)
	kid := tokentest.KubeKID(t, &k.EC.PublicKey)
	ctx := context.Background()
	if _, err := keys.Key(ctx, kid); err != nil {
		t.Fatal(err)
	}

	f.update(func(f *fakeIssuer) { f.status = http.StatusBadGateway })
	clock.Advance(jwks.DefaultMaxStaleness - time.Minute)
	if _, err := keys.Key(ctx, kid); err != nil {
		t.Errorf("known kid, not yet stale: %v", err)
	}
	_, err := keys.Key(ctx, "unknown")
	if !errors.Is(err, jwks.ErrKeysUnavailable) || !strings.Contains(err.Error(), "status 502") || strings.Contains(err.Error(), secretBody) {
		t.Errorf("unknown kid, refresh failing: %v; want ErrKeysUnavailable naming the status and not the body", err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := keys.Key(ctx, kid); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Errorf("known kid, stale: %v, want ErrKeysUnavailable", err)
	}
	if keys.Synced() {
		t.Error("Synced() = true for a stale set")
	}

	f.update(func(f *fakeIssuer) { f.status = 0 })
	clock.Advance(jwks.DefaultMinRefreshInterval)
	if _, err := keys.Key(ctx, kid); err != nil || !keys.Synced() {
		t.Errorf("recovered: %v, Synced() = %v", err, keys.Synced())
	}
	if n := f.discoveries.Load(); n != 0 {
		t.Errorf("%d discoveries, want 0", n)
	}
}

func TestURLKeySetFetchErrors(t *testing.T) {
	k := tokentest.Keys()
	tests := []struct {
		name    string
		edit    func(f *fakeIssuer)
		wantErr string
	}{
		{"status", func(f *fakeIssuer) { f.status = http.StatusNotFound }, "status 404"},
		{"too large", func(f *fakeIssuer) {
			f.jwks = append(bytes.Repeat([]byte(" "), jwks.MaxResponseBytes), f.jwks...)
		}, "body larger than"},
		{"not JSON", func(f *fakeIssuer) { f.jwks = []byte(secretBody) }, "JWKS is not a JSON object"},
		{"no usable key", func(f *fakeIssuer) { f.jwks = []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`) }, "no usable signature key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokentest.VerifyNoLeaks(t)
			f := newFakeIssuer(t, &k.EC.PublicKey)
			f.update(tt.edit)
			keys := newURLKeys(t, f, tokentest.NewClockAt(tokentest.Now()))
			_, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.EC.PublicKey))
			switch {
			case !errors.Is(err, jwks.ErrKeysUnavailable):
				t.Errorf("error %v, want ErrKeysUnavailable", err)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			case strings.Contains(err.Error(), secretBody):
				t.Errorf("error %q quotes the response body", err)
			}
			if keys.Synced() {
				t.Error("Synced() = true")
			}
		})
	}
}

// TestURLKeySetRedirects: the JWKS may redirect within its origin, never
// to another origin (which would get the client's credentials) nor to
// http.
func TestURLKeySetRedirects(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	kid := tokentest.KubeKID(t, &k.EC.PublicKey)
	foreign := tokentest.NewJWKSSink(t, &k.EC.PublicKey)
	for _, tt := range []struct {
		name    string
		target  func(self string) string
		wantErr string
	}{
		{"to another origin", func(string) string { return foreign.Server.URL + "/jwks" }, "redirect to another origin refused"},
		{"to http", func(self string) string { return "http://" + strings.TrimPrefix(self, "https://") + "/keys" }, "redirect to a non-https URL refused"},
		{"within the origin", func(self string) string { return self + "/keys" }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := foreign.Requests.Load()
			var srv *httptest.Server
			mux := http.NewServeMux()
			mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.target(srv.URL), http.StatusFound)
			})
			mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write(tokentest.JWKS(t, &k.EC.PublicKey))
			})
			srv = httptest.NewTLSServer(mux)
			t.Cleanup(srv.Close)
			keys, err := jwks.URL(context.Background(), srv.URL+"/jwks.json", jwks.WithHTTPClient(bearerEverywhere(srv.Client())))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(keys.Close)
			_, err = keys.Key(context.Background(), kid)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n := foreign.Requests.Load() - before; n != 0 {
				t.Errorf("the foreign origin got %d requests, want 0", n)
			}
		})
	}
}

func TestURLKeySetConfig(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	tests := []struct {
		name    string
		url     string
		opts    []jwks.Option
		wantErr string
	}{
		{name: "IAP", url: "https://www.gstatic.com/iap/verify/public_key-jwk"},
		{name: "http", url: "http://app.example.com/.well-known/pomerium/jwks.json", wantErr: "jwks: URL: JWKS URL: not an https URL"},
		{name: "query", url: "https://a.example/jwks?x=1", wantErr: "without credentials, query or fragment"},
		{name: "credentials", url: "https://u:p@a.example/jwks", wantErr: "without credentials"},
		{name: "origins", url: "https://a.example/jwks", opts: []jwks.Option{jwks.WithOrigins("https://b.example")}, wantErr: "WithOrigins applies to OIDC discovery only"},
		{name: "loopback http", url: "http://127.0.0.1:8080/.well-known/jwks.json", opts: []jwks.Option{jwks.WithInsecureLoopbackHTTP()}},
		{name: "localhost http", url: "http://localhost:8080/.well-known/jwks.json", opts: []jwks.Option{jwks.WithInsecureLoopbackHTTP()}},
		{name: "loopback http without the option", url: "http://127.0.0.1:8080/.well-known/jwks.json", wantErr: "not an https URL"},
		{
			name: "http of another host", url: "http://10.0.0.8:8080/.well-known/jwks.json", opts: []jwks.Option{jwks.WithInsecureLoopbackHTTP()},
			wantErr: "neither an https URL nor an http URL of localhost or a loopback address",
		},
		{name: "nil option", url: "https://a.example/jwks", opts: []jwks.Option{nil}, wantErr: "jwks: URL: option 0 is nil"},
		{
			name: "staleness not above refresh", url: "https://a.example/jwks",
			opts:    []jwks.Option{jwks.WithRefreshInterval(time.Hour), jwks.WithMaxStaleness(time.Hour)},
			wantErr: "must exceed the refresh interval",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Ended at once: the background fetch gives up at once.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			keys, err := jwks.URL(ctx, tt.url, tt.opts...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr == "":
				if err := keys.Validate(); err != nil {
					t.Errorf("Validate: %v", err)
				}
				keys.Close()
			case err == nil:
				keys.Close()
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			case !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	var nilCtx context.Context
	if _, err := jwks.URL(nilCtx, "https://a.example/jwks"); err == nil || !strings.Contains(err.Error(), "ctx is nil") {
		t.Errorf("nil context: %v", err)
	}
}

// TestURLKeySetLoopbackHTTP: WithInsecureLoopbackHTTP lets URL fetch from
// plain http on this machine; OIDC refuses the option.
func TestURLKeySetLoopbackHTTP(t *testing.T) {
	tokentest.VerifyNoLeaks(t)
	k := tokentest.Keys()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(tokentest.JWKS(t, &k.EC.PublicKey))
	}))
	t.Cleanup(srv.Close)
	keys, err := jwks.URL(context.Background(), srv.URL+"/.well-known/jwks.json", jwks.WithInsecureLoopbackHTTP())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	if _, err := keys.Key(context.Background(), tokentest.KubeKID(t, &k.EC.PublicKey)); err != nil {
		t.Errorf("loopback http: %v", err)
	}
	if _, err := jwks.OIDC(context.Background(), "https://a.example", jwks.WithInsecureLoopbackHTTP()); err == nil || !strings.Contains(err.Error(), "applies to URL only") {
		t.Errorf("OIDC with WithInsecureLoopbackHTTP: %v", err)
	}
}
