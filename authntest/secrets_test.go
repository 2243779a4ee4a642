package authntest

import (
	"encoding/base64"
	"encoding/hex"
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
