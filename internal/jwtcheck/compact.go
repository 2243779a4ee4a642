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
	typ  string
	data string // header.payload, as sent
	// signed is data in the pooled buffer, hashed without a copy.
	signed    []byte
	signature []byte
	// claimsProblem is ClaimsProblem's answer for the payload, for the
	// caller to report once the signature is checked.
	claimsProblem string
	buf           *[]byte
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
	t.buf, t.signed, t.signature = nil, nil, nil
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
	if t.claimsProblem, err = readClaims(decoded[1], claims); err != nil {
		return t, errMalformed
	}
	if t.alg == "" || t.method == nil {
		return t, errUnverifiable
	}
	t.signed, t.signature = text[:len(t.data)], decoded[2]
	return t, nil
}

// readHeader reads the header's alg, kid, crit and typ as golang-jwt's map
// of the header would hold them: exact names, the last of repeated ones.
// "null" is a header without alg, as for golang-jwt.
func (t *compactJWS) readHeader(h []byte) error {
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

// ClaimReader is a claims type that reads a token's payload itself, one
// top-level member at a time, rather than through encoding/json's
// reflection. ReadClaim gets each name as encoding/json decodes it and the
// value as written (valid JSON), in order, and must read them as
// json.Unmarshal would into the same type (names in any case, the last
// one winning, null changing nothing), or return an error where
// json.Unmarshal would. It must not keep either slice: they are wiped
// after the call.
type ClaimReader interface {
	ReadClaim(name, value []byte) error
}

// ReadClaims reads payload into r in one pass, and judges it as
// ClaimsProblem does in the same pass: problem is ClaimsProblem's answer
// for the payload, err an error where json.Unmarshal into r would fail
// (ErrInvalidJSON for bytes that are not JSON). A caller reports problem
// only once the signature is checked.
func ReadClaims(payload []byte, r ClaimReader) (problem string, err error) {
	var names claimNames
	err = Members(payload, func(name, value []byte) error {
		names.judge(name, value)
		return r.ReadClaim(name, value)
	})
	switch {
	case err != nil:
		return malformed, err
	case !isObject(payload):
		// null, which json.Unmarshal reads as no claims.
		return malformed, nil
	}
	return names.problem, nil
}

// readClaims decodes payload into claims, as golang-jwt does, and returns
// ClaimsProblem's answer for it.
func readClaims(payload []byte, claims gojwt.Claims) (problem string, err error) {
	if r, ok := claims.(ClaimReader); ok {
		return ReadClaims(payload, r)
	}
	if err := json.Unmarshal(payload, claims); err != nil {
		return "", err
	}
	return ClaimsProblem(payload), nil
}
