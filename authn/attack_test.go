package authn_test

// Adversarial tests of package authn: the identity-name rule, the keys that
// per-user data is stored under, and the chain's own guarantees (typed
// nils, zero values, panics, concurrency). Each test asserts the secure
// outcome, so a failure is a way in.

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/bearer/jwt"
	"github.com/authchain/authchain/authn/bearer/tokenreview"
	"github.com/authchain/authchain/authn/strategies"
)

// attackRefusedUsers are user names the identity-name rule documents as
// refused (README, "Trust model"; authn.CheckUserName).
var attackRefusedUsers = []struct{ name, value string }{
	{"upper-case system prefix", "SYSTEM:serviceaccount:ns:key"},
	{"mixed-case system prefix", "System:masters"},
	{"long s system prefix", "\u017Fystem:admin"},
	{"fullwidth system prefix", "\uFF53\uFF59\uFF53\uFF54\uFF45\uFF4D:admin"},
	{"presentation-form colon", "system\uFE13admin"},
	{"fullwidth colon", "system\uFF1Aadmin"},
	{"kelvin sign (not NFC)", "\u212Aelvin"},
	{"ohm sign (not NFC)", "\u2126mega"},
	{"NFD e acute", "e\u0301mile"},
	{"zero-width space", "ali\u200Bce"},
	{"zero-width joiner", "alice\u200D"},
	{"word joiner", "alice\u2060"},
	{"BOM first", "\uFEFFalice"},
	{"RLO bidi override", "alice\u202Egnp.exe"},
	{"LRI bidi isolate", "alice\u2066"},
	{"ALM", "alice\u061C"},
	{"NBSP", "alice\u00A0"},
	{"ideographic space", "ali\u3000ce"},
	{"ogham space mark", "ali\u1680ce"},
	{"hangul filler U+3164", "ali\u3164ce"},
	{"hangul choseong filler", "alice\u115F"},
	{"hangul jungseong filler", "alice\u1160"},
	{"halfwidth hangul filler", "alice\uFFA0"},
	{"tag characters", "alice\U000E0041\U000E007F"},
	{"variation selector 16", "alice\uFE0F"},
	{"variation selector supplement", "alice\U000E0100"},
	{"mongolian FVS", "alice\u180B"},
	{"mongolian vowel separator", "alice\u180E"},
	{"soft hyphen", "ali\u00ADce"},
	{"combining grapheme joiner", "alice\u034F"},
	{"khmer inherent vowel", "alice\u17B4"},
	{"interlinear annotation", "alice\uFFF9"},
	{"musical formatting", "alice\U0001D173"},
	{"shorthand format control", "alice\U0001BCA0"},
	{"synthetic prefix", "system-serviceaccount-ns-key"},
	{"synthetic prefix upper case", "System-ServiceAccount-ns-key"},
	{"synthetic legacy-id twin (spaces)", "system serviceaccount ns key"},
	{"synthetic legacy-id twin (colons)", "system:serviceaccount ns key"},
	{"synthetic legacy-id twin (leading dashes)", "--system--serviceaccount--ns-key"},
	{"synthetic legacy-id twin (slashes)", "system/serviceaccount/ns/key"},
	{"synthetic prefix long s", "\u017Fystem-serviceaccount-ns-key"},
	{"synthetic prefix fullwidth", "\uFF53ystem-serviceaccount-ns-key"},
	{"synthetic legacy-id twin (unicode hyphen)", "system\u2010serviceaccount\u2010ns\u2010key"},
	{"synthetic legacy-id twin (modifier letters)", "system-servi\u1D9Cea\u1D9C\u1D9Count-ns-key"},
	{"newline", "alice\nbob"},
	{"line separator", "alice\u2028"},
	{"paragraph separator", "alice\u2029"},
	{"DEL", "alice\x7f"},
	{"C1 NEL", "alice\u0085"},
	{"leading space", " alice"},
	{"trailing space", "alice "},
	{"invalid UTF-8", "alice\xff"},
	{"private use", "alice\U000F0000"},
	{"noncharacter", "alice\uFFFE"},
	{"lone surrogate encoding", "alice\xed\xa0\x80"},
	{"empty", ""},
}

