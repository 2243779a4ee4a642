package jwtcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// This file walks JSON that json.Valid has accepted, for the few names a
// strategy reads, without encoding/json's reflection: a cold verification
// spent more time decoding claims than checking the signature
// (BenchmarkJWTVerifyRS256Cold against BenchmarkBareRSAVerifyPKCS1v15).

// ErrNotObject is Members' error for JSON that is not an object.
var ErrNotObject = errors.New("JSON value is not an object")

// Members calls member with each name and value of the JSON object obj,
// in order: the name as encoding/json decodes it (escapes decoded, invalid
// UTF-8 replaced), the value as written. obj
// must be JSON json.Valid accepts; "null" has no members. The first error
// member returns ends the walk and is returned. Neither slice may be kept:
// obj may be a buffer that is wiped.
func Members(obj []byte, member func(name, value []byte) error) error {
	i := skipSpace(obj, 0)
	if bytes.HasPrefix(obj[i:], []byte("null")) {
		return nil
	}
	if i >= len(obj) || obj[i] != '{' {
		return ErrNotObject
	}
	for i = skipSpace(obj, i+1); i < len(obj) && obj[i] != '}'; {
		nameEnd := stringEnd(obj, i)
		name := obj[i+1 : nameEnd-1]
		if bytes.IndexByte(name, '\\') >= 0 || !utf8.Valid(name) {
			unescaped, _ := String(obj[i:nameEnd])
			name = []byte(unescaped)
		}
		start := skipSpace(obj, skipSpace(obj, nameEnd)+1) // past the colon
		end := valueEnd(obj, start)
		if err := member(name, obj[start:end]); err != nil {
			return err
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return nil
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
