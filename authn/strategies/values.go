package strategies

import (
	"strconv"

	"github.com/authchain/authchain/authn"
)

// valueProblem returns why v may not be used as an identity value, or ""
// when it may: longer than maxLen bytes, or refused by check, one of the
// identity-name rule's authn.CheckName, CheckUserName or CheckGroupName.
// The answer never quotes v, so it can go into a rejection reason. It
// allocates only for the length reason.
func valueProblem(v string, maxLen int, check func(string) error) string {
	if len(v) > maxLen {
		return tooLong(maxLen)
	}
	if err := check(v); err != nil {
		return err.Error()
	}
	return ""
}

// identityValueProblem is valueProblem with authn.CheckName, the format part
// of the identity-name rule, for an identity value that is not a user name
// or group (an extra key or value).
func identityValueProblem(v string, maxLen int) string {
	return valueProblem(v, maxLen, authn.CheckName)
}

func tooLong(maxLen int) string {
	return "is longer than " + strconv.Itoa(maxLen) + " bytes"
}
