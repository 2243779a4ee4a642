package signed_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/signed"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/internal/tokentest"
)

// The valid header and claims of each vendor, as the golden cases write
// them; the attacks below change one thing at a time.
var attackValid = map[string]struct{ header, claims, key string }{
	"pomerium": {`{}`, `{"iss":"app.example.com","aud":"app.example.com","sub":"u-1","email":"alice@example.com","groups":["dev"],"iat":"-1s","exp":"+1m"}`, "ec"},
	"iap":      {`{}`, `{"iss":"https://cloud.google.com/iap","aud":"` + iapAudience + `","sub":"accounts.google.com:1","email":"alice@example.com","iat":"-1s","exp":"+9m"}`, "ec"},
	"alb": {`{"kid":"` + albKid + `","signer":"` + albARN + `","iss":"` + albIssuer + `","client":"` + albClient + `","exp":"+2m"}`,
		`{"sub":"user-123","email":"alice@example.com","email_verified":true,"exp":"+2m","iss":"` + albIssuer + `"}`, "ec"},
	"teleport": {`{}`, `{"iss":"teleport.example.com","aud":["` + appURI + `"],"username":"alice","roles":["access"],"exp":"+1m"}`, "rsa"},
}

var attackHeader = map[string]string{
	"pomerium": signed.PomeriumHeader, "iap": signed.IAPHeader, "alb": signed.ALBHeader, "teleport": signed.TeleportHeader,
}

