package strategies

import "github.com/authchain/authchain/authn"

// Every strategy type is an authn.Validator, so that authn.NewChain refuses
// a zero value, with an error wrapping authn.ErrNotBuilt, instead of
// panicking on a request.
var (
	_ authn.Validator = (*ForwardedStrategy)(nil)
	_ authn.Validator = (*ServiceAccountStrategy)(nil)
	_ authn.Validator = (*AnnotationStrategy)(nil)
	_ authn.Validator = (*SyntheticStrategy)(nil)
)
