package authnconfig_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/authchain/authchain/authnconfig"
)

// Files are what a reloading program watches besides the configuration
// itself; FilesDigest tells it whether one of them changed.
func ExampleChainConfiguration_Files() {
	dir, err := os.MkdirTemp("", "chain")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	secret := filepath.Join(dir, "proxy-secret")
	config := []byte(`apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      trust:
        sharedSecret: {header: X-Proxy-Secret, secretFile: proxy-secret}
`)
	load := func() *authnconfig.ChainConfiguration {
		cfg, err := authnconfig.Parse(config, authnconfig.WithDir(dir))
		if err != nil {
			panic(err)
		}
		return cfg
	}
	_ = os.WriteFile(secret, []byte("a-secret-of-at-least-thirty-two-bytes"), 0o600)
	before := load()
	for _, f := range before.Files() {
		fmt.Println(filepath.Base(f))
	}
	_ = os.WriteFile(secret, []byte("a-rotated-secret-of-thirty-two-bytes!"), 0o600)
	fmt.Println("changed:", load().FilesDigest() != before.FilesDigest())
	// Output:
	// proxy-secret
	// changed: true
}

// FilesDigest is the same for the same files, and empty when no file is
// referred to.
func ExampleChainConfiguration_FilesDigest() {
	cfg, err := authnconfig.Parse([]byte(`apiVersion: authchain.dev/v1alpha1
kind: ChainConfiguration
spec:
  strategies:
  - forwarded:
      trust: {cidrs: [10.0.0.0/8]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", cfg.FilesDigest())
	example, err := authnconfig.Load("testdata/example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	again, _ := authnconfig.Load("testdata/example.yaml")
	fmt.Println(len(example.FilesDigest()), example.FilesDigest() == again.FilesDigest())
	// Output:
	// ""
	// 64 true
}
