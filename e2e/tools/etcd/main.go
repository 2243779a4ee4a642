// Command etcd is etcd's own server entry point, built at the version this
// module pins, so the e2e tier needs no downloaded release binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
