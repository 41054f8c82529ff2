package controller

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cliflag "k8s.io/component-base/cli/flag"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"
	logsapi "k8s.io/component-base/logs/api/v1"
)

// Options are the flags of "cicd-apiserver controller".
type Options struct {
	Kubeconfig     string
	KubeAPIQPS     float32
	KubeAPIBurst   int
	Workers        int
	JenkinsHome    string
	BindAddress    string
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	Logs           *logsapi.LoggingConfiguration

	homeSize resource.Quantity
}

// NewOptions returns the defaults: leader election on a Lease
// cicd-system/cicd-controller with kube-controller-manager's durations.
func NewOptions() *Options {
	return &Options{
		KubeAPIQPS:   50,
		KubeAPIBurst: 100,
		Workers:      5,
		JenkinsHome:  "8Gi",
		BindAddress:  ":8080",
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      "leases",
			ResourceName:      "cicd-controller",
			ResourceNamespace: "cicd-system",
		},
		Logs: logsapi.NewLoggingConfiguration(),
	}
}

// Flags returns the flags in sections.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	fs := fss.FlagSet("controller")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "The kubeconfig of the cluster (JenkinsServices through its aggregation layer); empty: the in-cluster configuration.")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Queries per second to the API servers.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of queries to the API servers.")
	fs.IntVar(&o.Workers, "workers", o.Workers, "JenkinsServices reconciled at once.")
	fs.StringVar(&o.JenkinsHome, "jenkins-home-size", o.JenkinsHome, "The size of each instance's JENKINS_HOME volume claim (new StatefulSets; an existing one keeps its size).")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "The address of /healthz, /readyz and /metrics (HTTP).")
	options.BindLeaderElectionFlags(&o.LeaderElection, fss.FlagSet("leader election"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logging"))
	return fss
}

// Complete parses what the flags hold as strings.
func (o *Options) Complete() error {
	q, err := resource.ParseQuantity(o.JenkinsHome)
	if err != nil {
		return fmt.Errorf("--jenkins-home-size %q: %w", o.JenkinsHome, err)
	}
	o.homeSize = q
	return nil
}

// Validate reports flags that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("--workers must be at least 1, not %d", o.Workers))
	}
	if o.homeSize.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("--jenkins-home-size must be more than 0, not %s", o.JenkinsHome))
	}
	if le := o.LeaderElection; le.LeaderElect {
		if le.ResourceLock != "leases" {
			errs = append(errs, fmt.Errorf("--leader-elect-resource-lock must be leases, not %q", le.ResourceLock))
		}
		if le.RenewDeadline.Duration >= le.LeaseDuration.Duration {
			errs = append(errs, fmt.Errorf("--leader-elect-renew-deadline (%s) must be less than --leader-elect-lease-duration (%s)", le.RenewDeadline.Duration, le.LeaseDuration.Duration))
		}
		if le.RetryPeriod.Duration <= 0 || le.RetryPeriod.Duration >= le.RenewDeadline.Duration {
			errs = append(errs, fmt.Errorf("--leader-elect-retry-period (%s) must be more than 0 and less than --leader-elect-renew-deadline", le.RetryPeriod.Duration))
		}
		if le.ResourceName == "" || le.ResourceNamespace == "" {
			errs = append(errs, errors.New("--leader-elect-resource-name and --leader-elect-resource-namespace must not be empty"))
		}
	}
	return errors.Join(errs...)
}
