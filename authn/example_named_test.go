package authn_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authchain/authchain/authn"
)

// ExampleNamed runs one kind of strategy twice, once per tenant header, by
// naming each; NewChain would refuse two strategies of one name.
func ExampleNamed() {
	tenantUser := func(header string) authn.Strategy {
		return authn.StrategyFunc("tenant-user", func(r *http.Request, sofar authn.Principal) authn.Decision {
			name := r.Header.Get(header)
			if name == "" || !sofar.User.IsZero() {
				return authn.Skip("no " + header)
			}
			sofar.User = authn.User{Name: name}
			return authn.Contribute(sofar, "user from "+header)
		})
	}
	chain, err := authn.NewChain(
		authn.Named("tenant-a", tenantUser("X-Tenant-A-User")),
		authn.Named("tenant-b", tenantUser("X-Tenant-B-User")),
	)
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Tenant-B-User", "bob")
	p, trace, err := chain.Authenticate(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.User.Name, p.Via)
	for _, e := range trace {
		fmt.Println(e.Strategy, e.Outcome, e.Reason)
	}
	// Output:
	// bob [tenant-b]
	// tenant-a not-applicable no X-Tenant-A-User
	// tenant-b contributed user from X-Tenant-B-User
}
