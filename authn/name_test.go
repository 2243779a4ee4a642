package authn_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/authchain/authchain/authn"
)

// nameCase is one value judged by the three checks of the identity-name
// rule; a nil error means accepted.
type nameCase struct {
	name               string
	in                 string
	check, user, group error
}

func nameCases() []nameCase {
	var (
		empty     = authn.ErrNameEmpty
		utf       = authn.ErrNameUTF8
		control   = authn.ErrNameControl
		format    = authn.ErrNameFormat
		space     = authn.ErrNameSpace
		unusual   = authn.ErrNameUnusual
		notNFC    = authn.ErrNameNotNFC
		reserved  = authn.ErrNameReserved
		synthetic = authn.ErrNameSynthetic
	)
	return []nameCase{
		// Ordinary names pass all three.
		{"email", "alice@example.com", nil, nil, nil},
		{"NFC diaeresis", "Zo\u00eb", nil, nil, nil},
		{"CJK", "山田太郎", nil, nil, nil},
		{"precomposed Hangul", "김민준", nil, nil, nil},
		{"Cyrillic", "Дмитрий", nil, nil, nil},
		{"inner space", "Jürgen Müller", nil, nil, nil},
		{"apostrophe", "o'brien", nil, nil, nil},
		{"replacement character as written", "alice\ufffd", nil, nil, nil},
		{"system alone", "system", nil, nil, nil},
		{"system without colon", "systemadmin", nil, nil, nil},
		{"system dash", "system-admin", nil, nil, nil},
		{"underscored subject", "system_serviceaccount_ns_name", nil, nil, nil},
		{"dotted subject", "system.serviceaccount.ns.name", nil, nil, nil},
		{"a comma is a character", "devs,system:masters", nil, nil, nil},

		// Empty: the format part does not judge it.
		{"empty", "", nil, empty, empty},

		// White space other than inner U+0020.
		{"NBSP inside", "ali\u00a0ce", space, space, space},
		{"NBSP at the end", "alice\u00a0", space, space, space},
		{"ideographic space", "alice\u3000", space, space, space},
		{"en quad", "a\u2000b", space, space, space},
		{"leading space", " alice", space, space, space},
		{"trailing space", "alice ", space, space, space},
		{"only a space", " ", space, space, space},

		// Invisible characters.
		{"zero-width space", "ali\u200bce", format, format, format},
		{"zero-width non-joiner", "ali\u200cce", format, format, format},
		{"zero-width joiner", "\u200dalice", format, format, format},
		{"word joiner", "alice\u2060", format, format, format},
		{"BOM", "\ufeffalice", format, format, format},
		{"soft hyphen", "ali\u00adce", format, format, format},
		{"right-to-left override", "alice\u202egnp.exe", format, format, format},
		{"left-to-right embedding", "\u202aalice", format, format, format},
		{"isolates", "\u2066alice\u2069", format, format, format},
		{"first strong isolate", "\u2068alice", format, format, format},
		{"right-to-left mark", "alice\u200f", format, format, format},
		{"tag character", "alice\U000e0041", format, format, format},
		{"Mongolian vowel separator", "a\u180eb", format, format, format},
		{"Hangul filler", "alice\u3164", format, format, format},
		{"blank braille pattern", "alice\u2800", format, format, format},
		{"blank braille pattern alone", "\u2800", format, format, format},
		{"null notehead", "\U0001D159alice", format, format, format},
		{"leading combining mark", "\u0301alice", authn.ErrNameLeadingMark, authn.ErrNameLeadingMark, authn.ErrNameLeadingMark},
		{"inner combining mark in NFC", "zo\u0308e", notNFC, notNFC, notNFC},
		{"Hangul choseong filler", "\u115falice", format, format, format},
		{"halfwidth Hangul filler", "alice\uffa0", format, format, format},
		{"combining grapheme joiner", "ali\u034fce", format, format, format},
		{"variation selector", "alice\ufe0f", format, format, format},
		{"ideographic variation selector", "葛\U000e0100", format, format, format},

		// Not NFC.
		{"NFD e acute", "e\u0301", notNFC, notNFC, notNFC},
		{"NFD diaeresis", "Zoe\u0308", notNFC, notNFC, notNFC},
		{"conjoining jamo", "\u1100\u1161", notNFC, notNFC, notNFC},
		{"Angstrom sign", "\u212b", notNFC, notNFC, notNFC},

		// Control characters and broken text.
		{"NUL", "alice\x00", control, control, control},
		{"tab", "a\tb", control, control, control},
		{"newline", "alice\nadmin", control, control, control},
		{"carriage return", "alice\r", control, control, control},
		{"DEL", "alice\x7f", control, control, control},
		{"C1 next line", "a\u0085b", control, control, control},
		{"C1 CSI", "a\u009bb", control, control, control},
		{"line separator", "a\u2028b", control, control, control},
		{"paragraph separator", "a\u2029b", control, control, control},
		{"invalid byte", "alice\xff", utf, utf, utf},
		{"truncated sequence", "alice\xc3", utf, utf, utf},
		{"overlong encoding", "\xc0\xaf", utf, utf, utf},
		{"encoded surrogate", "\xed\xa0\x80", utf, utf, utf},
		{"private use", "alice\ue000", unusual, unusual, unusual},
		{"supplementary private use", "\U000f0000", unusual, unusual, unusual},
		{"unassigned", "a\u0378", unusual, unusual, unusual},
		{"noncharacter", "a\ufffe", unusual, unusual, unusual},

		// system: in any case or compatibility spelling.
		{"system user", "system:admin", nil, reserved, reserved},
		{"system prefix alone", "system:", nil, reserved, reserved},
		{"ServiceAccount subject", "system:serviceaccount:ns:name", nil, reserved, reserved},
		{"upper-case subject", "SYSTEM:serviceaccount:ns:name", nil, reserved, reserved},
		{"title-case masters", "System:masters", nil, reserved, reserved},
		{"fullwidth system", "ｓｙｓｔｅｍ:masters", nil, reserved, reserved},
		{"fullwidth colon", "system：masters", nil, reserved, reserved},
		{"long s", "ſystem:masters", nil, reserved, reserved},
		{"ServiceAccount group", "system:serviceaccounts:ns", nil, reserved, reserved},

		// The synthetic prefix, for users only.
		{"synthetic name", "system-serviceaccount-ns-name", nil, synthetic, nil},
		{"synthetic name, title case", "System-ServiceAccount-ns-name", nil, synthetic, nil},
		{"synthetic name, upper case", "SYSTEM-SERVICEACCOUNT-NS-NAME", nil, synthetic, nil},
		{"synthetic prefix alone", "system-serviceaccount-", nil, synthetic, nil},
		{"fullwidth synthetic", "ｓｙｓｔｅｍ-serviceaccount-ns-name", nil, synthetic, nil},
		{"long s synthetic", "ſystem-ſerviceaccount-ns-name", nil, synthetic, nil},
		{"same legacy id: spaces", "system serviceaccount ns name", nil, synthetic, nil},
		{"same legacy id: slashes", "system/serviceaccount/ns/name", nil, synthetic, nil},
		{"same legacy id: leading dash", "-system-serviceaccount-ns-name", nil, synthetic, nil},
		{"same legacy id: doubled dashes", "@system--serviceaccount--ns", nil, synthetic, nil},
		{"same legacy id: non-ASCII separator", "system—serviceaccount—ns—name", nil, synthetic, nil},
		{"same legacy id after compatibility mapping", "ｓｙｓｔｅｍ serviceaccount ns", nil, synthetic, nil},
	}
}

