package main

import (
	"net/http"
	"sync/atomic"

	"github.com/authchain/authchain/authn"
)

// Counting is an authn.Authenticator of the program's own: it wraps another
// (here the chain) and counts answers, where a real program would record
// metrics or a trace span. chiadapter.Authenticate takes it as it takes a
// chain.
type Counting struct {
	Next     authn.Authenticator
	Accepted atomic.Int64
	Refused  atomic.Int64
}

// Authenticate implements authn.Authenticator.
func (c *Counting) Authenticate(r *http.Request) (authn.Principal, authn.Trace, error) {
	p, trace, err := c.Next.Authenticate(r)
	if err != nil {
		c.Refused.Add(1)
	} else {
		c.Accepted.Add(1)
	}
	return p, trace, err
}
