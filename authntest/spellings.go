package authntest

import (
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
)

// spellings returns name as clients, gateways and Go's own server could
// hand it to a strategy, each once, name as http.Header.Set stores it
// first:
//
//   - canonical (http.CanonicalHeaderKey of name with '-' for '_'), lower
//     case and upper case;
//   - the same three with '_' for '-';
//   - textproto.CanonicalMIMEHeaderKey of the '_' form, which is how a Go
//     server delivers x_api_key or X_API_KEY (X_api_key: it capitalises
//     only after '-');
//   - mixed forms, whose words cycle through lower, title and upper case
//     and whose separators alternate between '-' and '_' (x-Api_KEY,
//     X_API-key, X-api_Key), and one whose letters alternate case.
//
// These are fixed and documented, so Conformance adds randomSpellings
// too: a strategy cannot pass by deleting a list of spellings, only by
// matching names with authn.HeaderNameEqual, as authn.TakeHeader and the
// chain do.
func spellings(name string) []string {
	canonical := http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
	lower, upper := strings.ToLower(canonical), strings.ToUpper(canonical)
	under := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	all := []string{
		http.CanonicalHeaderKey(name), canonical, lower, upper,
		under(canonical), under(lower), under(upper),
		textproto.CanonicalMIMEHeaderKey(under(lower)),
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return r == '-' || r == '_' })
	for shift := range 3 {
		all = append(all, mixedSpelling(words, shift))
	}
	all = append(all, alternatingCase(under(lower)))
	var out []string
	for _, sp := range all {
		if sp != "" && !slices.Contains(out, sp) {
			out = append(out, sp)
		}
	}
	return out
}

// mixedSpelling joins words, word i in the case style (i+shift)%3 (lower,
// title, upper) and followed by '-' or '_' by the parity of i+shift.
func mixedSpelling(words []string, shift int) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte("-_"[(i-1+shift)%2])
		}
		switch (i + shift) % 3 {
		case 0:
			b.WriteString(w)
		case 1:
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		default:
			b.WriteString(strings.ToUpper(w))
		}
	}
	return b.String()
}

// alternatingCase writes the letters of s in alternating case, starting
// lower, and turns every other separator into '-'.
func alternatingCase(s string) string {
	b := []byte(s)
	letter, sep := 0, 0
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			if letter%2 == 1 {
				b[i] = c - 'a' + 'A'
			}
			letter++
		case c == '_':
			if sep%2 == 1 {
				b[i] = '-'
			}
			sep++
		}
	}
	return string(b)
}

// randomSpellings returns up to n spellings of name that spellings does
// not, each letter in a case and each separator ('-' or '_') drawn from
// rng: a strategy cannot know them in advance. A name with too few letters
// to vary yields fewer.
func randomSpellings(name string, rng *rand.Rand, n int) []string {
	fixed := spellings(name)
	var out []string
	for try := 0; try < 16*n && len(out) < n; try++ {
		b := []byte(strings.ToLower(name))
		for i, c := range b {
			switch {
			case 'a' <= c && c <= 'z' && rng.IntN(2) == 1:
				b[i] = c - 'a' + 'A'
			case c == '-' || c == '_':
				b[i] = "-_"[rng.IntN(2)]
			}
		}
		if sp := string(b); !slices.Contains(fixed, sp) && !slices.Contains(out, sp) {
			out = append(out, sp)
		}
	}
	return out
}
