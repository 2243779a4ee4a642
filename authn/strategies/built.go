package strategies

import (
	"errors"
	"fmt"

	"github.com/authchain/authchain/authn"
)

// This file holds how a strategy that was not built by its constructor is
// told apart: every strategy type is an authn.Validator, so that
// authn.NewChain refuses a zero value instead of panicking on a request.

// ErrNotBuilt is wrapped by the error Validate returns for a strategy or
// key set that was not built by its constructor, such as a zero
// &JWTStrategy{}; authn.NewChain and ServiceAccountJWT refuse it.
var ErrNotBuilt = errors.New("strategies: not built by its constructor")

var (
	_ authn.Validator = (*ForwardedStrategy)(nil)
	_ authn.Validator = (*JWTStrategy)(nil)
	_ authn.Validator = (*TokenReviewStrategy)(nil)
	_ authn.Validator = (*ServiceAccountStrategy)(nil)
	_ authn.Validator = (*AnnotationStrategy)(nil)
	_ authn.Validator = (*SyntheticStrategy)(nil)
	_ authn.Validator = (*OIDCKeys)(nil)
)

// notBuilt is the error of a Validate method: what was not built and the
// constructor to use.
func notBuilt(what, constructor string) error {
	return fmt.Errorf("%w: %s; use %s", ErrNotBuilt, what, constructor)
}