// merge overlays the JSON object patch on the JSON object base; a null
// value deletes the name.
func merge(t testing.TB, base, patch string) string {
	t.Helper()
	var b, p map[string]any
	if err := json.Unmarshal([]byte(base), &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatal(err)
	}
	for k, v := range p {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// attackToken mints vendor's valid assertion with header and claims
// patched, signed with key ("" for the vendor's own).
func attackToken(t testing.TB, vendor, key, headerPatch, claimsPatch string) string {
	t.Helper()
	v := attackValid[vendor]
	if key == "" {
		key = v.key
	}
	tok, err := mint(t, key, merge(t, v.header, headerPatch), merge(t, v.claims, claimsPatch), vendor == "alb")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func decide(t testing.TB, vendor, headerValue string) authn.Decision {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(attackHeader[vendor], headerValue)
	return vendors(t)[vendor].Authenticate(r, authn.Principal{})
}

// mustRefuse fails unless d refuses (401); a Skip would let another
// strategy decide, which for an issuer this strategy owns is not allowed.
func mustRefuse(t *testing.T, what string, d authn.Decision) {
	t.Helper()
	if d.Outcome != authn.Rejected {
		t.Errorf("%s: %v (%s), want rejected", what, d.Outcome, d.Reason)
	}
}

// es384 signs the vendor's claims with ES384 (a P-384 key) under the kid of
// the proxy's EC key.
func es384(t *testing.T, vendor string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v := attackValid[vendor]
	hdr, claims := mustObj(t, v.header), mustObj(t, v.claims)
	for _, m := range []map[string]any{hdr, claims} {
		for _, n := range []string{"iat", "exp", "nbf"} {
			if s, ok := m[n].(string); ok {
				d := map[string]int64{"-1s": -1, "+1m": 60, "+2m": 120, "+9m": 540}[s]
				m[n] = tokentest.Now().Unix() + d
			}
		}
	}
	if _, ok := hdr["kid"]; !ok {
		hdr["kid"] = tokentest.KubeKID(t, &tokentest.Keys().EC.PublicKey)
	}
	tok := gojwt.NewWithClaims(gojwt.SigningMethodES384, gojwt.MapClaims(claims))
	for n, x := range hdr {
		tok.Header[n] = x
	}
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signLiteral signs vendor's valid assertion after patching header and
// claims with values written as they are (a string exp stays a string).
func signLiteral(t testing.TB, vendor string, headerPatch, claimsPatch map[string]any) string {
	t.Helper()
	v := attackValid[vendor]
	tok, err := mint(t, v.key, v.header, v.claims, vendor == "alb")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	enc := base64.RawURLEncoding
	if vendor == "alb" {
		enc = base64.URLEncoding
	}
	var segs [2]string
	for i, patch := range []map[string]any{headerPatch, claimsPatch} {
		b, err := enc.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		m := mustObj(t, string(b))
		for k, x := range patch {
			m[k] = x
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		segs[i] = enc.EncodeToString(out)
	}
	data := segs[0] + "." + segs[1]
	k := tokentest.Keys()
	var sig []byte
	if v.key == "rsa" {
		sig, err = gojwt.SigningMethodRS256.Sign(data, k.RSA)
	} else {
		sig, err = gojwt.SigningMethodES256.Sign(data, k.EC)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data + "." + enc.EncodeToString(sig)
}

func mustObj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAttack10bBaseline: the valid assertions the attacks start from do
// verify, so that every refusal below is the attack's doing.
func TestAttack10bBaseline(t *testing.T) {
	for vendor := range attackValid {
		if d := decide(t, vendor, attackToken(t, vendor, "", `{}`, `{}`)); d.Outcome != authn.Contributed {
			t.Errorf("%s: %v (%s)", vendor, d.Outcome, d.Reason)
		}
	}
}

// TestAttack10bAlgConfusion: none, HS256 keyed with the public key, the
// other family's algorithm, ES384, and alg spellings that differ only in
// case or space are refused by every vendor.
func TestAttack10bAlgConfusion(t *testing.T) {
	for vendor := range attackValid {
		other := "rsa"
		if vendor == "teleport" {
			other = "ec"
		}
		mustRefuse(t, vendor+" none", decide(t, vendor, attackToken(t, vendor, "none", `{}`, `{}`)))
		mustRefuse(t, vendor+" hs256-pub", decide(t, vendor, attackToken(t, vendor, "hs256-pub", `{}`, `{}`)))
		mustRefuse(t, vendor+" other family", decide(t, vendor, attackToken(t, vendor, other, `{}`, `{}`)))
		mustRefuse(t, vendor+" ES384", decide(t, vendor, es384(t, vendor)))
		for _, alg := range []string{"es256", "ES256 ", "rs256", "RS256\u0000", "NONE", "None"} {
			// The alg is rewritten after signing; the signature is the
			// proxy's own, over another header.
			mustRefuse(t, vendor+" alg "+alg, decide(t, vendor, attackToken(t, vendor, "", `{"alg":"`+strings.ReplaceAll(alg, "\u0000", `\u0000`)+`"}`, `{}`)))
		}
	}
}

// TestAttack10bTimes: expired, not yet valid, issued in the future, without
// exp, and exp written as a string are refused by every vendor.
func TestAttack10bTimes(t *testing.T) {
	for vendor := range attackValid {
		for name, patch := range map[string]string{
			"expired":      `{"exp":"-1m"}`,
			"nbf future":   `{"nbf":"+5m"}`,
			"iat future":   `{"iat":"+5m"}`,
			"exp zero":     `{"exp":0}`,
			"exp negative": `{"exp":-1}`,
			"exp huge":     `{"exp":1e300}`,
		} {
			claims := patch
			hdr := `{}`
			if vendor == "alb" && strings.Contains(patch, "exp") {
				// ALB's header exp holds too: set both.
				hdr = patch
			}
			mustRefuse(t, vendor+" "+name, decide(t, vendor, attackToken(t, vendor, "", hdr, claims)))
		}
		later := fmt.Sprint(tokentest.Now().Unix() + 600)
		mustRefuse(t, vendor+" exp string", decide(t, vendor, signLiteral(t, vendor, map[string]any{"exp": later}, map[string]any{"exp": later})))
		if vendor != "alb" {
			mustRefuse(t, vendor+" no exp", decide(t, vendor, attackToken(t, vendor, "", `{}`, `{"exp":null}`)))
		}
	}
}

// TestAttack10bIAPLifetimeOverflow: IAP's doc promises exp at most
// IAPMaxLifetime after iat. An exp 2^64 ns (about 584 years) after iat,
// still before the year 9999, must not pass that check by overflowing
// the duration it computes.
func TestAttack10bIAPLifetimeOverflow(t *testing.T) {
	iat := tokentest.Now().Unix()
	// 18446744074 s is 2^64 ns plus a fraction of a second.
	exp := iat + 18_446_744_074
	d := decide(t, "iap", attackToken(t, "iap", "", `{}`, fmt.Sprintf(`{"iat":%d,"exp":%d}`, iat, exp)))
	mustRefuse(t, "exp 584 years after iat", d)
	// The same with an ordinary long lifetime is refused, as the golden
	// case iap-lifetime-too-long shows.
	mustRefuse(t, "exp 1 day after iat", decide(t, "iap", attackToken(t, "iap", "", `{}`, fmt.Sprintf(`{"iat":%d,"exp":%d}`, iat, iat+86400))))
}

// TestAttack10bIAPOtherResource: an assertion IAP signed for another
// backend service, another project or an App Engine app is refused.
func TestAttack10bIAPOtherResource(t *testing.T) {
	for _, aud := range []string{
		"/projects/123456789/global/backendServices/987654322",
		"/projects/123456780/global/backendServices/987654321",
		"/projects/123456789/apps/my-project",
		iapAudience + "/",
		strings.ToUpper(iapAudience),
		"",
	} {
		mustRefuse(t, "aud "+aud, decide(t, "iap", attackToken(t, "iap", "", `{}`, `{"aud":"`+aud+`"}`)))
	}
	mustRefuse(t, "no aud", decide(t, "iap", attackToken(t, "iap", "", `{}`, `{"aud":null}`)))
	mustRefuse(t, "no iat", decide(t, "iap", attackToken(t, "iap", "", `{}`, `{"iat":null}`)))
}

// TestAttack10bALBHeaderFields: the signer ARN compared exactly (case,
// trailing characters, another account, a list), the client, the header's
// exp (missing, expired while the payload's is not), and a payload iss
// other than the header's are refused; another iss in the header is not
// applicable.
func TestAttack10bALBHeaderFields(t *testing.T) {
	for name, tt := range map[string]struct{ header, claims string }{
		"signer upper case":       {`{"signer":"` + strings.ToUpper(albARN) + `"}`, `{}`},
		"signer trailing space":   {`{"signer":"` + albARN + ` "}`, `{}`},
		"signer trailing slash":   {`{"signer":"` + albARN + `/"}`, `{}`},
		"signer trailing NUL":     {`{"signer":"` + albARN + `\u0000"}`, `{}`},
		"signer prefix":           {`{"signer":"` + albARN[:len(albARN)-1] + `"}`, `{}`},
		"signer other account":    {`{"signer":"` + strings.Replace(albARN, "123456789012", "210987654321", 1) + `"}`, `{}`},
		"signer list":             {`{"signer":["` + albARN + `"]}`, `{}`},
		"signer absent":           {`{"signer":null}`, `{}`},
		"client other":            {`{"client":"client-2"}`, `{}`},
		"client absent":           {`{"client":null}`, `{}`},
		"header exp absent":       {`{"exp":null}`, `{}`},
		"header expired":          {`{"exp":"-1m"}`, `{"exp":"+1h"}`},
		"payload expired":         {`{"exp":"+1h"}`, `{"exp":"-1m"}`},
		"header expired no claim": {`{"exp":"-1m"}`, `{"exp":null}`},
		"payload exp null":        {`{}`, `{"exp":null,"nbf":"-1s"}`},
		"payload iss other":       {`{}`, `{"iss":"https://evil.example.com"}`},
		"payload iss number":      {`{}`, `{"iss":1}`},
	} {
		if name == "payload exp null" {
			// A payload without exp takes the header's, which is valid:
			// this one must verify, the header's exp holding alone.
			if d := decide(t, "alb", attackToken(t, "alb", "", tt.header, tt.claims)); d.Outcome != authn.Contributed {
				t.Errorf("%s: %v (%s)", name, d.Outcome, d.Reason)
			}
			continue
		}
		mustRefuse(t, name, decide(t, "alb", attackToken(t, "alb", "", tt.header, tt.claims)))
	}
	later := fmt.Sprint(tokentest.Now().Unix() + 600)
	mustRefuse(t, "header exp string", decide(t, "alb", signLiteral(t, "alb", map[string]any{"exp": later}, map[string]any{"exp": nil})))
	mustRefuse(t, "header expired, payload exp a later string", decide(t, "alb",
		signLiteral(t, "alb", map[string]any{"exp": tokentest.Now().Unix() - 60}, map[string]any{"exp": later})))
	if d := decide(t, "alb", attackToken(t, "alb", "", `{"iss":"https://evil.example.com"}`, `{"iss":null}`)); d.Outcome == authn.Contributed {
		t.Errorf("header iss other: contributed")
	}
}

// TestAttack10bALBExpBeyond9999: a header exp past the year 9999 makes a
// Credential.ExpiresAt no Principal encoding can write; payload times
// past 9999 are refused (jwtcheck.ClaimsProblem), and the header's must be
// too.
func TestAttack10bALBExpBeyond9999(t *testing.T) {
	d := decide(t, "alb", attackToken(t, "alb", "", `{"exp":1e15}`, `{"exp":null}`))
	if d.Outcome == authn.Contributed {
		b, err := json.Marshal(d.Principal)
		t.Errorf("contributed with ExpiresAt %v (JSON error %v, %d bytes)", d.Principal.Credential.ExpiresAt, err, len(b))
	}
}

// TestAttack10bALBKidInURL: a kid that is a path, query, fragment,
// escape, non-ASCII or overlong never reaches the key URL and refuses the
// assertion.
func TestAttack10bALBKidInURL(t *testing.T) {
	e := &endpoint{status: http.StatusOK, body: albPEM(t, &tokentest.Keys().EC.PublicKey)}
	keys, err := signed.ALBKeys("eu-west-1", signed.WithALBHTTPClient(&http.Client{Transport: e}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := signed.ALB(keys, signed.ALBTarget{LoadBalancerARN: albARN, Issuer: albIssuer, ClientID: albClient}, signed.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{
		"../" + albKid, albKid + "/..", "%2e%2e%2f" + albKid, albKid + "%2f", albKid + "?x=1", albKid + "#x",
		albKid + "\n", "\u0430" + albKid[1:], "ａ" + albKid, strings.Repeat("a", 129), strings.Repeat("a", 100000),
		"@evil.example.com", ".evil.example.com", "", albKid + " ",
	} {
		kidJSON, _ := json.Marshal(kid)
		tok := attackToken(t, "alb", "", `{"kid":`+string(kidJSON)+`}`, `{}`)
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(signed.ALBHeader, tok)
		d := s.Authenticate(r, authn.Principal{})
		if d.Outcome != authn.Rejected {
			t.Errorf("kid %.40q: %v (%s)", kid, d.Outcome, d.Reason)
		}
	}
	if n := e.count(); n != 0 {
		t.Errorf("made-up kids fetched %d times", n)
	}
}

func albPEM(t testing.TB, pub *ecdsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestAttack10bALBPadding: padding may be present or absent (ALB pads), but
// base64 with non-zero trailing bits, padding in the middle, excess
// padding or the standard alphabet is one more spelling of another
// segment and refused.
func TestAttack10bALBPadding(t *testing.T) {
	tok := attackToken(t, "alb", "", `{}`, `{}`)
	parts := strings.Split(tok, ".")
	sig := parts[2]
	raw := strings.TrimRight(sig, "=")
	b, _ := base64.RawURLEncoding.DecodeString(raw)
	// A 64-byte ES256 signature ends in a 1-byte group: 2 characters,
	// whose last carries 4 unused bits.
	last := raw[len(raw)-1]
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	idx := strings.IndexByte(alphabet, last)
	trailing := raw[:len(raw)-1] + string(alphabet[idx^1])
	if len(b) != 64 {
		t.Fatalf("signature is %d bytes", len(b))
	}
	for name, v := range map[string]string{
		"sig trailing bits":   parts[0] + "." + parts[1] + "." + trailing,
		"sig excess padding":  parts[0] + "." + parts[1] + "." + raw + "===",
		"payload mid padding": parts[0] + "." + strings.Replace(parts[1], "=", "", -1)[:8] + "=" + strings.Replace(parts[1], "=", "", -1)[8:] + "." + sig,
		"std alphabet":        parts[0] + "." + parts[1] + "." + base64.StdEncoding.EncodeToString(b),
		"four segments":       tok + ".",
		"empty signature":     parts[0] + "." + parts[1] + ".",
	} {
		if v == tok || name == "std alphabet" && !strings.ContainsAny(v, "+/") {
			continue
		}
		mustRefuse(t, name, decide(t, "alb", v))
	}
	if d := decide(t, "alb", parts[0]+"."+parts[1]+"."+raw); d.Outcome != authn.Contributed {
		t.Errorf("unpadded signature: %v (%s)", d.Outcome, d.Reason)
	}
}

// redirector answers the regional endpoint with a redirect to target and
// serves body there.
type redirector struct {
	target string
	body   string
	hits   []string
}

func (r *redirector) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hits = append(r.hits, req.URL.String())
	if strings.HasPrefix(req.URL.String(), "https://public-keys.auth.elb.eu-west-1.amazonaws.com/") {
		h := http.Header{"Location": {r.target}}
		return &http.Response{StatusCode: http.StatusFound, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader([]byte(r.body))), Request: req}, nil
}

// TestAttack10bALBKeyRedirect: a redirect from the regional key endpoint to
// plain http, or to another host, must not supply a key: anyone on the
// network path of an http fetch could swap it, as jwks.URL's redirect rule
// says for JWKS URLs.
func TestAttack10bALBKeyRedirect(t *testing.T) {
	attacker := tokentest.Keys().EC2
	for _, target := range []string{
		"http://public-keys.auth.elb.eu-west-1.amazonaws.com/" + albKid,
		"https://keys.evil.example.com/" + albKid,
	} {
		rd := &redirector{target: target, body: albPEM(t, &attacker.PublicKey)}
		keys, err := signed.ALBKeys("eu-west-1", signed.WithALBHTTPClient(&http.Client{Transport: rd}))
		if err != nil {
			t.Fatal(err)
		}
		s, err := signed.ALB(keys, signed.ALBTarget{LoadBalancerARN: albARN, Issuer: albIssuer, ClientID: albClient}, signed.WithClock(tokentest.Now))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(signed.ALBHeader, attackToken(t, "alb", "ec2", `{}`, `{}`))
		if d := s.Authenticate(r, authn.Principal{}); d.Outcome == authn.Contributed {
			t.Errorf("redirect to %s: a key from there verified the assertion (fetched %v)", target, rd.hits)
		}
	}
}

// TestAttack10bSystemNames: Teleport roles and Pomerium groups naming a
// system: group (in any case or compatibility spelling) and users named
// system:… are refused, not passed on; with a prefix the group is the
// proxy's.
func TestAttack10bSystemNames(t *testing.T) {
	for _, g := range []string{"system:masters", "System:Masters", "SYSTEM:authenticated", "ſystem:masters", "ｓｙｓｔｅｍ:masters"} {
		gj, _ := json.Marshal(g)
		mustRefuse(t, "teleport role "+g, decide(t, "teleport", attackToken(t, "teleport", "", `{}`, `{"roles":[`+string(gj)+`]}`)))
		mustRefuse(t, "teleport user "+g, decide(t, "teleport", attackToken(t, "teleport", "", `{}`, `{"username":`+string(gj)+`}`)))
	}
	for _, u := range []string{"system:serviceaccount:kube-system:default", "system:admin", "system:anonymous"} {
		mustRefuse(t, "iap email "+u, decide(t, "iap", attackToken(t, "iap", "", `{}`, `{"email":"`+u+`"}`)))
		mustRefuse(t, "alb email "+u, decide(t, "alb", attackToken(t, "alb", "", `{}`, `{"email":"`+u+`"}`)))
	}
	// Pomerium without a prefix (the default).
	p, err := signed.Pomerium(staticKeys(t), route, signed.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(signed.PomeriumHeader, attackToken(t, "pomerium", "", `{}`, `{"groups":["dev","system:masters"]}`))
	mustRefuse(t, "pomerium group system:masters", p.Authenticate(r, authn.Principal{}))
	// With the prefix the tests configure, the group is pomerium's own.
	d := decide(t, "pomerium", attackToken(t, "pomerium", "", `{}`, `{"groups":["system:masters"]}`))
	if d.Outcome == authn.Contributed && (len(d.Principal.User.Groups) != 1 || d.Principal.User.Groups[0] != "pomerium:system:masters") {
		t.Errorf("prefixed groups: %v", d.Principal.User.Groups)
	}
	// email_verified false refuses an email used as the name.
	mustRefuse(t, "pomerium unverified email", decide(t, "pomerium", attackToken(t, "pomerium", "", `{}`, `{"email_verified":false}`)))
	mustRefuse(t, "alb unverified email", decide(t, "alb", attackToken(t, "alb", "", `{}`, `{"email_verified":"true"}`)))
}

// TestAttack10bTeleportTraits: only configured traits reach Extra; a
// flood of others is dropped, an unlisted trait cannot pose as a listed
// one, and a value breaking the name rule refuses the assertion.
func TestAttack10bTeleportTraits(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, `"t%d":["v"],`, i)
	}
	d := decide(t, "teleport", attackToken(t, "teleport", "", `{}`, `{"traits":{`+b.String()+`"logins":["root"],"Logins":["admin"],"logins ":["x"]}}`))
	if d.Outcome != authn.Contributed {
		t.Fatalf("%v (%s)", d.Outcome, d.Reason)
	}
	want := map[string][]string{signed.TeleportTraitPrefix + "logins": {"root"}}
	if fmt.Sprint(d.Principal.User.Extra) != fmt.Sprint(want) {
		t.Errorf("Extra = %v, want %v", d.Principal.User.Extra, want)
	}
	mustRefuse(t, "trait value with control character", decide(t, "teleport", attackToken(t, "teleport", "", `{}`, `{"traits":{"logins":["a\u0007b"]}}`)))
	mustRefuse(t, "trait value not a string", decide(t, "teleport", attackToken(t, "teleport", "", `{}`, `{"traits":{"logins":[1]}}`)))
}

// TestAttack10bOversized: an assertion over MaxAssertionLength (a groups
// flood, say) is refused before it is decoded.
func TestAttack10bOversized(t *testing.T) {
	groups := `"g0"` + strings.Repeat(`,"g"`, signed.MaxAssertionLength/4)
	mustRefuse(t, "groups flood", decide(t, "pomerium", attackToken(t, "pomerium", "", `{}`, `{"groups":[`+groups+`]}`)))
}

// TestAttack10bCrossVendor: a valid assertion of one vendor, sent in another
// vendor's header, never authenticates a chain holding all four.
func TestAttack10bCrossVendor(t *testing.T) {
	vs := vendors(t)
	chain, err := authn.NewChain(vs["pomerium"], vs["iap"], vs["alb"], vs["teleport"])
	if err != nil {
		t.Fatal(err)
	}
	for from := range attackValid {
		tok := attackToken(t, from, "", `{}`, `{}`)
		for to, header := range attackHeader {
			if to == from {
				continue
			}
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(header, tok)
			if p, _, err := chain.Authenticate(r); err == nil {
				t.Errorf("%s assertion in %s header authenticated %q", from, header, p.User.Name)
			}
		}
	}
}

// TestAttack10bStripped: after the chain, no spelling of an assertion
// header or of a vendor's unsigned identity headers is left for the
// handler, whether the assertion verified or not.
func TestAttack10bStripped(t *testing.T) {
	vs := vendors(t)
	chain, err := authn.NewChain(vs["pomerium"], vs["iap"], vs["alb"], vs["teleport"])
	if err != nil {
		t.Fatal(err)
	}
	for vendor, header := range attackHeader {
		for _, valid := range []bool{true, false} {
			tok := attackToken(t, vendor, "", `{}`, `{}`)
			if !valid {
				tok = attackToken(t, vendor, "ec2", `{}`, `{}`)
			}
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(header, tok)
			r.Header["X-Goog-Authenticated-User-Email"] = []string{"accounts.google.com:mallory@example.com"}
			r.Header["x-pomerium-claim-email"] = []string{"mallory@example.com"}
			r.Header["X_Amzn_Oidc_Identity"] = []string{"mallory"}
			r.Header["X-Amzn-Oidc-Accesstoken"] = []string{"forged"}
			_, _, _ = chain.Authenticate(r)
			for k := range r.Header {
				t.Errorf("%s (valid %v): header %q left for the handler", vendor, valid, k)
			}
		}
	}
	// A second spelling beside a valid assertion is a repeated header.
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(signed.IAPHeader, attackToken(t, "iap", "", `{}`, `{}`))
	r.Header["x-goog-iap-jwt-assertion"] = []string{attackToken(t, "iap", "", `{}`, `{"email":"mallory@example.com"}`)}
	if p, _, err := chain.Authenticate(r); err == nil {
		t.Errorf("two spellings authenticated %q", p.User.Name)
	}
}

// TestAttack10bForwardedDisagrees: a trusted forwarded user and a signed
// assertion naming someone else refuse the request, in either order.
func TestAttack10bForwardedDisagrees(t *testing.T) {
	fwd, err := strategies.Forwarded(strategies.InsecureTrustAnyPeer())
	if err != nil {
		t.Fatal(err)
	}
	iap := vendors(t)["iap"]
	for name, order := range map[string][]authn.Strategy{"forwarded first": {fwd, iap}, "signed first": {iap, fwd}} {
		chain, err := authn.NewChain(order...)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0.0.1:1234"
		r.Header.Set("X-Forwarded-User", "bob@example.com")
		r.Header.Set(signed.IAPHeader, attackToken(t, "iap", "", `{}`, `{}`))
		if p, _, err := chain.Authenticate(r); err == nil {
			t.Errorf("%s: authenticated %q", name, p.User.Name)
		}
	}
}

// TestAttack10bTwoRoutes: two Pomerium routes in one chain (under their
// own names) each accept only their own route's assertions.
func TestAttack10bTwoRoutes(t *testing.T) {
	keys := staticKeys(t)
	a, err := signed.Pomerium(keys, "a.example.com", signed.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	b, err := signed.Pomerium(keys, "b.example.com", signed.WithClock(tokentest.Now))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(authn.Named("route-a", a), authn.Named("route-b", b))
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		claims string
		ok     bool
	}{
		"b's own":                {`{"iss":"b.example.com","aud":"b.example.com"}`, true},
		"iss a, aud b":           {`{"iss":"a.example.com","aud":"b.example.com"}`, false},
		"iss b, aud a":           {`{"iss":"b.example.com","aud":"a.example.com"}`, false},
		"iss c":                  {`{"iss":"c.example.com","aud":"c.example.com"}`, false},
		"iss b, aud other and b": {`{"iss":"b.example.com","aud":["c.example.com","b.example.com"]}`, true},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(signed.PomeriumHeader, attackToken(t, "pomerium", "", `{}`, tt.claims))
		_, _, err := chain.Authenticate(r)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
