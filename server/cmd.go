package server

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/cli/globalflag"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/term"

	"github.com/autobusi/cicd-apiserver/controller"
	"github.com/autobusi/cicd-apiserver/migrate"
	"github.com/autobusi/cicd-apiserver/version"
)

// NewCommand is the cicd-apiserver command: without a subcommand it runs the
// delegated mode; "local" runs local mode, "version" prints the version.
// out receives local mode's ready line and the version.
func NewCommand(ctx context.Context, out, errOut io.Writer) *cobra.Command {
	o := NewOptions()
	cmd := &cobra.Command{
		Use:   "cicd-apiserver",
		Short: "The autobusi.group.cicd API server (JenkinsServices)",
		Long: `cicd-apiserver serves the autobusi.group.cicd API group (JenkinsServices).

Without a subcommand it runs as an aggregated API server behind kube-apiserver:
requests are authenticated with TokenReview and the front proxy's request
headers, authorized with SubjectAccessReview, and admission reads the core API
through --kubeconfig (or the in-cluster configuration).

Commands:
  controller  Reconcile approved JenkinsServices into running Jenkins instances
  local       Run stand-alone, with an embedded etcd, its own CA and an admin kubeconfig
  migrate     Rewrite every stored JenkinsService in the storage version and encoding
  version     Print the version`,
		SilenceUsage: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return compatibility.DefaultComponentGlobalsRegistry.Set()
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cliflag.PrintFlags(cmd.Flags())
			return run(ctx, o, out)
		},
		Args: cobra.NoArgs,
	}
	cmd.SetContext(ctx)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	addFlagSets(cmd, o.Flags())

	cmd.AddCommand(newLocalCommand(ctx, out), newVersionCommand(out))
	controllerCmd, controllerFlags := controller.NewCommand(ctx)
	addFlagSets(controllerCmd, controllerFlags)
	cmd.AddCommand(controllerCmd)
	cmd.AddCommand(migrate.NewCommand(ctx, out))
	return cmd
}

// run is every mode's RunE: complete, validate, run.
func run(ctx context.Context, o *Options, out io.Writer) error {
	if err := logsapi.ValidateAndApply(o.Logs, utilfeature.DefaultFeatureGate); err != nil {
		return err
	}
	if err := o.Complete(ctx); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		o.Close()
		return err
	}
	return o.Run(ctx, out)
}

func newLocalCommand(ctx context.Context, out io.Writer) *cobra.Command {
	o := NewLocalOptions()
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run stand-alone, with an embedded etcd, its own CA and an admin kubeconfig",
		Long: `cicd-apiserver local runs the server without a kube-apiserver.

On its first start it creates --data-dir with an etcd data directory, a CA, a
serving certificate for 127.0.0.1, ::1 and localhost, an admin client
certificate (CN admin, O system:masters) and admin.kubeconfig; later starts
reuse them, and the data. Only clients with a certificate from that CA are
authenticated (anonymous requests get 401), and only the group system:masters
is authorized (others get 403). --etcd-servers uses an external etcd instead
of the embedded one. Every other flag means what it means without "local".
Once the server serves, it prints a line to paste:

  export KUBECONFIG=<data-dir>/admin.kubeconfig; kubectl get js`,
		SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error {
			return run(ctx, o, out)
		},
		Args: cobra.NoArgs,
	}
	addFlagSets(cmd, o.Flags())
	return cmd
}

func newVersionCommand(out io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(out, version.String())
		},
	}
	addFlagSets(cmd, cliflag.NamedFlagSets{})
	return cmd
}

// addFlagSets adds the named flag sets and the global flags (--help and the
// klog flags that logsapi does not cover) to cmd, and makes --help print them
// in sections, wrapped to the terminal's width.
func addFlagSets(cmd *cobra.Command, fss cliflag.NamedFlagSets) {
	globalflag.AddGlobalFlags(fss.FlagSet("global"), cmd.Name(), logs.SkipLoggingConfigurationFlags())
	for _, name := range fss.Order {
		cmd.Flags().AddFlagSet(fss.FlagSets[name])
	}
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		fmt.Fprintf(c.OutOrStderr(), "Usage:\n  %s\n", c.UseLine())
		cliflag.PrintSections(c.OutOrStderr(), fss, cols)
		return nil
	})
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		text := c.Long
		if text == "" {
			text = c.Short
		}
		fmt.Fprintf(c.OutOrStdout(), "%s\n\nUsage:\n  %s\n", text, c.UseLine())
		cliflag.PrintSections(c.OutOrStdout(), fss, cols)
	})
}
