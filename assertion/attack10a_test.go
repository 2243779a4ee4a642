package assertion_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
)

// payloadOf decodes the claims of a compact JWS without checking it.
func payloadOf(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A Principal without a user, or one only an Actor, is never given an
// identity to pass on, and neither is a synthetic user without an Actor.
func TestAttack10aSignRefusesUnauthenticatedPrincipals(t *testing.T) {
	s, _ := newSigner(t)
	for name, tt := range map[string]struct {
		p    authn.Principal
		want error
	}{
		"zero":             {authn.Principal{}, assertion.ErrNoPrincipal},
		"actor only":       {authn.Principal{Actor: &authn.ServiceAccount{Namespace: "ns", Name: "sa"}}, assertion.ErrNoPrincipal},
		"groups only":      {authn.Principal{User: authn.User{Groups: []string{"admins"}}}, assertion.ErrNoPrincipal},
		"credential only":  {authn.Principal{Credential: &authn.Credential{Type: "jwt", ID: "x"}}, assertion.ErrNoPrincipal},
		"synthetic, no sa": {authn.Principal{User: authn.User{Name: authn.SyntheticNamePrefix + "x"}, Synthetic: true}, assertion.ErrInvalidPrincipal},
		"actor without ns": {authn.Principal{User: authn.User{Name: "alice"}, Actor: &authn.ServiceAccount{Name: "sa"}}, assertion.ErrInvalidPrincipal},
	} {
		if tok, err := s.Sign(tt.p, "https://runner.example.com"); !errors.Is(err, tt.want) || tok != "" {
			t.Errorf("%s: Sign = %q, %v; want %v", name, tok, err, tt.want)
		}
	}
}

// Sign promises ErrInvalidPrincipal for "a Principal no verifier would
// rebuild". A verifier refuses a human named system:… or with the synthetic
// prefix, and a synthetic user without the prefix; Sign must not mint them.
func TestAttack10aSignRefusesWhatNoVerifierRebuilds(t *testing.T) {
	s, _ := newSigner(t)
	sa := &authn.ServiceAccount{Namespace: "team-a", Name: "bot"}
	for name, p := range map[string]authn.Principal{
		"system user":              {User: authn.User{Name: "system:admin"}},
		"serviceaccount as user":   {User: authn.User{Name: "system:serviceaccount:kube-system:default"}},
		"human with synthetic pfx": {User: authn.User{Name: authn.SyntheticNamePrefix + "team-a-bot"}, Actor: sa},
		"synthetic without prefix": {User: authn.User{Name: "alice"}, Actor: sa, Synthetic: true},
		"name with newline":        {User: authn.User{Name: "alice\nbob"}},
	} {
		if tok, err := s.Sign(p, "https://runner.example.com"); !errors.Is(err, assertion.ErrInvalidPrincipal) {
			t.Errorf("%s: Sign minted %d bytes, err %v; want ErrInvalidPrincipal", name, len(tok), err)
		}
	}
}

// Audience injection: the audience is one visible-ASCII string, written as
// one JSON string; anything else is refused and never quoted.
func TestAttack10aAudienceInjection(t *testing.T) {
	s, _ := newSigner(t)
	for _, aud := range []string{
		"", " ", "https://runner.example.com https://vault.example.com", "a\tb", "a\r\nX-Evil: 1",
		"https://ruñner.example.com", "https://runner.example.com\x00", strings.Repeat("a", assertion.MaxAudienceLength+1),
		"\u202ehttps://runner",
	} {
		tok, err := s.Sign(alice(), aud)
		if !errors.Is(err, assertion.ErrInvalidAudience) || tok != "" {
			t.Errorf("Sign(aud %q) = %d bytes, %v; want ErrInvalidAudience", aud, len(tok), err)
		}
		if err != nil && len(strings.TrimSpace(aud)) > 3 && strings.Contains(err.Error(), aud) {
			t.Errorf("error quotes the audience %q", aud)
		}
	}
	// List-looking and comma audiences are one opaque string, never a list.
	for _, aud := range []string{`["https://runner.example.com","https://vault.example.com"]`, "https://a,https://b", "https://u:p@runner.example.com"} {
		tok, err := s.Sign(alice(), aud)
		if err != nil {
			t.Fatalf("Sign(%q): %v", aud, err)
		}
		if got, ok := payloadOf(t, tok)["aud"].(string); !ok || got != aud {
			t.Errorf("aud %q written as %#v", aud, payloadOf(t, tok)["aud"])
		}
	}
}

// No option or clock makes an assertion live longer than MaxLifetime, and
// exp is always exactly iat + lifetime.
func TestAttack10aLifetimeCapped(t *testing.T) {
	ring, err := assertion.NewKeyRing(ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{assertion.MaxLifetime + time.Nanosecond, time.Hour, -time.Minute, 0, 1 << 62} {
		if _, err := assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(d)); err == nil {
			t.Errorf("WithLifetime(%v) accepted", d)
		}
	}
	// The last option does not win over a refused one.
	if _, err := assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(time.Hour), assertion.WithLifetime(time.Minute)); err == nil {
		t.Error("a refused WithLifetime was overridden by a later one")
	}
	far := time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
	s, err := assertion.NewSigner("https://b.example.com", ring, assertion.WithLifetime(assertion.MaxLifetime), assertion.WithClock(func() time.Time { return far }))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(alice(), "https://runner.example.com")
	if err != nil {
		return // refusing to mint near the end of time is fine
	}
	c := payloadOf(t, tok)
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat > assertion.MaxLifetime.Seconds() || exp < iat {
		t.Errorf("exp - iat = %v s", exp-iat)
	}
}

