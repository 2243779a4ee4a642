package authnlog_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/authchain/authchain/authnlog"
)

const secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLWJ5dGVz"

// TestTokenEveryVerb prints a Token with every fmt verb, flag, width and
// precision, by itself and inside values, and finds only Redacted.
func TestTokenEveryVerb(t *testing.T) {
	tok := authnlog.NewToken(secret)
	type holder struct {
		Token  authnlog.Token
		Ptr    *authnlog.Token
		hidden authnlog.Token // fmt cannot call its methods
	}
	values := map[string]any{
		"value":   tok,
		"pointer": &tok,
		"struct":  holder{Token: tok, Ptr: &tok, hidden: tok},
		"slice":   []authnlog.Token{tok, tok},
		"map":     map[string]authnlog.Token{"k": tok},
		"any":     []any{tok},
	}
	formats := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%p", "%c", "%U", "%e", "%10.3s", "%-40q", "%#x", "% x", "%+q", "%#q", "%08v", "%T"}
	for name, v := range values {
		for _, f := range formats {
			got := fmt.Sprintf(f, v)
			if strings.Contains(got, "eyJ") || strings.Contains(got, "c2Vj") || strings.Contains(got, "65794a") || strings.Contains(strings.ToLower(got), "65794a") {
				t.Errorf("%s printed with %s: %q shows the value", name, f, got)
			}
			if f != "%T" && f != "%p" && name == "value" && got != authnlog.Redacted {
				t.Errorf("Token printed with %s = %q, want %q", f, got, authnlog.Redacted)
			}
		}
	}
	// fmt answers %p itself, for a value that is not a pointer, with an
	// error that shows the struct: an address, not the value.
	if got := fmt.Sprintf("%p", tok); !strings.HasPrefix(got, "%!p(authnlog.Token={0x") {
		t.Errorf("%%p = %q", got)
	}
	if got := tok.String(); got != authnlog.Redacted {
		t.Errorf("String() = %q", got)
	}
	if got := tok.GoString(); got != authnlog.Redacted {
		t.Errorf("GoString() = %q", got)
	}
	for name, got := range map[string]string{
		"Sprint":   fmt.Sprint(tok),
		"Sprintln": fmt.Sprintln(tok),
		"Errorf":   fmt.Errorf("login with %v failed", tok).Error(),
	} {
		if strings.Contains(got, secret[:12]) || !strings.Contains(got, authnlog.Redacted) {
			t.Errorf("%s = %q", name, got)
		}
	}
	if fmt.Sprintf("%T", tok) != "authnlog.Token" {
		t.Errorf("%%T = %q", fmt.Sprintf("%T", tok))
	}
	if tok.Reveal() != secret {
		t.Error("Reveal lost the value")
	}
	if (authnlog.Token{}).Reveal() != "" {
		t.Error("the zero Token holds a value")
	}
}

// TestTokenEncoders: JSON (value, map key, struct field) and XML write
// Redacted too, since slog's JSON handler and many loggers encode values.
func TestTokenEncoders(t *testing.T) {
	tok := authnlog.NewToken(secret)
	b, err := json.Marshal(struct {
		T authnlog.Token            `json:"t"`
		M map[authnlog.Token]string `json:"m"`
	}{tok, map[authnlog.Token]string{tok: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"t":"[REDACTED]","m":{"[REDACTED]":"v"}}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

// TestTokenSlogHandlers logs a Token with the text and JSON handlers, as an
// attribute, inside a group, inside a struct and as the message's argument.
func TestTokenSlogHandlers(t *testing.T) {
	tok := authnlog.NewToken(secret)
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("login", "token", tok)
		log.Info("login", slog.Any("token", tok), slog.String("str", tok.String()))
		log.Info("login", slog.Group("request", "token", tok))
		log.Info("login", "struct", struct{ Token authnlog.Token }{tok})
		log.Info("login", "tokens", []authnlog.Token{tok})
		log.With("token", tok).Info("login")
		log.Info(fmt.Sprintf("login with %v", tok))
		out := buf.String()
		if strings.Contains(out, secret[:12]) {
			t.Errorf("%s handler wrote the token:\n%s", name, out)
		}
		if n := strings.Count(out, authnlog.Redacted); n < 8 {
			t.Errorf("%s handler wrote %d redactions, want at least 8:\n%s", name, n, out)
		}
	}
}
