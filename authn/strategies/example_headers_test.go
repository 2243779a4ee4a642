package strategies_test

import (
	"fmt"

	"github.com/authchain/authchain/authn/strategies"
)

// Each proxy names its identity headers differently; a preset holds one
// proxy's names, and HeaderPreset picks one by name, as a configuration
// file would.
func ExampleHeaderNames() {
	for _, h := range []strategies.HeaderNames{
		strategies.OAuth2ProxyHeaders(),
		strategies.OpenShiftOAuthProxyHeaders(),
		strategies.NginxAuthRequestHeaders(),
		strategies.FrontProxyHeaders(),
	} {
		fmt.Printf("%s %s %v\n", h.User, h.Groups, h.SplitGroupsOnCommas)
	}
	h, err := strategies.HeaderPreset("front-proxy")
	fmt.Println(h.User, h.ExtraPrefix, err)
	_, err = strategies.HeaderPreset("my-proxy")
	fmt.Println(err)
	// Output:
	// X-Forwarded-User X-Forwarded-Groups true
	// X-Forwarded-User  false
	// X-Auth-Request-User X-Auth-Request-Groups true
	// X-Remote-User X-Remote-Group false
	// X-Remote-User X-Remote-Extra- <nil>
	// strategies: unknown header preset "my-proxy"; valid presets: "front-proxy", "nginx", "oauth2-proxy", "openshift"
}
