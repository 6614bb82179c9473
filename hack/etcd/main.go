// Command etcd is the upstream etcd server, built from Go modules for the test
// suite (go install refuses the upstream main module because of its replace lines).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
