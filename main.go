// Command cicd-apiserver serves the autobusi.group.cicd API group, either
// behind kube-apiserver (the default) or stand-alone ("cicd-apiserver local").
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register" // --logging-format=json

	"github.com/autobusi/cicd-apiserver/server"
)

func main() {
	// The first SIGTERM or SIGINT starts a graceful shutdown, the second
	// exits at once.
	ctx := genericapiserver.SetupSignalContext()
	cmd := server.NewCommand(ctx, os.Stdout, os.Stderr)
	os.Exit(cli.Run(cmd))
}
