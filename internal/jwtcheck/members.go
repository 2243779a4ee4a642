package jwtcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// This file walks JSON for the few names a strategy reads, without
// encoding/json's reflection: a cold verification spent more time decoding
// claims than checking the signature (BenchmarkJWTColdOverBare). The walk
// checks the syntax as it goes, so the bytes are read once, not once to
// validate and again to walk.

// ErrNotObject is Members' error for JSON that is not an object.
var ErrNotObject = errors.New("JSON value is not an object")

// ErrInvalidJSON is Members' error for bytes json.Valid refuses.
var ErrInvalidJSON = errInvalidJSON

// Members calls member with each name and value of the JSON object obj,
// in order: the name as encoding/json decodes it (escapes decoded, invalid
// UTF-8 replaced), the value as written, checked to be valid JSON. "null"
// has no members. It returns ErrInvalidJSON when obj is not one JSON value
// (white space around it allowed), which it may find after calling member
// for the members before the fault; ErrNotObject for another value; or
// the first error member returns, which ends the walk. Neither slice may
// be kept: obj may be a buffer that is wiped.
func Members(obj []byte, member func(name, value []byte) error) error {
	i := skipSpace(obj, 0)
	switch {
	case i < len(obj) && obj[i] == '{':
		end, err := objectMembers(obj, i, 1, member)
		if err != nil {
			return err
		}
		if skipSpace(obj, end) != len(obj) {
			return errInvalidJSON
		}
		return nil
	case !validJSON(obj):
		return errInvalidJSON
	case obj[i] == 'n':
		return nil
	}
	return ErrNotObject
}

// String returns the string a JSON value holds, as encoding/json decodes
// it (escapes decoded, invalid UTF-8 replaced), and false when the value
// is not a string.
func String(value []byte) (string, bool) {
	if len(value) < 2 || value[0] != '"' {
		return "", false
	}
	raw := value[1 : len(value)-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), true
	}
	var s string
	if json.Unmarshal(value, &s) != nil {
		return "", false
	}
	return s, true
}

// FoldedField returns the name among fields, each of lower-case ASCII,
// that the member name equals in another case (Unicode simple folding, as
// encoding/json matches names), or "". A reader matches the exact names
// first, in a switch, which is cheaper than folding against each.
func FoldedField(name []byte, fields []string) string {
	if !mayFold(name) {
		// Lower-case ASCII equals a lower-case ASCII field in another
		// case only if it equals it.
		return ""
	}
	for _, f := range fields {
		if bytes.EqualFold(name, []byte(f)) {
			return f
		}
	}
	return ""
}

// mayFold reports whether name holds an upper-case ASCII letter or a
// non-ASCII byte (U+017F folds to s, U+212A to k).
func mayFold(name []byte) bool {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// IsNull reports whether a JSON value is null.
func IsNull(value []byte) bool { return string(value) == "null" }

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

// ErrNotArray is Elements' error for JSON that is not an array.
var ErrNotArray = errors.New("JSON value is not an array")

// Elements calls element with each value of the JSON array arr, in order,
// as written. arr must be JSON json.Valid accepts. The first error element
// returns ends the walk and is returned; element may not keep the slice.
func Elements(arr []byte, element func(value []byte) error) error {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return ErrNotArray
	}
	for i = skipSpace(arr, i+1); i < len(arr) && arr[i] != ']'; {
		end := valueEnd(arr, i)
		if err := element(arr[i:end]); err != nil {
			return err
		}
		i = skipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return nil
}
