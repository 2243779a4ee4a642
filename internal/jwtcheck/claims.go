package jwtcheck

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// registeredClaims are the claims the strategies read by name. golang-jwt
// decodes them with encoding/json, which matches names without regard to
// case and keeps the last of repeated ones: a token for "vault" carrying a
// private "AUD" claim would read as ours.
var registeredClaims = [...]struct {
	name []byte
	time bool // a NumericDate
}{
	{[]byte("iss"), false}, {[]byte("sub"), false}, {[]byte("aud"), false}, {[]byte("jti"), false}, {[]byte("azp"), false},
	{[]byte("exp"), true}, {[]byte("nbf"), true}, {[]byte("iat"), true},
}

// maxNumericDate is the last second of the year 9999: a later time cannot
// be written as an RFC 3339 date, so a Principal holding it could not be
// encoded, and beyond 2^63 nanoseconds it wraps to the past.
const maxNumericDate = 253402300799

const malformed = "malformed token"

// ClaimsProblem returns why a verified JSON payload cannot be read one way
// only, or "": a registered claim written twice or in another case (escapes
// decoded), or a time (exp, nbf, iat; a number or a string holding one)
// outside 1970 to the year 9999. It reads the top-level names and those
// times only, and expects JSON the parser has already accepted; what it
// cannot follow is malformed.
//
// It scans the bytes rather than decoding them: a json.Decoder walk doubled
// the allocations of a cold verification (TestAllocs in authn/bearer/oidc).
func ClaimsProblem(payload []byte) string {
	i := skipSpace(payload, 0)
	if i >= len(payload) || payload[i] != '{' {
		return malformed
	}
	var seen [len(registeredClaims)]bool
	depth, key := 0, true
	for i < len(payload) {
		switch c := payload[i]; c {
		case '"':
			end := stringEnd(payload, i)
			if end < 0 {
				return malformed
			}
			if depth == 1 && key {
				problem, next := checkClaim(payload, payload[i+1:end-1], end, &seen)
				if problem != "" {
					return problem
				}
				i = next
				continue
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				key = false
			}
		case ',':
			if depth == 1 {
				key = true
			}
		}
		i++
	}
	if depth != 0 {
		return malformed
	}
	return ""
}

// checkClaim judges the top-level name raw (between quotes, ending at
// end) and, for a time, its value; it returns where to go on scanning.
func checkClaim(payload, raw []byte, end int, seen *[len(registeredClaims)]bool) (string, int) {
	name := raw
	if bytes.IndexByte(name, '\\') >= 0 {
		// A name may be written with escapes, "\u0041UD" for "AUD".
		var unescaped string
		if json.Unmarshal(payload[end-len(raw)-2:end], &unescaped) != nil {
			return malformed, end
		}
		name = []byte(unescaped)
	}
	for k, r := range registeredClaims {
		if !bytes.EqualFold(name, r.name) {
			continue
		}
		switch {
		case !bytes.Equal(name, r.name):
			return "token claims spell a registered claim in another case", end
		case seen[k]:
			return "token claims repeat a registered claim", end
		}
		seen[k] = true
		if !r.time {
			return "", end
		}
		i := skipSpace(payload, end)
		if i >= len(payload) || payload[i] != ':' {
			return malformed, end
		}
		i = skipSpace(payload, i+1)
		if i >= len(payload) {
			return malformed, end
		}
		start, stop := i, i
		if payload[i] == '"' {
			if stop = stringEnd(payload, i); stop < 0 {
				return malformed, end
			}
			start, stop = i+1, stop-1
		} else {
			for stop < len(payload) && strings.IndexByte("+-0123456789.eE", payload[stop]) >= 0 {
				stop++
			}
		}
		if n, err := strconv.ParseFloat(string(payload[start:stop]), 64); err == nil && !NumericDateInRange(n) {
			return "token time claims out of range", end
		}
		return "", end
	}
	return "", end
}

// NumericDateInRange reports whether a time claim n (seconds since 1970)
// lies between 0 and the last second of the year 9999, for a time a
// strategy reads from somewhere ClaimsProblem does not (a JWS header).
func NumericDateInRange(n float64) bool { return n >= 0 && n <= maxNumericDate }

// stringEnd returns the index after the string starting at the quote at
// i, or -1 when it does not end.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
