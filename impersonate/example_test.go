package impersonate_test

import (
	"errors"
	"fmt"

	"k8s.io/client-go/rest"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/impersonate"
)

// The API server is asked to act as the human; the access key's
// ServiceAccount is recorded beside it.
func ExampleConfig() {
	ic, err := impersonate.Config(authn.Principal{
		User:  authn.User{Name: "alice@example.com", Groups: []string{"team-a"}},
		Actor: &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key", UID: "7d3c"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(ic.UserName, ic.Groups)
	fmt.Println(ic.Extra)

	_, err = impersonate.Config(authn.Principal{
		User:      authn.User{Name: authn.SyntheticNamePrefix + "team-a-ci-key"},
		Actor:     &authn.ServiceAccount{Namespace: "team-a", Name: "ci-key"},
		Synthetic: true,
	})
	fmt.Println(errors.Is(err, impersonate.ErrSynthetic))
	// Output:
	// alice@example.com [team-a]
	// map[authchain.dev/actor:[system:serviceaccount:team-a:ci-key] authchain.dev/actor-uid:[7d3c]]
	// true
}

// For turns the service's own client configuration into one that acts as
// the request's user.
func ExampleFor() {
	own := &rest.Config{Host: "https://kubernetes.default.svc"} // rest.InClusterConfig() in a Pod
	asAlice, err := impersonate.For(own, authn.Principal{User: authn.User{Name: "alice@example.com"}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q %q\n", own.Impersonate.UserName, asAlice.Impersonate.UserName)
	// Output:
	// "" "alice@example.com"
}
