// Package ascii folds letter case the way secret searches need it.
package ascii

// Lower lower-cases ASCII letters only: strings.ToLower would rewrite
// invalid UTF-8, and tokens and keys are ASCII.
func Lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