func TestNameRule(t *testing.T) {
	for _, tt := range nameCases() {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				what  string
				check func(string) error
				want  error
			}{
				{"CheckName", authn.CheckName, tt.check},
				{"CheckUserName", authn.CheckUserName, tt.user},
				{"CheckGroupName", authn.CheckGroupName, tt.group},
			} {
				if got := c.check(tt.in); !errors.Is(got, c.want) || (got == nil) != (c.want == nil) {
					t.Errorf("%s(%q) = %v, want %v", c.what, tt.in, got, c.want)
				}
			}
		})
	}
}

// TestNameRuleReasonsQuoteNothing: the reasons go into response bodies, so
// none may carry any part of the value.
func TestNameRuleReasonsQuoteNothing(t *testing.T) {
	const secret = "s3cr3t"
	for _, tt := range nameCases() {
		in := secret + tt.in
		for _, err := range []error{authn.CheckName(in), authn.CheckUserName(in), authn.CheckGroupName(in)} {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("reason %q quotes the value", err)
			}
		}
	}
}

// TestNameRuleAllocs: an ASCII name, the common case, is judged without
// allocating.
func TestNameRuleAllocs(t *testing.T) {
	for _, name := range []string{"alice@example.com", "system:masters", "system-serviceaccount-ns-key", "system serviceaccount ns key"} {
		if n := testing.AllocsPerRun(100, func() {
			_ = authn.CheckUserName(name)
			_ = authn.CheckGroupName(name)
		}); n != 0 {
			t.Errorf("%q: %v allocs/op, want 0", name, n)
		}
	}
}