// TestAttack_NameRuleRefusesDocumentedTricks: every spelling the README
// says is refused is refused by CheckUserName.
func TestAttack_NameRuleRefusesDocumentedTricks(t *testing.T) {
	for _, tt := range attackRefusedUsers {
		t.Run(tt.name, func(t *testing.T) {
			if err := authn.CheckUserName(tt.value); err == nil {
				t.Errorf("CheckUserName(%+q) = nil, want a refusal", tt.value)
			}
		})
	}
}

// TestAttack_GroupRuleRefusesSystemSpellings: a proxy may not assert a
// system: group in any case or compatibility spelling.
func TestAttack_GroupRuleRefusesSystemSpellings(t *testing.T) {
	for _, g := range []string{
		"system:masters", "SYSTEM:masters", "\u017Fystem:masters",
		"\uFF53\uFF59\uFF53\uFF54\uFF45\uFF4D:masters", "system\uFE13masters", "system\uFF1Amasters",
		"system:masters\u200B", "\uFEFFsystem:masters",
	} {
		if err := authn.CheckGroupName(g); err == nil {
			t.Errorf("CheckGroupName(%+q) = nil, want a refusal", g)
		}
	}
}

// TestAttack_NameRuleBlankLookalikes: a name that renders exactly like
// "alice" must not be a second identity. U+2800 BRAILLE PATTERN BLANK
// renders as an empty cell in every common font, like the Hangul fillers,
// yet is neither white space nor a format character.
func TestAttack_NameRuleBlankLookalikes(t *testing.T) {
	for _, v := range []string{"alice\u2800", "\u2800alice", "ali\u2800ce", "\u2800"} {
		if err := authn.CheckUserName(v); err == nil {
			t.Errorf("CheckUserName(%+q) = nil: a blank-rendering character makes a look-alike of another user", v)
		}
	}
}

// attackAlphabet mixes ASCII with the characters the name rule is about.
var attackAlphabet = []rune{
	'a', 'A', 's', 'S', 'y', 'Y', 't', 'e', 'm', 'r', 'v', 'i', 'c', 'o', 'u', 'n', 'k', 'K',
	':', '-', '_', '.', '/', ' ', '@', '%', '0', '9',
	'\u017F', '\u212A', '\u0301', '\u00E9', '\uFF53', '\uFF1A', '\uFE13', '\u200B', '\u00A0',
	'\u3164', '\u2800', '\u0130', '\u0131', '\u1D9C', '\u2010', '\uFEFF',
}

func randomName(r *rand.Rand, maxLen int) string {
	var b strings.Builder
	n := r.IntN(maxLen) + 1
	for range n {
		b.WriteRune(attackAlphabet[r.IntN(len(attackAlphabet))])
	}
	return b.String()
}

// TestAttack_NoHumanSharesASyntheticNameOrLegacyID: among random names
// built from the tricky alphabet, none that CheckUserName accepts has a
// LegacyID (or the LegacyID of its NFKC form) starting with the synthetic
// prefix in any case, and none is a ServiceAccount subject.
func TestAttack_NoHumanSharesASyntheticNameOrLegacyID(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	prefixes := []string{"system-serviceaccount-", "system:serviceaccount:"}
	seeds := []string{"system-serviceaccount-", "system serviceaccount ", "System_ServiceAccount_", "system.serviceaccount."}
	for i := range 200_000 {
		var name string
		if i%4 == 0 {
			name = seeds[r.IntN(len(seeds))] + randomName(r, 6)
		} else {
			name = randomName(r, 28)
		}
		if authn.CheckUserName(name) != nil {
			continue
		}
		for _, cand := range []string{authn.LegacyID(name), authn.LegacyID(norm.NFKC.String(name))} {
			for _, p := range prefixes[:1] {
				if len(cand) >= len(p) && strings.EqualFold(cand[:len(p)], p) {
					t.Fatalf("accepted human %+q has legacy id %q, a synthetic user's", name, cand)
				}
			}
		}
		if authn.IsServiceAccountSubject(name) {
			t.Fatalf("accepted human %+q is a ServiceAccount subject", name)
		}
	}
}

