package tokenreview

import (
	"encoding/base64"
	"encoding/json"
)

// This file tells apart tokens the API server could authenticate from
// tokens it certainly cannot, so that the strategy spends no API call on
// the latter.

// MaxTokenLength bounds the tokens the strategy sends to the API
// server. A projected ServiceAccount token is about 1 KiB, and stays under
// 2 KiB with an RSA-4096 signature and every bound-object claim; the bound
// leaves as much again for ID tokens of an external issuer the API server
// trusts, and keeps what an anonymous client can make the API server parse
// small.
const MaxTokenLength = 4 << 10

// maxJWSHeaderLength bounds the base64url header of a token worth a
// review. Kubernetes' headers are under 100 bytes ({"alg":…,"kid":…}); one
// carrying certificates is not a Kubernetes token.
const maxJWSHeaderLength = 1 << 10

// Reasons a token is refused before any API call; fixed text.
const (
	reasonReviewTooLong  = "bearer token is too long for a Kubernetes token"
	reasonReviewNotShape = "not a Kubernetes token"
)

// shapeProblem returns why token cannot be a Kubernetes token, or ""
// if it may be one: at most MaxTokenLength bytes, and either a JWS
// compact serialization (three non-empty base64url segments, the first a
// JSON object) or a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}). With opaque,
// only the length is checked. It allocates nothing, so that cached tokens
// pay no more than a scan.
func shapeProblem(token string, opaque bool) string {
	switch {
	case len(token) > MaxTokenLength:
		return reasonReviewTooLong
	case opaque, isBootstrapToken(token), isJWS(token):
		return ""
	}
	return reasonReviewNotShape
}

// isBootstrapToken reports whether token has the form of a bootstrap token,
// TOKEN-ID.TOKEN-SECRET.
func isBootstrapToken(token string) bool {
	if len(token) != 6+1+16 || token[6] != '.' {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; i != 6 && !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isJWS reports whether token is a JWS compact serialization whose header
// is a JSON object.
func isJWS(token string) bool {
	dots, header := 0, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case c == '.':
			if i == 0 || token[i-1] == '.' {
				return false // an empty segment
			}
			if dots == 0 {
				header = i
			}
			dots++
		case !isBase64URLByte(c):
			return false
		}
	}
	if dots != 2 || token[len(token)-1] == '.' || header > maxJWSHeaderLength {
		return false
	}
	return isJSONObjectSegment(token[:header])
}

func isBase64URLByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// isJSONObjectSegment decodes an unpadded base64url segment of at most
// maxJWSHeaderLength bytes on the stack and reports whether it is a JSON
// object.
func isJSONObjectSegment(seg string) bool {
	var src [maxJWSHeaderLength]byte
	var dst [maxJWSHeaderLength * 3 / 4]byte
	n := copy(src[:], seg)
	m, err := base64.RawURLEncoding.Decode(dst[:], src[:n])
	if err != nil {
		return false
	}
	obj := dst[:m]
	for len(obj) > 0 && (obj[0] == ' ' || obj[0] == '\t' || obj[0] == '\n' || obj[0] == '\r') {
		obj = obj[1:]
	}
	return len(obj) > 0 && obj[0] == '{' && json.Valid(obj)
}
