package authn

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SyntheticNamePrefix starts every synthetic user name, and no other: the
// identity-name rule reserves it for user names in any letter case, and
// refuses any user name whose LegacyID starts with it, so a human can never
// be named like the stand-in of an access key, nor share its legacy id.
const SyntheticNamePrefix = "system-serviceaccount-"

// Reasons a value breaks the identity-name rule. They are returned as they
// are, so a check costs no allocation, and they never quote the value.
var (
	ErrNameEmpty       = errors.New("is empty")
	ErrNameUTF8        = errors.New("is not valid UTF-8")
	ErrNameControl     = errors.New("contains a control character")
	ErrNameFormat      = errors.New("contains an invisible format character")
	ErrNameSpace       = errors.New("contains white space other than inner U+0020")
	ErrNameUnusual     = errors.New("contains an unassigned, private-use or surrogate code point")
	ErrNameNotNFC      = errors.New("is not in Unicode normalization form C")
	ErrNameLeadingMark = errors.New("starts with a character that joins the one before it")
	ErrNameReserved    = errors.New("uses the reserved system: prefix")
	ErrNameSynthetic   = errors.New("uses the reserved synthetic-user prefix")
)

// CheckName applies the format part of the identity-name rule to v, a user
// name, group, email, uid or extra key or value, whoever wrote it. It returns
// nil or one of the ErrName… reasons:
//
//   - v is valid UTF-8;
//   - v holds no control character (C0, DEL, C1, and the line and
//     paragraph separators U+2028 and U+2029), no format character (Cf:
//     zero-width characters, the BOM, bidi controls) or other invisible
//     default-ignorable one (Hangul fillers, variation selectors) or symbol
//     that renders blank (U+2800, U+FFFC), nothing at its start that joins
//     the character shown before it (a combining mark, say), no
//     unassigned, private-use or surrogate code point, and no white space
//     but U+0020, which may not start or end it (NBSP and U+3000 are refused
//     anywhere);
//   - v is in Unicode normalization form C, so one name has one spelling.
//
// Each refused character makes two values that look alike distinct
// identities, or lets a value forge a line in a log. It does not check
// emptiness or length. ASCII values are checked without allocating.
func CheckName(v string) error {
	ascii := true
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return ErrNameControl
			}
			i++
			continue
		}
		ascii = false
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			return ErrNameUTF8
		}
		if err := checkRune(r); err != nil {
			return err
		}
		if i == 0 && joinsPrevious(r) {
			// It renders on, or fuses with, whatever precedes the name
			// where it is shown.
			return ErrNameLeadingMark
		}
		i += size
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return ErrNameSpace
	}
	if !ascii && !norm.NFC.IsNormalString(v) {
		return ErrNameNotNFC
	}
	return nil
}

// checkRune judges one non-ASCII rune of a name.
func checkRune(r rune) error {
	switch {
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r), unicode.Is(unicode.Variation_Selector, r),
		isBlankSymbol(r):
		// Invisible although not Cf: Hangul fillers, the combining
		// grapheme joiner, variation selectors, and what renders blank
		// (isBlankSymbol).
		return ErrNameFormat
	case unicode.IsPrint(r):
		return nil
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		// The line and paragraph separators break a log line as \n does.
		return ErrNameControl
	case unicode.Is(unicode.Cf, r):
		return ErrNameFormat
	case unicode.IsSpace(r), unicode.In(r, unicode.Z):
		return ErrNameSpace
	}
	return ErrNameUnusual
}

// isBlankSymbol reports whether r renders as nothing although Unicode
// gives it a visible category: the blank braille pattern, the null
// notehead, the Khitan small script filler, the object replacement
// character, and the Egyptian hieroglyph format marks.
func isBlankSymbol(r rune) bool {
	switch {
	case r == '\u2800', r == '\U0001D159', r == '\U00016FE4', r == '\uFFFC', r == '\U00013440':
		return true
	case '\U00013447' <= r && r <= '\U00013455':
		return true
	}
	return false
}

// joinsPrevious reports whether r, at the start of a name, attaches to or
// fuses with the character shown before the name: a combining mark, a
// Hangul medial vowel or final consonant (jamo that compose with a
// preceding initial), an emoji skin-tone modifier, or a halfwidth katakana
// voiced sound mark.
func joinsPrevious(r rune) bool {
	switch {
	case unicode.In(r, unicode.M):
		return true
	case '\u1160' <= r && r <= '\u11FF', '\uD7B0' <= r && r <= '\uD7FF':
		return true
	case '\U0001F3FB' <= r && r <= '\U0001F3FF', r == '\uFF9E', r == '\uFF9F':
		return true
	}
	return false
}