// TestAttack_StorageKeyAndObjectName: for random names, StorageKey is
// injective, lower case, and free of path separators; ObjectName is a valid
// DNS-1123 subdomain, at most 253 bytes, and injective; case variants stay
// apart.
func TestAttack_StorageKeyAndObjectName(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	keys := map[string]string{}
	objects := map[string]string{}
	check := func(name string) {
		p := authn.Principal{User: authn.User{Name: name}}
		k, o := p.StorageKey(), p.ObjectName()
		if prev, ok := keys[k]; ok && prev != name {
			t.Fatalf("StorageKey collision: %+q and %+q -> %q", prev, name, k)
		}
		keys[k] = name
		if prev, ok := objects[o]; ok && prev != name {
			t.Fatalf("ObjectName collision: %+q and %+q -> %q", prev, name, o)
		}
		objects[o] = name
		if strings.ToLower(k) != k || strings.ContainsAny(k, "/\\\x00") || k == "." || k == ".." || strings.HasPrefix(k, ".") {
			t.Fatalf("StorageKey(%+q) = %q is not a safe lower-case file name", name, k)
		}
		if errs := validation.IsDNS1123Subdomain(o); len(errs) > 0 || len(o) > 253 {
			t.Fatalf("ObjectName(%+q) = %q is not a DNS-1123 subdomain: %v", name, o, errs)
		}
	}
	for _, name := range []string{"alice", "Alice", "ALICE", "a.b", "a..b", ".alice", "..", "a-.b", "a.-b", "-", ".", "_", "a_b", "a-b", "a/b", "a:b",
		strings.Repeat("x", 300), strings.Repeat(".", 80) + "a", strings.Repeat("-.", 40), "alice@example.com", "Alice@Example.com"} {
		check(name)
	}
	for range 100_000 {
		check(randomName(r, 90))
	}
}

// TestAttack_SyntheticKeysApartFromHumans: the synthetic user of a key is
// stored under its subject; a human with the synthetic name's legacy spelling
// is refused, so the two can never share StorageKey or ObjectName.
func TestAttack_SyntheticKeysApartFromHumans(t *testing.T) {
	synth := authn.Principal{User: authn.User{Name: "system-serviceaccount-team-x-bot"}, Synthetic: true,
		Actor: &authn.ServiceAccount{Namespace: "team-x", Name: "bot"}}
	other := authn.Principal{User: authn.User{Name: "system-serviceaccount-team-x-bot"}, Synthetic: true,
		Actor: &authn.ServiceAccount{Namespace: "team", Name: "x-bot"}}
	if synth.StorageKey() == other.StorageKey() || synth.ObjectName() == other.ObjectName() {
		t.Errorf("two keys with one legacy id share a storage key: %q / %q", synth.StorageKey(), synth.ObjectName())
	}
	for _, human := range []string{"system:serviceaccount:team-x:bot", "system-serviceaccount-team-x-bot", "system serviceaccount team x bot"} {
		chain, err := authn.NewChain(authn.StrategyFunc("h", func(_ *http.Request, p authn.Principal) authn.Decision {
			p.User = authn.User{Name: human}
			return authn.Contribute(p, "")
		}))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); err == nil {
			t.Errorf("chain admitted a human named %q, a synthetic user's name or key", human)
		}
	}
}

// TestAttack_ChainRefusesBadResultsFromCustomStrategies: whatever a custom
// strategy contributes, the chain refuses names the rule refuses, in any
// field.
func TestAttack_ChainRefusesBadResultsFromCustomStrategies(t *testing.T) {
	for i, u := range []authn.User{
		{Name: "alice", Groups: []string{"dev\u200B"}},
		{Name: "alice", Extra: map[string][]string{"k\u202E": {"v"}}},
		{Name: "alice", Extra: map[string][]string{"k": {"v\n"}}},
		{Name: "alice", UID: "u\x00"},
		{Name: "alice", Email: "a\u00A0@x"},
		{Name: "SYSTEM:admin"},
		{Name: "system:serviceaccount:ns:key"},
	} {
		chain, err := authn.NewChain(authn.StrategyFunc("custom", func(_ *http.Request, p authn.Principal) authn.Decision {
			p.User = u
			return authn.Contribute(p, "")
		}))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); err == nil {
			t.Errorf("case %d: chain admitted %+v", i, u)
		}
	}
	// A synthetic result must carry the prefix.
	chain, _ := authn.NewChain(authn.StrategyFunc("custom", func(_ *http.Request, p authn.Principal) authn.Decision {
		p.User, p.Synthetic = authn.User{Name: "alice"}, true
		p.Actor = &authn.ServiceAccount{Namespace: "ns", Name: "k"}
		return authn.Contribute(p, "")
	}))
	if _, _, err := chain.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil)); err == nil {
		t.Error("chain admitted a synthetic principal named like a human")
	}
}

