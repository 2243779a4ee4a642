package authnlog

import (
	"fmt"
	"log/slog"
)

// Redacted is what a Token prints instead of its value, whatever the value
// and however it is printed. It says neither the length nor whether the
// value is empty: the length alone tells a 40-byte key from a JWT and how
// many claims a JWT holds, and a constant leaks nothing.
const Redacted = "[REDACTED]"

// Token holds a secret (a bearer token, a key, a shared secret) that may
// end up in a log call by mistake. Every way of printing it gives Redacted:
// slog (LogValue), every fmt verb with any flags, width and precision
// (Format, String, GoString), and encoding/json, as a value or a map key,
// and other encoders that honour encoding.TextMarshaler (MarshalText). The
// exception is %p, which fmt answers itself with an error showing an
// address.
// Reveal returns the value where it is needed, and nowhere near a logger.
//
// It is a struct holding a pointer, not a string type, because fmt
// bypasses the methods of a string type in two places and prints the bytes:
// for a verb that does not apply (%p), and for a value in an unexported
// struct field; encoding/json uses a string-kind map key as it is. Through
// those a Token shows at most an address. Two Tokens are equal only if one
// was copied from the other; compare Reveal's results.
type Token struct{ value *string }

// NewToken returns a Token holding value.
func NewToken(value string) Token { return Token{value: &value} }

// Reveal returns the value; the zero Token holds "".
func (t Token) Reveal() string {
	if t.value == nil {
		return ""
	}
	return *t.value
}

// LogValue implements slog.LogValuer: slog handlers record Redacted.
func (Token) LogValue() slog.Value { return slog.StringValue(Redacted) }

// Format implements fmt.Formatter: every verb fmt lets it handle (%v %+v
// %#v %s %q %x %X %d and the rest; not %T or %p) writes Redacted, ignoring flags, width and precision, so
// that %q quotes nothing and %x encodes nothing of the value.
func (Token) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// String returns Redacted.
func (Token) String() string { return Redacted }

// GoString returns Redacted.
func (Token) GoString() string { return Redacted }

// MarshalText returns Redacted, so that encoding/json writes it for a Token
// value or map key, as does any encoder that honours
// encoding.TextMarshaler.
func (Token) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

var (
	_ slog.LogValuer = Token{}
	_ fmt.Formatter  = Token{}
	_ fmt.Stringer   = Token{}
	_ fmt.GoStringer = Token{}
)