// FuzzNameRule checks the rule's promises on arbitrary input, with
// oracles written apart from the code under test: no check panics; an
// accepted name is valid UTF-8 in NFC, holds only graphic characters and no
// white space but inner U+0020; an accepted user name does not start with
// system: or the synthetic prefix after compatibility mapping and full case
// folding, nor does its legacy id start with the synthetic prefix; an
// accepted group does not start with system:.
func FuzzNameRule(f *testing.F) {
	for _, tt := range nameCases() {
		f.Add(tt.in)
	}
	fold := cases.Fold()
	folded := func(s string) string { return fold.String(norm.NFKC.String(s)) }

	f.Fuzz(func(t *testing.T, name string) {
		errName, errUser, errGroup := authn.CheckName(name), authn.CheckUserName(name), authn.CheckGroupName(name)
		for _, err := range []error{errName, errUser, errGroup} {
			if err != nil && !strings.HasPrefix(err.Error(), "is ") && !strings.HasPrefix(err.Error(), "contains ") && !strings.HasPrefix(err.Error(), "uses ") && !strings.HasPrefix(err.Error(), "starts ") {
				t.Errorf("unexpected reason %q", err)
			}
		}
		if errUser == nil && (errName != nil || errGroup != nil) {
			t.Errorf("%q: a user name passes but CheckName = %v, CheckGroupName = %v", name, errName, errGroup)
		}
		if errGroup == nil && errName != nil {
			t.Errorf("%q: a group passes but CheckName = %v", name, errName)
		}
		if errName != nil {
			return
		}
		if !utf8.ValidString(name) {
			t.Fatalf("%q: accepted invalid UTF-8", name)
		}
		if !norm.NFC.IsNormalString(name) {
			t.Errorf("%q: accepted a name that is not NFC", name)
		}
		if strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") {
			t.Errorf("%q: accepted surrounding spaces", name)
		}
		for _, r := range name {
			switch {
			case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs):
				t.Errorf("%q: accepted %U, a control, format, private-use or surrogate code point", name, r)
			case !unicode.IsGraphic(r):
				t.Errorf("%q: accepted %U, which is not graphic (unassigned?)", name, r)
			case unicode.IsSpace(r) && r != ' ':
				t.Errorf("%q: accepted the white space %U", name, r)
			}
		}
		fk := folded(name)
		if errGroup == nil && strings.HasPrefix(fk, "system:") {
			t.Errorf("%q: accepted a group that folds to system:", name)
		}
		if errUser != nil {
			return
		}
		if strings.HasPrefix(fk, "system:") || strings.HasPrefix(fk, authn.SyntheticNamePrefix) {
			t.Errorf("%q: accepted a user name that folds to a reserved prefix (%q)", name, fk)
		}
		if id := strings.ToLower(authn.LegacyID(name)); strings.HasPrefix(id, authn.SyntheticNamePrefix) {
			t.Errorf("%q: accepted a user name whose legacy id %q is synthetic", name, id)
		}
	})
}

func TestCheckSyntheticName(t *testing.T) {
	for name, want := range map[string]error{
		authn.SyntheticNamePrefix + "ns-key":                         nil,
		"ns-key":                                                     authn.ErrNameNotSynthetic,
		"System-serviceaccount-ns-key":                               authn.ErrNameNotSynthetic,
		authn.SyntheticNamePrefix + "ns-\u200bkey":                   authn.ErrNameFormat,
		authn.SyntheticNamePrefix + "ns-key\u2028":                   authn.ErrNameControl,
		authn.SyntheticNamePrefix[:len(authn.SyntheticNamePrefix)-1]: authn.ErrNameNotSynthetic,
	} {
		if got := authn.CheckSyntheticName(name); got != want {
			t.Errorf("CheckSyntheticName(%q) = %v, want %v", name, got, want)
		}
	}
}
