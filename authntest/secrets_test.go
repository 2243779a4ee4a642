package authntest

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

func TestSecretFormsFindWhatLeaks(t *testing.T) {
	const secret = "key-mallory-9876543210" // 22 bytes: pieces of 11
	forms := secretForms(secret)
	for _, text := range []string{
		"unknown key " + secret,
		"starting " + secret[:11],
		"ending " + secret[11:],
		"middle " + secret[5:16],
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.URLEncoding.EncodeToString([]byte(secret)),
		base64.RawStdEncoding.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		hex.EncodeToString([]byte(secret)),
		strings.ToUpper(hex.EncodeToString([]byte(secret))),
	} {
		if _, ok := findSecret(text, forms); !ok {
			t.Errorf("%q not flagged", text)
		}
	}
	for _, text := range []string{"unknown API key", "starting " + secret[:10], "key-", "9876543210"} {
		if f, ok := findSecret(text, forms); ok {
			t.Errorf("%q flagged as %s", text, f.label)
		}
	}
}

func TestSecretFormsOfShortSecrets(t *testing.T) {
	// Pieces are at least 8 bytes long: a short secret is searched whole.
	forms := secretForms("12345678")
	if _, ok := findSecret("1234567", forms); ok {
		t.Error("a 7-byte piece of an 8-byte secret flagged")
	}
	if _, ok := findSecret("x12345678y", forms); !ok {
		t.Error("an 8-byte secret not flagged")
	}
	if secretForms("") != nil {
		t.Error("the empty secret has forms")
	}
}

func TestSecretFormsFindAnotherLetterCase(t *testing.T) {
	const secret = "key-mallory-abcdefghijk"
	for text, label := range map[string]string{
		"key " + strings.ToUpper(secret):      "verbatim in another letter case",
		"key " + strings.ToUpper(secret[:12]): "a 11-byte piece (bytes 0 to 11) in another letter case",
		"key " + secret:                       "verbatim",
	} {
		if f, ok := findSecret(text, secretForms(secret)); !ok || f.label != label {
			t.Errorf("%q: found %v as %q, want %q", text, ok, f.label, label)
		}
	}
}

// TestCoverageCountsPiecesOnlyTheSecretBrought: runs of four bytes or more
// count, in any letter case, across outputs, but not those the outputs
// without the secret hold too, nor a run spanning two outputs.
func TestCoverageCountsPiecesOnlyTheSecretBrought(t *testing.T) {
	const secret = "Bearer-key-0123456789" // 21 bytes
	out := func(texts ...string) grams {
		var o []output
		for i, s := range texts {
			o = append(o, output{string(rune('a' + i)), s})
		}
		return gramsOf(o)
	}
	library := out(`WWW-Authenticate: Bearer realm="authchain"`, "unknown key")
	for _, tc := range []struct {
		name  string
		found grams
		want  int
	}{
		// "bear", "eare" and "arer" are in the library's text: bytes 0 to 3
		// are covered by no other run.
		{"thirds", out("starting BEARER-K", "then ey-0123", "ending 456789"), 18},
		{"library text only", out(`WWW-Authenticate: Bearer realm="authchain"`, "unknown key"), 0},
		{"three-byte pieces", out("Bea", "rer", "-ke", "y-0", "123", "456", "789"), 0},
		{"across two outputs", out("key-01", "23456789"), 6 + 8},
	} {
		if got, _ := coverage(secret, tc.found, library); got != tc.want {
			t.Errorf("%s: %d bytes covered, want %d", tc.name, got, tc.want)
		}
	}
}

// TestWithoutSecretsSharesNoRun: the secret-free twin of a request holds
// a replacement of the secret's length that shares no four-byte run with
// it, keeps what is not the secret, and leaves the original values alone.
func TestWithoutSecretsSharesNoRun(t *testing.T) {
	const secret = "key-Mallory-9876543210"
	kept := []string{"Bearer " + secret}
	r := NewRequest(func(r *http.Request) { r.Header["Authorization"] = kept })
	twin := withoutSecrets(r, []string{secret})
	got := twin.Header.Get("Authorization")
	if got != "Bearer "+strings.Repeat("q", len(secret)) {
		t.Errorf("twin header = %q", got)
	}
	if kept[0] != "Bearer "+secret {
		t.Errorf("the option's slice was changed to %q", kept[0])
	}
	if n, _ := coverage(secret, gramsOf([]output{{"twin", got}}), nil); n != 0 {
		t.Errorf("the twin shares %d bytes of runs with the secret", n)
	}
	// Letters in either case count: the suite searches case-folded text.
	if c := filler("quiz-QUIZ-xj"); c != '0' {
		t.Errorf("filler of a secret holding q, z, x and j in both cases is %q, want '0'", c)
	}
}
