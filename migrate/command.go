package migrate

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"
)

// NewCommand is "cicd-apiserver migrate".
func NewCommand(ctx context.Context, out io.Writer) *cobra.Command {
	var (
		kubeconfig, kubeContext string
		qps                     float32
		o                       = Options{ChunkSize: 500, Workers: 4}
	)
	cmd := &cobra.Command{
		Use:   "migrate --kubeconfig FILE",
		Short: "Rewrite every stored JenkinsService in the storage version and encoding (v1beta, protobuf)",
		Long: `cicd-apiserver migrate rewrites every stored JenkinsService in the current
storage version and encoding (v1beta, protobuf), through the API: it lists them
page by page and writes each one back unchanged with its resourceVersion as a
precondition, as kube-controller-manager's StorageVersionMigration controller
does. It needs no etcd access. Objects already in the current form are not
stored again (their resourceVersion stays); a conflict means another client
wrote the object meanwhile, which stored it in the current form. It prints a
progress line per page and a summary; run it again after an interruption, it
rewrites only what is left. A run that reports 0 rewritten and 0 failed finds
every object current.`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = kubeconfig
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
				&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("loading the kubeconfig: %w", err)
			}
			cfg.QPS, cfg.Burst = qps, int(2*qps)
			cfg.UserAgent = FieldManager
			client, err := metadata.NewForConfig(cfg)
			if err != nil {
				return err
			}
			o.Progress = out
			sum, err := Run(ctx, client, o)
			fmt.Fprintf(out, "summary: %s\n", sum)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig of the cicd-apiserver or of the cluster that aggregates it (default: $KUBECONFIG, ~/.kube/config).")
	fs.StringVar(&kubeContext, "context", "", "The kubeconfig context to use.")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "Send every write with dryRun=All: count and check, store nothing.")
	fs.Int64Var(&o.ChunkSize, "chunk-size", o.ChunkSize, "Objects per list page; a progress line follows each page.")
	fs.IntVar(&o.Workers, "workers", o.Workers, "Objects written at a time.")
	fs.Float32Var(&qps, "qps", 200, "Requests per second at most (burst twice as many); negative: no limit.")
	// The parent's help prints the server's flag sections; this command has its own flags.
	usage := func(c *cobra.Command) string {
		return fmt.Sprintf("Usage:\n  %s\n\nFlags:\n%s", c.UseLine(), c.Flags().FlagUsages())
	}
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		fmt.Fprint(c.OutOrStderr(), usage(c))
		return nil
	})
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		fmt.Fprintf(c.OutOrStdout(), "%s\n\n%s", c.Long, usage(c))
	})
	return cmd
}