// TestAttack_NewChainRefusesTypedNils: a nil strategy of every type the
// library exports, and a StrategyFunc of a nil func, are refused at
// NewChain, not on the first request.
func TestAttack_NewChainRefusesTypedNils(t *testing.T) {
	for _, s := range []authn.Strategy{
		nil,
		(*strategies.ForwardedStrategy)(nil),
		(*strategies.ServiceAccountStrategy)(nil),
		(*strategies.AnnotationStrategy)(nil),
		(*jwt.Strategy)(nil),
		(*tokenreview.Strategy)(nil),
		(*strategies.SyntheticStrategy)(nil),
		authn.StrategyFunc("nil-func", nil),
	} {
		if _, err := authn.NewChain(s); err == nil {
			t.Errorf("NewChain(%T) accepted a nil strategy", s)
		}
	}
}

// panicking is a strategy that panics after reading the request.
type panicking struct{}

func (panicking) Name() string { return "panicking" }
func (panicking) Authenticate(*http.Request, authn.Principal) authn.Decision {
	panic("strategy bug")
}

// TestAttack_PanicStillStripsIdentityHeaders: when a strategy panics, a
// recovering middleware in front (and anything after it) finds no identity
// header the client sent.
func TestAttack_PanicStillStripsIdentityHeaders(t *testing.T) {
	chain, err := authn.NewChain(authn.StrategyFunc("noop", func(*http.Request, authn.Principal) authn.Decision { return authn.Skip("") }), panicking{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	identity := []string{"X-Forwarded-User", "X-Remote-User", "X-Remote-Group", "X-Remote-Extra-Scopes", "Impersonate-User",
		"Impersonate-Extra-Foo", "X-Auth-Request-User", "X-Forwarded-Access-Token", "X-Pomerium-Jwt-Assertion",
		"X-Goog-Authenticated-User-Email", "X-Goog-Iap-Jwt-Assertion", "X-Amzn-Oidc-Data", "Teleport-Jwt-Assertion",
		"Cf-Access-Jwt-Assertion", "X-Ms-Client-Principal-Name", "Remote-User", "X-Authentik-Username"}
	for _, h := range identity {
		r.Header.Set(h, "admin")
		r.Header[strings.ReplaceAll(strings.ToLower(h), "-", "_")] = []string{"admin"}
	}
	func() {
		defer func() { _ = recover() }()
		_, _, _ = chain.Authenticate(r)
		t.Error("the panic did not propagate")
	}()
	for k := range r.Header {
		t.Errorf("after a panic the request still carries %s", k)
	}
}

// TestAttack_ChainConcurrentUse: one chain, many goroutines, under -race.
func TestAttack_ChainConcurrentUse(t *testing.T) {
	trust := strategies.InsecureTrustAnyPeer()
	fwd, err := strategies.Forwarded(trust)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := authn.NewChain(fwd, strategies.ServiceAccount(), strategies.Synthetic())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				name := fmt.Sprintf("user-%d-%d", g, i)
				r.Header.Set("X-Forwarded-User", name)
				r.Header.Set("X-Forwarded-Groups", "a,b,"+name)
				p, _, err := chain.Authenticate(r)
				if err != nil || p.User.Name != name || len(p.User.Groups) != 3 || p.User.Groups[2] != name {
					t.Errorf("goroutine %d got %+v, %v", g, p.User, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
