package jwtcheck

import "strconv"

// registeredNames are the claims the strategies read by name. golang-jwt
// decodes them with encoding/json, which matches names without regard to
// case and keeps the last of repeated ones: a token for "vault" carrying a
// private "AUD" claim would read as ours. The last three are NumericDates.
var registeredNames = [...]string{"iss", "sub", "aud", "jti", "azp", "exp", "nbf", "iat"}

// firstTimeClaim is the index of exp in registeredNames.
const firstTimeClaim = 5

// maxNumericDate is the last second of the year 9999: a later time cannot
// be written as an RFC 3339 date, so a Principal holding it could not be
// encoded, and beyond 2^63 nanoseconds it wraps to the past.
const maxNumericDate = 253402300799

const malformed = "malformed token"

// Reasons a payload cannot be read one way only.
const (
	reasonRecased     = "token claims spell a registered claim in another case"
	reasonRepeated    = "token claims repeat a registered claim"
	reasonTimeOutside = "token time claims out of range"
)

// ClaimsProblem returns why a verified JSON payload cannot be read one way
// only, or "": a registered claim written twice or in another case (escapes
// decoded), or a time (exp, nbf, iat; a number or a string holding one)
// outside 1970 to the year 9999. It reads the top-level names and those
// times only; a payload that is not a JSON object is malformed.
// ReadClaims gives the same answer while it reads the claims.
func ClaimsProblem(payload []byte) string {
	var names claimNames
	err := Members(payload, func(name, value []byte) error {
		names.judge(name, value)
		return nil
	})
	if err != nil || !isObject(payload) {
		return malformed
	}
	return names.problem
}

// claimNames judges the top-level members of a payload one at a time, so
// that the walk that reads the claims also judges them: a second pass over
// the payload was a tenth of a cold verification's time beside the
// signature (BenchmarkJWTColdOverBare).
type claimNames struct {
	seen [len(registeredNames)]bool
	// problem is the first one found, in the payload's order.
	problem string
}

// judge records the problem, if any, of the member name: value.
func (c *claimNames) judge(name, value []byte) {
	if c.problem != "" {
		return
	}
	k := registeredIndex(name)
	switch {
	case k < 0 && FoldedField(name, registeredNames[:]) != "":
		c.problem = reasonRecased
	case k < 0:
	case c.seen[k]:
		c.problem = reasonRepeated
	default:
		c.seen[k] = true
		if k >= firstTimeClaim && !timeInRange(value) {
			c.problem = reasonTimeOutside
		}
	}
}

// registeredIndex returns the index of name in registeredNames, or -1; a
// switch on constants compares a few bytes where a loop over the names
// called the runtime's comparison for each.
func registeredIndex(name []byte) int {
	switch string(name) {
	case "iss":
		return 0
	case "sub":
		return 1
	case "aud":
		return 2
	case "jti":
		return 3
	case "azp":
		return 4
	case "exp":
		return 5
	case "nbf":
		return 6
	case "iat":
		return 7
	}
	return -1
}

// timeInRange reports whether a time claim's value, a number or a string
// holding one, is not outside 1970 to 9999. Any other value is the time
// checks' to refuse, not this one's.
func timeInRange(value []byte) bool {
	if len(value) >= 2 && value[0] == '"' {
		value = value[1 : len(value)-1]
	}
	n, err := strconv.ParseFloat(string(value), 64)
	return err != nil || NumericDateInRange(n)
}

// isObject reports whether the JSON value b starts with a brace.
func isObject(b []byte) bool {
	i := skipSpace(b, 0)
	return i < len(b) && b[i] == '{'
}

// NumericDateInRange reports whether a time claim n (seconds since 1970)
// lies between 0 and the last second of the year 9999, for a time a
// strategy reads from somewhere ClaimsProblem does not (a JWS header).
func NumericDateInRange(n float64) bool { return n >= 0 && n <= maxNumericDate }

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
