// Command kubectl is kubectl built from the k8s.io/kubectl module at the
// version pinned in this directory's go.mod, so that the project's tests use a
// known kubectl rather than whichever one is on PATH. hack/tools.sh builds it
// into _output/bin with the version stamped in by -ldflags.
//
// It does what kubernetes/cmd/kubectl does: build the default kubectl command
// and run it through component-base's cli runner.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Registers the client auth plugins (exec, oidc) as the upstream binary does.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	// Set klog's verbosity before the command is built: building it already
	// logs (plugin discovery, .kuberc), and cli.Run parses -v only later.
	_, _ = logs.GlogSetter(cmd.GetLogVerbosity(os.Args))
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
