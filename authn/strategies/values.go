package strategies

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// identityValueProblem returns why v may not be used as an identity value
// (a forwarded header, a creator annotation), or "" when it may: longer
// than maxLen bytes, invalid UTF-8, or a control character, C0 (tab
// included), DEL, C1 or a Unicode line or paragraph separator, any of which
// could forge a line in a log. The answer never quotes v, so it can go into
// a rejection reason. It allocates only for the length reason.
func identityValueProblem(v string, maxLen int) string {
	if len(v) > maxLen {
		return "is longer than " + strconv.Itoa(maxLen) + " bytes"
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "contains a control character"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "is not valid UTF-8"
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return "contains a control character"
		}
		i += size
	}
	return ""
}