// The published set never holds private key material, for either key type,
// before and after rotation.
func TestAttack10aJWKSHoldsNoPrivateKey(t *testing.T) {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := start
	ring, err := assertion.NewKeyRing(ecKey(t), assertion.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		var set struct{ Keys []map[string]any }
		if err := json.Unmarshal(ring.JWKS(), &set); err != nil {
			t.Fatal(err)
		}
		for _, k := range set.Keys {
			for _, priv := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
				if _, ok := k[priv]; ok {
					t.Errorf("%s: JWKS key %v holds %q", when, k["kid"], priv)
				}
			}
		}
		if _, err := jwks.Static(ring.JWKS()); err != nil {
			t.Errorf("%s: a verifier refuses the set: %v", when, err)
		}
	}
	check("ES256")
	if err := ring.Rotate(ed); err != nil {
		t.Fatal(err)
	}
	check("after rotating to Ed25519")
	rec := httptest.NewRecorder()
	ring.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if strings.Contains(rec.Body.String(), `"d"`) {
		t.Error("the handler serves private key material")
	}
}

// Rotating to a key the ring already publishes (the current one, or one
// retired less than RetiredKeyRetention ago, as a roll-back does) must not
// publish two keys with one kid: every verifier refuses such a set
// (jwks.Static: "two keys with one kid"), so all assertions would fail.
func TestAttack10aRotateBackKeepsKidsUnique(t *testing.T) {
	now := start
	a, b := ecKey(t), ecKey(t)
	ring, err := assertion.NewKeyRing(a, assertion.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		key  crypto.Signer
	}{{"rotate to b", b}, {"roll back to a", a}, {"rotate to a again", a}} {
		now = now.Add(time.Minute)
		if err := ring.Rotate(step.key); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		var set struct{ Keys []struct{ Kid string } }
		if err := json.Unmarshal(ring.JWKS(), &set); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, k := range set.Keys {
			if seen[k.Kid] {
				t.Errorf("%s: the set publishes kid %s twice", step.name, k.Kid)
			}
			seen[k.Kid] = true
		}
		if _, err := jwks.Static(ring.JWKS()); err != nil {
			t.Errorf("%s: verifiers refuse the published set: %v", step.name, err)
		}
	}
}

// A retired key is published for RetiredKeyRetention and not a moment
// longer, however many rotations follow.
func TestAttack10aRetiredKeyLeavesOnTime(t *testing.T) {
	now := start
	ring, err := assertion.NewKeyRing(ecKey(t), assertion.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var set struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(ring.JWKS(), &set); err != nil {
			t.Fatal(err)
		}
		return len(set.Keys)
	}
	for i := 0; i < 50; i++ {
		if err := ring.Rotate(ecKey(t)); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if n := count(); n != 51 {
		t.Fatalf("after 50 rotations within retention: %d keys, want 51", n)
	}
	now = start.Add(49*time.Second + assertion.RetiredKeyRetention)
	if n := count(); n != 1 {
		t.Errorf("after the last retention ended: %d keys, want only the current one", n)
	}
}

// A Transport configured with one fixed audience must not hand that
// audience's assertion to another host: when the downstream redirects (to
// object storage, say), http.Client drops Authorization across hosts, but
// the Transport mints a fresh assertion for the fixed audience and sends it
// to the redirect target, which can replay it to the real downstream.
func TestAttack10aTransportRedirectLeaksFixedAudience(t *testing.T) {
	var (
		mu     sync.Mutex
		leaked []string
	)
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if v := r.Header.Get(assertion.AssertionHeader); v != "" {
			leaked = append(leaked, v)
		}
	}))
	defer thief.Close()
	runner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+"/object", http.StatusFound)
	}))
	defer runner.Close()
	// 127.0.0.1 and localhost are different hosts to http.Client.
	thief.URL = strings.Replace(thief.URL, "127.0.0.1", "localhost", 1)

	s, _ := newSigner(t)
	const aud = "https://runner.example.com"
	tr, err := assertion.NewTransport(s, assertion.WithAudience(aud))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	ctx := authn.NewContext(context.Background(), alice())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, runner.URL+"/run", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	for _, tok := range leaked {
		if got := payloadOf(t, tok)["aud"]; got == aud {
			t.Errorf("a redirect to another host received an assertion for %s", aud)
		}
	}
}

