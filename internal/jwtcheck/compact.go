package jwtcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// This file reads a JWS compact serialization as golang-jwt's
// Parser.ParseUnverified (with strict decoding) reads it, at a fraction of
// the cost: each segment is decoded once into a pooled buffer, wiped after
// use, and the header is scanned for the three parameters read instead of
// being decoded into a map. Hand-written because BenchmarkJWTVerifyRS256Cold
// showed the header map and the second decoding of the payload costing
// more than the signature check's overhead allowed.

// Errors of parse, read by unparsable as golang-jwt's were.
var (
	errMalformed    = errors.New("malformed JWS")
	errUnverifiable = errors.New("JWS alg missing or unknown")
)

// compactJWS is a token split and decoded. payload and signature point
// into a pooled buffer and are valid until release.
type compactJWS struct {
	method    gojwt.SigningMethod
	alg       string
	kid       string
	hasKid    bool
	kidString bool
	crit      bool
	data      string // header.payload, as sent
	payload   []byte
	signature []byte
	buf       *[]byte
}

// jwsReader holds what parse reuses between tokens.
type jwsReader struct {
	// strict decodes a segment as gojwt.WithStrictDecoding does: no
	// padding, and unused bits zero, so that a segment has one spelling.
	strict *base64.Encoding
	// buffers pools the buffers segments are decoded into; release
	// wipes one before it goes back, so no piece of a token stays in
	// the pool.
	buffers sync.Pool // of *[]byte
}

func newJWSReader() *jwsReader {
	return &jwsReader{
		strict:  base64.RawURLEncoding.Strict(),
		buffers: sync.Pool{New: func() any { return new([]byte) }},
	}
}

// release wipes the decoded segments and returns their buffer to r.
func (r *jwsReader) release(t *compactJWS) {
	if t.buf == nil {
		return
	}
	clear(*t.buf)
	r.buffers.Put(t.buf)
	t.buf, t.payload, t.signature = nil, nil, nil
}

// parse splits token, decodes its header for alg, kid and crit and
// its payload into claims (with encoding/json, as golang-jwt does), and
// decodes its signature. Its errors, in golang-jwt's order: errMalformed
// for a segment that is not strict base64url or a header or payload that
// is not JSON of the right shape, errUnverifiable for a header with no
// string alg or one golang-jwt does not know. The caller must release t,
// also after an error.
func (r *jwsReader) parse(token string, claims gojwt.Claims) (t compactJWS, err error) {
	header, rest, ok := strings.Cut(token, ".")
	if !ok {
		return t, errMalformed
	}
	payload, signature, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(signature, '.') >= 0 {
		return t, errMalformed
	}
	t.data = token[:len(header)+1+len(payload)]
	// One buffer: the segments' text, then what each decodes to.
	t.buf = r.buffers.Get().(*[]byte)
	need := len(token) + r.strict.DecodedLen(len(token))
	if cap(*t.buf) < need {
		*t.buf = make([]byte, need)
	}
	buf := (*t.buf)[:need]
	text, out := buf[:len(token)], buf[len(token):]
	copy(text, token)
	segs := [3][]byte{text[:len(header)], text[len(header)+1 : len(t.data)], text[len(t.data)+1:]}
	var decoded [3][]byte
	for i, seg := range segs {
		n, err := r.strict.Decode(out, seg)
		if err != nil {
			return t, errMalformed
		}
		decoded[i], out = out[:n:n], out[n:]
	}
	if err := t.readHeader(decoded[0]); err != nil {
		return t, err
	}
	if err := json.Unmarshal(decoded[1], claims); err != nil {
		return t, errMalformed
	}
	if t.alg == "" || t.method == nil {
		return t, errUnverifiable
	}
	t.payload, t.signature = decoded[1], decoded[2]
	return t, nil
}

// readHeader reads the header's alg, kid and crit as golang-jwt's map of
// the header would hold them: exact names, the last of repeated ones.
// "null" is a header without alg, as for golang-jwt.
func (t *compactJWS) readHeader(h []byte) error {
	if !json.Valid(h) {
		return errMalformed
	}
	i := skipSpace(h, 0)
	switch {
	case bytes.Equal(bytes.TrimSpace(h[i:]), []byte("null")):
		return errUnverifiable
	case h[i] != '{':
		return errMalformed
	}
	t.alg, t.method = "", nil
	for i = skipSpace(h, i+1); h[i] != '}'; {
		keyEnd := stringEnd(h, i)
		key := h[i:keyEnd]
		start := skipSpace(h, skipSpace(h, keyEnd)+1) // past the colon
		end := valueEnd(h, start)
		value := h[start:end]
		switch {
		case jsonStringIs(key, "alg"):
			t.alg, t.method = "", nil
			if alg, ok := jsonString(value); ok {
				t.alg, t.method = alg, gojwt.GetSigningMethod(alg)
			}
		case jsonStringIs(key, "kid"):
			t.hasKid = true
			t.kid, t.kidString = jsonString(value)
		case jsonStringIs(key, "crit"):
			t.crit = true
		}
		i = skipSpace(h, end)
		if h[i] == ',' {
			i = skipSpace(h, i+1)
		}
	}
	return nil
}

// jsonStringIs reports whether the JSON string literal lit (quotes
// included) is s.
func jsonStringIs(lit []byte, s string) bool {
	if len(lit) == len(s)+2 && string(lit[1:len(lit)-1]) == s {
		return true
	}
	if bytes.IndexByte(lit, '\\') < 0 {
		return false
	}
	// Escapes ("\u0061lg") spell the same name.
	got, ok := jsonString(lit)
	return ok && got == s
}

// jsonString returns the string a JSON value holds, as encoding/json
// decodes it (invalid UTF-8 replaced), and false when it is not a string.
func jsonString(lit []byte) (string, bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	raw := lit[1 : len(lit)-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), true
	}
	var s string
	if json.Unmarshal(lit, &s) != nil {
		return "", false
	}
	return s, true
}

// valueEnd returns the index after the JSON value starting at i, in input
// json.Valid accepted.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
		j++
	}
	return j
}