// ErrNameNotSynthetic: a synthetic user name lacks SyntheticNamePrefix.
var ErrNameNotSynthetic = errors.New("lacks the synthetic prefix")

// CheckSyntheticName applies the rule to the name of a synthetic user: it
// starts with SyntheticNamePrefix, which no human name may, and passes
// CheckName.
func CheckSyntheticName(name string) error {
	if !strings.HasPrefix(name, SyntheticNamePrefix) {
		return ErrNameNotSynthetic
	}
	return CheckName(name)
}

// CheckUserName applies the whole identity-name rule to name, a human user
// name from any source (a forwarded header, a creator annotation, a token
// claim): it is not empty, passes CheckName, and does not start with
// "system:" (SystemPrefix) or SyntheticNamePrefix in any letter case, or in
// any spelling that compatibility normalization turns into one of them
// (fullwidth letters, U+017F for "s"). Nor may its LegacyID start with
// SyntheticNamePrefix ("system serviceaccount ns key", "-system-…"), so no
// human shares a synthetic user's legacy id. A ServiceAccount subject is
// refused too: callers that accept one recognise it with
// IsServiceAccountSubject first and parse it with ParseServiceAccountSubject.
func CheckUserName(name string) error {
	if name == "" {
		return ErrNameEmpty
	}
	if err := CheckName(name); err != nil {
		return err
	}
	return checkReserved(name)
}

// CheckGroupName applies the rule to a group that a proxy or annotation
// asserts: not empty, CheckName, and not a system: group, which only the
// API server assigns. Groups a TokenReview returns come from the API server
// itself and need only CheckName.
func CheckGroupName(group string) error {
	if group == "" {
		return ErrNameEmpty
	}
	if err := CheckName(group); err != nil {
		return err
	}
	if hasReservedPrefix(group, SystemPrefix) {
		return ErrNameReserved
	}
	return nil
}

func checkReserved(name string) error {
	switch {
	case hasReservedPrefix(name, SystemPrefix):
		return ErrNameReserved
	case hasSyntheticPrefix(name):
		return ErrNameSynthetic
	}
	return nil
}

// hasSyntheticPrefix reports whether the LegacyID of name, or of its
// compatibility normalization, starts with SyntheticNamePrefix in any
// letter case. That covers the name itself starting with the prefix, since
// LegacyID keeps the prefix as it is. The ASCII path allocates nothing.
func hasSyntheticPrefix(name string) bool {
	if legacyIDHasPrefix(name, SyntheticNamePrefix) {
		return true
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return legacyIDHasPrefix(norm.NFKC.String(name), SyntheticNamePrefix)
		}
	}
	return false
}

// legacyIDHasPrefix reports whether LegacyID(name) starts with prefix (ASCII
// lower case) in any letter case, without building the id. It follows
// LegacyID's mapping byte by byte and ignores only its final trimming, so it
// may say yes for a name whose id is the prefix without its last '-'.
func legacyIDHasPrefix(name, prefix string) bool {
	j := 0
	dash := false
	for i := 0; i < len(name) && j < len(prefix); i++ {
		c := name[i]
		if !isAlnum(c) && c != '.' && c != '_' {
			c = '-'
		}
		if c == '-' {
			if dash || j == 0 {
				dash = true
				continue
			}
			dash = true
		} else {
			dash = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
		j++
	}
	return j == len(prefix)
}

// hasReservedPrefix reports whether name starts with prefix (ASCII lower
// case) under Unicode case folding, after compatibility normalization for
// non-ASCII names. The ASCII path allocates nothing.
func hasReservedPrefix(name, prefix string) bool {
	if len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
		return true
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return hasPrefixFold(norm.NFKC.String(name), prefix)
		}
	}
	return false
}

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding,
// rune by rune, so "ſystem:" (U+017F) and "K" (U+212A) fold as Go's
// EqualFold does.
func hasPrefixFold(s, prefix string) bool {
	for _, p := range prefix {
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || !equalFoldRune(r, p) {
			return false
		}
		s = s[size:]
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