// A chain that does not verify assertions must still keep a client's own
// Authchain-Assertion from the handler, as it does every other identity
// header of authn.DefaultIdentityHeaders: a handler that proxies the
// request on (not through Transport) would otherwise forward the client's
// assertion as the service's own.
func TestAttack10aChainStripsClientAssertion(t *testing.T) {
	chain, err := authn.NewChain(noop{})
	if err != nil {
		t.Fatal(err)
	}
	for _, spelling := range []string{"Authchain-Assertion", "authchain_assertion", "AUTHCHAIN-ASSERTION"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header[spelling] = []string{"client-minted"}
		_, _, _ = chain.Authenticate(r)
		for k := range r.Header {
			if authn.HeaderNameEqual(k, assertion.AssertionHeader) {
				t.Errorf("the handler sees a client's %s", spelling)
			}
		}
	}
}

type noop struct{}

func (noop) Name() string { return "noop" }
func (noop) Authenticate(*http.Request, authn.Principal) authn.Decision {
	return authn.Skip("nothing")
}

// Each group is its own header line, but HTTP lets any hop join repeated
// lines with commas (RFC 9110, section 5.3), and most readers of a groups
// header split on commas: a group holding a comma must not reach the
// downstream as two groups.
func TestAttack10aPlainHeadersGroupComma(t *testing.T) {
	ph, err := assertion.NewPlainHeaders("X-User", "X-Groups", "X-Actor")
	if err != nil {
		t.Fatal(err)
	}
	p := alice()
	p.User.Groups = []string{"dev,system:masters"}
	h := http.Header{}
	if err := ph.Set(h, p); err != nil {
		return // refusing is fine
	}
	for _, v := range h.Values("X-Groups") {
		for _, g := range strings.Split(strings.Join(h.Values("X-Groups"), ","), ",") {
			if strings.TrimSpace(g) == "system:masters" {
				t.Errorf("group %q reaches a comma-splitting downstream as system:masters", v)
			}
		}
	}
}

// Inbound copies of the configured headers and the assertion header leave
// in every spelling and every value, and the result has one value each.
func TestAttack10aPlainHeadersStripsOddSpellings(t *testing.T) {
	ph, err := assertion.NewPlainHeaders("X-App-User", "X-App-Groups", "X-App-Actor")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{
		"x_app_user":          {"mallory", "root"},
		"X-APP-USER":          {"mallory"},
		"X-App-Groups":        {"admins"},
		"x-app-groups":        {"admins"},
		"X_App_Actor":         {"system:serviceaccount:kube-system:admin"},
		"Authchain_Assertion": {"forged"},
		"Impersonate-Group":   {"system:masters"},
	}
	p := alice()
	p.User.Groups = nil
	p.Actor = nil
	if err := ph.Set(h, p); err != nil {
		t.Fatal(err)
	}
	want := http.Header{"X-App-User": {"alice@example.com"}}
	if len(h) != len(want) || h.Get("X-App-User") != "alice@example.com" || len(h["X-App-User"]) != 1 {
		t.Errorf("headers after Set: %v; want %v", h, want)
	}
	// No user: only deleting.
	h = http.Header{"x_app_user": {"mallory"}}
	if err := ph.Set(h, authn.Principal{}); !errors.Is(err, assertion.ErrNoPrincipal) || len(h) != 0 {
		t.Errorf("Set without a user: %v, left %v", err, h)
	}
}

// The handler answers other methods with 405 and no key material, and
// the discovery document names only the issuer's own jwks_uri.
func TestAttack10aDiscoveryNamesOnlyTheIssuer(t *testing.T) {
	s, _ := newSigner(t)
	rec := httptest.NewRecorder()
	s.DiscoveryHandler("/.well-known/jwks.json").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://evil.example.com/.well-known/openid-configuration", nil))
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != s.Issuer() || !strings.HasPrefix(doc.JWKSURI, s.Issuer()) {
		t.Errorf("discovery follows the request's Host: %+v", doc)
	}
	_, ring := newSigner(t)
	rec = httptest.NewRecorder()
	ring.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/.well-known/jwks.json", strings.NewReader("{}")))
	if rec.Code != http.StatusMethodNotAllowed || strings.Contains(rec.Body.String(), "keys") {
		t.Errorf("POST: %d %q", rec.Code, rec.Body.String())
	}
}
