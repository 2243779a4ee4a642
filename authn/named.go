package authn

import (
	"errors"
	"net/http"
)

// Named returns s under another name, so that two strategies of one type,
// such as two jwt.ServiceAccount strategies for two issuers, can share a
// chain: NewChain refuses repeated names. The name is what Principal.Via,
// the Trace and errors show.
//
// The result keeps what the chain reads from s: it lists s's Headers (if s
// is a HeaderReader) for stripping and delegates Validate (if s is a
// Validator). NewChain refuses the result if name breaks its name syntax
// (see NewChain), if s is nil (a
// nil pointer of a strategy type, or a StrategyFunc of a nil function,
// included) or if s's Validate reports an error.
func Named(name string, s Strategy) Strategy { return named{name: name, inner: s} }

type named struct {
	name  string
	inner Strategy
}

func (n named) Name() string { return n.name }

func (n named) Authenticate(r *http.Request, sofar Principal) Decision {
	return n.inner.Authenticate(r, sofar)
}

// Headers implements HeaderReader: the inner strategy's headers, or none.
func (n named) Headers() []string {
	if hr, ok := n.inner.(HeaderReader); ok {
		return hr.Headers()
	}
	return nil
}

// Validate implements Validator: it refuses a nil inner strategy, which
// NewChain cannot see through the wrapper, and delegates otherwise.
func (n named) Validate() error {
	if isNil(n.inner) {
		return errors.New("authn: Named: strategy is nil")
	}
	if v, ok := n.inner.(Validator); ok {
		return v.Validate()
	}
	return nil
}
