package authn

import "errors"

// ErrNotBuilt is wrapped by the error Validate returns for a built-in
// strategy or key set that was not built by its constructor, such as a zero
// &strategies.ForwardedStrategy{}; NewChain refuses it.
var ErrNotBuilt = errors.New("authn: not built by its constructor")
