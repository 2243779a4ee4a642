package verify_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/assertion"
	"github.com/authchain/authchain/assertion/verify"
	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwks"
	"github.com/authchain/authchain/authntest"
)

// signRaw signs a hand-written JWS header and claims with ES256, so that a
// test can write a header gojwt would reorder.
func signRaw(t testing.TB, m *minter, header string, claims gojwt.MapClaims) string {
	t.Helper()
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signing := encodeSegment(header) + "." + encodeSegment(string(body))
	sig, err := gojwt.SigningMethodES256.Sign(signing, m.key)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + encodeSegment(string(sig))
}

func decide(s *verify.Strategy, token string) authn.Decision {
	return s.Authenticate(authntest.NewRequest(present(token)), authn.Principal{})
}

// With an ES256 and an EdDSA key both published (after a rotation), a
// token may not borrow one key's kid under the other's algorithm, nor use
// a public key as an HMAC secret, in either of its published forms.
func TestAttack10aAlgorithmSwaps(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	ed := edKey(t)
	ecKid := m.kid
	if err := m.ring.Rotate(ed); err != nil {
		t.Fatal(err)
	}
	s := newStrategy(t, m)
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(m.ring.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var edKid struct{ Kid string }
	_ = json.Unmarshal(set.Keys[0], &edKid)
	der, _ := x509.MarshalPKIXPublicKey(&m.key.PublicKey)
	for name, token := range map[string]string{
		"EdDSA under the EC kid":        m.forge(t, gojwt.SigningMethodEdDSA, ed, map[string]any{"kid": ecKid}, wire()),
		"ES256 under the Ed kid":        m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"kid": edKid.Kid}, wire()),
		"HS256 keyed with the JWK":      m.forge(t, gojwt.SigningMethodHS256, []byte(set.Keys[1]), map[string]any{"kid": ecKid}, wire()),
		"HS256 keyed with the DER":      m.forge(t, gojwt.SigningMethodHS256, der, map[string]any{"kid": ecKid}, wire()),
		"HS256 keyed with the Ed key":   m.forge(t, gojwt.SigningMethodHS256, []byte(ed.Public().(ed25519.PublicKey)), map[string]any{"kid": edKid.Kid}, wire()),
		"ES384 header, ES256 signature": signRaw(t, m, `{"alg":"ES384","kid":"`+ecKid+`","typ":"`+assertion.TokenType+`"}`, wire()),
		"none, no kid":                  m.forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": nil}, wire()),
		"ES256 without kid, 2-key set":  m.forge(t, gojwt.SigningMethodES256, m.key, map[string]any{"kid": nil}, wire()),
	} {
		if d := decide(s, token); d.Outcome != authn.Rejected {
			t.Errorf("%s: %v %s", name, d.Outcome, d.Reason)
		}
	}
}

// Only one reading of the JWS header may count: a header that says "JWT"
// under "typ" and the assertion type under "TYP" (as a token another
// component signs with the same key could carry) is not an assertion.
func TestAttack10aTypSpelledTwice(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	for _, header := range []string{
		`{"alg":"ES256","kid":"` + m.kid + `","typ":"JWT","TYP":"` + assertion.TokenType + `"}`,
		`{"alg":"ES256","kid":"` + m.kid + `","typ":"JWT","\u0054yp":"` + assertion.TokenType + `"}`,
		`{"alg":"ES256","kid":"` + m.kid + `","Typ":"` + assertion.TokenType + `"}`,
	} {
		if d := decide(s, signRaw(t, m, header, wire())); d.Outcome != authn.Rejected {
			t.Errorf("header %s: %v %s", header, d.Outcome, d.Reason)
		}
	}
}

// A replay cache of size n must not be emptied by n fresh assertions: a
// caller who can make the minting service send requests (any user of the
// backend) pushes a stolen assertion's jti out, then replays it within its
// lifetime.
func TestAttack10aReplayCacheFlood(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m, verify.WithReplayCache(8))
	stolen := m.sign(t, human(), audience)
	if d := decide(s, stolen); d.Outcome != authn.Contributed {
		t.Fatalf("first use: %v %s", d.Outcome, d.Reason)
	}
	for i := 0; i < 8; i++ {
		_ = decide(s, m.sign(t, direct(), audience))
	}
	if d := decide(s, stolen); d.Outcome == authn.Contributed {
		t.Error("an unexpired assertion was accepted twice after the replay cache was flooded")
	}
}

// A key that has left the published set no longer verifies what it
// signed, even for a verifier that fetches the set again.
func TestAttack10aRetiredKeyDropped(t *testing.T) {
	now := start
	m := newMinter(t, issuer, func() time.Time { return now })
	old := m.sign(t, human(), audience)
	if err := m.ring.Rotate(edKey(t)); err != nil {
		t.Fatal(err)
	}
	now = start.Add(assertion.RetiredKeyRetention)
	set, err := jwks.Static(m.ring.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	s, err := verify.New(issuer, set, verify.WithAudiences(audience), verify.WithClock(func() time.Time { return start.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	if d := decide(s, old); d.Outcome != authn.Rejected {
		t.Errorf("retired key's assertion: %v %s", d.Outcome, d.Reason)
	}
}

// Floods of the header are refused unread, and never quoted.
func TestAttack10aHeaderFloods(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	valid := m.sign(t, human(), audience)
	huge := valid + strings.Repeat("A", verify.MaxAssertionLength)
	many := make([]string, 1000)
	for i := range many {
		many[i] = valid
	}
	for name, h := range map[string]http.Header{
		"huge":           {assertion.AssertionHeader: {huge}},
		"1000 values":    {assertion.AssertionHeader: many},
		"two spellings":  {assertion.AssertionHeader: {valid}, "authchain_assertion": {valid}},
		"lower spelling": {"authchain-assertion": {valid}},
		"empty and one":  {assertion.AssertionHeader: {"", valid}},
	} {
		r := authntest.NewRequest()
		r.Header = h
		d := s.Authenticate(r, authn.Principal{})
		if d.Outcome != authn.Rejected {
			t.Errorf("%s: %v %s", name, d.Outcome, d.Reason)
		}
		if strings.Contains(d.Reason+d.Detail, valid[:40]) {
			t.Errorf("%s: the decision quotes the token", name)
		}
		for k := range r.Header {
			if authn.HeaderNameEqual(k, assertion.AssertionHeader) {
				t.Errorf("%s: header %s left for the handler", name, k)
			}
		}
	}
}

// An audience list is refused even when every member is accepted, and an
// audience differing only in case, a trailing slash or a default port is
// another audience.
func TestAttack10aAudienceSpellings(t *testing.T) {
	m := newMinter(t, issuer, func() time.Time { return start })
	s := newStrategy(t, m)
	with := func(aud any) gojwt.MapClaims { c := wire(); c["aud"] = aud; return c }
	for name, aud := range map[string]any{
		"list of ours twice": []string{audience, audience},
		"upper case":         strings.ToUpper(audience),
		"trailing slash":     audience + "/",
		"default port":       audience + ":443",
		"empty list":         []string{},
		"number":             1,
	} {
		if d := decide(s, m.forge(t, gojwt.SigningMethodES256, m.key, nil, with(aud))); d.Outcome != authn.Rejected {
			t.Errorf("%s: %v %s", name, d.Outcome, d.Reason)
		}
	}
}
