package jwtcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"

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
	// typ is the header's typ, "" when absent, not a string, or when the
	// header also spells the name otherwise ("TYP"): encoding/json's
	// forgiving names would read that one as typ.
	typ       string
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
	if err := readClaims(decoded[1], claims); err != nil {
		return t, errMalformed
	}
	if t.alg == "" || t.method == nil {
		return t, errUnverifiable
	}
	t.payload, t.signature = decoded[1], decoded[2]
	return t, nil
}

// readHeader reads the header's alg, kid, crit and typ as golang-jwt's map
// of the header would hold them: exact names, the last of repeated ones.
// "null" is a header without alg, as for golang-jwt.
func (t *compactJWS) readHeader(h []byte) error {
	if !validJSON(h) {
		return errMalformed
	}
	t.alg, t.method, t.typ = "", nil, ""
	typSpelledOtherwise := false
	err := Members(h, func(name, value []byte) error {
		switch string(name) {
		case "typ":
			if string(value) == `"JWT"` {
				// The common value, without allocating a copy of it.
				t.typ = "JWT"
			} else {
				t.typ, _ = String(value)
			}
		case "alg":
			t.alg, t.method = "", nil
			if alg, ok := String(value); ok {
				t.alg, t.method = alg, gojwt.GetSigningMethod(alg)
			}
		case "kid":
			t.hasKid = true
			t.kid, t.kidString = String(value)
		case "crit":
			t.crit = true
		default:
			typSpelledOtherwise = typSpelledOtherwise || bytes.EqualFold(name, []byte("typ"))
		}
		return nil
	})
	if err != nil {
		return errMalformed
	}
	if typSpelledOtherwise {
		t.typ = ""
	}
	return nil
}

// PayloadReader is a claims type that reads a verified token's payload
// itself rather than through encoding/json's reflection. ReadPayload gets
// JSON json.Valid accepted, possibly with spaces around it, and must read
// it as json.Unmarshal would read it into the same type (null changing
// nothing), or return an error where json.Unmarshal would. It must not
// keep the slice: it is wiped after the call.
type PayloadReader interface {
	ReadPayload(payload []byte) error
}

// readClaims decodes payload into claims, as golang-jwt does.
func readClaims(payload []byte, claims gojwt.Claims) error {
	r, ok := claims.(PayloadReader)
	if !ok {
		return json.Unmarshal(payload, claims)
	}
	if !validJSON(payload) {
		return errMalformed
	}
	return r.ReadPayload(payload)
}
