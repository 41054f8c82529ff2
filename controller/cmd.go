package controller

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/cli/globalflag"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/term"
)

// NewCommand is "cicd-apiserver controller".
func NewCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	fss := o.Flags()
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the JenkinsService controller: approved JenkinsServices become running Jenkins instances",
		Long: `cicd-apiserver controller reconciles JenkinsServices.

For an approved JenkinsService it server-side applies a StatefulSet (one Pod
per instance, <name>-0, <name>-1, ..., each with a JENKINS_HOME volume claim),
a headless Service and a ClusterIP Service, owned by the JenkinsService; for a
pending or denied one it removes them (the volume claims stay). It writes the
status (instances, Ready, observedGeneration) through the status subresource,
only when it changed, and records Events. JenkinsServices are read through the
kube-apiserver's aggregation layer; with --leader-elect (the default) one
process of several works at a time.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := logsapi.ValidateAndApply(o.Logs, utilfeature.DefaultFeatureGate); err != nil {
				return err
			}
			cliflag.PrintFlags(cmd.Flags())
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return Run(ctx, o)
		},
		Args: cobra.NoArgs,
	}
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
		fmt.Fprintf(c.OutOrStdout(), "%s\n\nUsage:\n  %s\n", c.Long, c.UseLine())
		cliflag.PrintSections(c.OutOrStdout(), fss, cols)
	})
	return cmd
}
