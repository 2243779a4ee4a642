package jwtcheck

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// This file checks JSON syntax as json.Valid does, in one pass without
// encoding/json's per-byte state functions: json.Valid was the largest
// cost left in a cold verification after the signature
// (BenchmarkJWTColdOverBare). FuzzValidJSON holds it to json.Valid.

// errInvalidJSON is the error of a walk over bytes json.Valid would refuse.
var errInvalidJSON = errors.New("invalid JSON")

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// validJSON reports whether b is one JSON value, with optional white space
// around it, exactly as json.Valid does.
func validJSON(b []byte) bool {
	i, ok := validValue(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// validValue checks the value starting at i and returns the index after it.
func validValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		return validObject(b, i, depth+1)
	case c == '[':
		return validArray(b, i, depth+1)
	case c == '"':
		return validString(b, i)
	case c == '-' || '0' <= c && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return validLiteral(b, i, "true")
	case c == 'f':
		return validLiteral(b, i, "false")
	case c == 'n':
		return validLiteral(b, i, "null")
	}
	return i, false
}

func validObject(b []byte, i, depth int) (int, bool) {
	end, err := objectMembers(b, i, depth, nil)
	return end, err == nil
}

// objectMembers checks the object whose brace is at i, as validObject
// does, and calls member, if not nil, with each name (decoded, as String
// decodes it) and value once that value is known to be valid: syntax and
// walk are one pass. It returns the index after the object, and
// errInvalidJSON or the first error of member.
func objectMembers(b []byte, i, depth int, member func(name, value []byte) error) (int, error) {
	if depth > maxJSONDepth {
		return i, errInvalidJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errInvalidJSON
		}
		nameEnd, ok := validString(b, i)
		if !ok {
			return nameEnd, errInvalidJSON
		}
		colon := skipSpace(b, nameEnd)
		if colon >= len(b) || b[colon] != ':' {
			return colon, errInvalidJSON
		}
		start := skipSpace(b, colon+1)
		end, ok := validValue(b, start, depth)
		if !ok {
			return end, errInvalidJSON
		}
		if member != nil {
			name := b[i+1 : nameEnd-1]
			if bytes.IndexByte(name, '\\') >= 0 || !utf8.Valid(name) {
				unescaped, _ := String(b[i:nameEnd])
				name = []byte(unescaped)
			}
			if err := member(name, b[start:end]); err != nil {
				return end, err
			}
		}
		switch i = skipSpace(b, end); {
		case i >= len(b):
			return i, errInvalidJSON
		case b[i] == '}':
			return i + 1, nil
		case b[i] != ',':
			return i, errInvalidJSON
		}
		i = skipSpace(b, i+1)
	}
}

func validArray(b []byte, i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = validValue(b, i, depth); !ok {
			return i, false
		}
		switch i = skipSpace(b, i); {
		case i >= len(b):
			return i, false
		case b[i] == ']':
			return i + 1, true
		case b[i] != ',':
			return i, false
		}
		i = skipSpace(b, i+1)
	}
}

// validString checks the string whose quote is at i: no control bytes,
// and only JSON's escapes. Other bytes, invalid UTF-8 included, pass, as
// they do for json.Valid.
func validString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return i, false
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

// validNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
func validNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		start := i + 1
		if i = digits(b, start); i == start {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, start); i == start {
			return i, false
		}
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func validLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}
