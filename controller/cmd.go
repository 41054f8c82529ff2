package controller

import (
	"context"

	"github.com/spf13/cobra"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
)

// NewCommand is "cicd-apiserver controller" and its flags, which the caller
// adds to it the way the server's commands add theirs.
func NewCommand(ctx context.Context) (*cobra.Command, cliflag.NamedFlagSets) {
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
	return cmd, fss
}
