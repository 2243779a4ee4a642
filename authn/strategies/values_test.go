package strategies

import "testing"

func TestIdentityValueProblem(t *testing.T) {
	for _, tt := range []struct {
		in     string
		maxLen int
		want   string
	}{
		{"alice@example.com", 64, ""},
		{"Élise Müller", 64, ""},
		{"a\tb", 64, "contains a control character"},
		{"a\x7fb", 64, "contains a control character"},
		{"a\u0085b", 64, "contains a control character"}, // C1 next line
		{"a\u2028b", 64, "contains a control character"},
		{"a\xffb", 64, "is not valid UTF-8"},
		{"0123456789a", 10, "is longer than 10 bytes"},
		{"0123456789", 10, ""},
		{"ali\u200bce", 64, "contains an invisible format character"},
		{"e\u0301", 64, "is not in Unicode normalization form C"},
		{"ali\u00a0ce", 64, "contains white space other than inner U+0020"},
		{"system:masters", 64, ""}, // the format part only
	} {
		if got := identityValueProblem(tt.in, tt.maxLen); got != tt.want {
			t.Errorf("identityValueProblem(%q, %d) = %q, want %q", tt.in, tt.maxLen, got, tt.want)
		}
	}
}
