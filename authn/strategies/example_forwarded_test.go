package strategies_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
)

// oauth2-proxy runs as a sidecar, so only the pod's loopback address may
// assert identities. The headers are gone once the strategy has read them.
func ExampleForwarded() {
	trust, err := strategies.TrustPeerCIDRs("127.0.0.1/32", "::1/128")
	if err != nil {
		panic(err)
	}
	forwarded, err := strategies.Forwarded(trust, strategies.WithHeaders(strategies.OAuth2ProxyHeaders()))
	if err != nil {
		panic(err)
	}
	chain, err := authn.NewChain(forwarded)
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	r.RemoteAddr = "127.0.0.1:52114"
	r.Header.Set("X-Forwarded-User", "alice")
	r.Header.Set("X-Forwarded-Email", "alice@example.com")
	r.Header.Set("X-Forwarded-Groups", "dev,ops")
	p, _, err := chain.Authenticate(r)
	fmt.Println(p.User.Name, p.User.Email, p.User.Groups, p.Via, err)
	fmt.Printf("left: %q\n", r.Header.Get("X-Forwarded-User"))

	// The same headers from anywhere else are refused, not ignored.
	r = httptest.NewRequest(http.MethodGet, "/api/projects", nil)
	r.RemoteAddr = "198.51.100.4:40000"
	r.Header.Set("X-Forwarded-User", "alice")
	_, _, err = chain.Authenticate(r)
	fmt.Println(authn.StatusCode(err), err)

	// Output:
	// alice alice@example.com [dev ops] [forwarded] <nil>
	// left: ""
	// 401 authn: forwarded: rejected: identity headers from an untrusted peer (peer address not in a trusted range)
}
