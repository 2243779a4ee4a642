package reload_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/authchain/authchain/authnconfig"
	"github.com/authchain/authchain/authnconfig/reload"
)

// Watch serves the chain of a file and reloads it when it changes; Reload
// does so at once, as a SIGHUP handler might.
func ExampleWatch() {
	dir, err := os.MkdirTemp("", "chain")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "chain.yaml")
	config := func(cidr string) []byte {
		return []byte(`apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      trust:
        cidrs: [` + cidr + `]
`)
	}
	if err := os.WriteFile(path, config("10.0.0.0/8"), 0o600); err != nil {
		panic(err)
	}

	a, err := reload.Watch(context.Background(), path, authnconfig.Deps{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Stop()
	// r.Use(chiadapter.Authenticate(a))

	whoami := func() {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.1.2.3:41000"
		r.Header.Set("X-Forwarded-User", "alice")
		p, _, err := a.Authenticate(r)
		fmt.Printf("%q %v\n", p.User.Name, err)
	}
	whoami()

	// The proxy moved: a peer in 10.0.0.0/8 is no longer trusted.
	if err := os.WriteFile(path, config("192.168.0.0/16"), 0o600); err != nil {
		panic(err)
	}
	fmt.Println(a.Reload())
	whoami()

	// An invalid file is refused; the chain in effect stays.
	if err := os.WriteFile(path, config("not-a-cidr"), 0o600); err != nil {
		panic(err)
	}
	fmt.Println(a.Reload() != nil, a.Strategies())
	// Output:
	// "alice" <nil>
	// <nil>
	// "" authn: forwarded: rejected: identity headers from an untrusted peer (peer address not in a trusted range)
	// true [forwarded]
}
