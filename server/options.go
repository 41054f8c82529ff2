package server

import (
	"context"
	"fmt"
	"net"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/admission"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	netutils "k8s.io/utils/net"

	jsadmission "github.com/autobusi/cicd-apiserver/admission/jenkinsservice"
	"github.com/autobusi/cicd-apiserver/server/storagelimit"
)

func init() {
	// --logging-format and friends are gated by feature gates of their own.
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// Options are the flags of the delegated mode: the server runs behind
// kube-apiserver (APIService aggregation), authenticates with TokenReview and
// the front proxy's request headers, authorizes with SubjectAccessReview, and
// reaches the core API through --kubeconfig (or in-cluster config).
type Options struct {
	Recommended *genericoptions.RecommendedOptions
	// MaxJenkinsServices is the admission limit on JenkinsServices in the
	// whole system; 0 is unlimited.
	MaxJenkinsServices int
	Logs               *logsapi.LoggingConfiguration
	// StorageLimit is --etcd-max-request-bytes: objects too large to store are 413s.
	StorageLimit *storagelimit.Options
}

// NewOptions returns the delegated-mode defaults: etcd prefix, protobuf
// storage in v1beta, the JenkinsService admission plugin registered and
// ordered last.
func NewOptions() *Options {
	o := &Options{
		Recommended:        genericoptions.NewRecommendedOptions(EtcdPathPrefix, storageCodec()),
		MaxJenkinsServices: DefaultMaxJenkinsServices,
		Logs:               logsapi.NewLoggingConfiguration(),
		StorageLimit:       storagelimit.NewOptions(),
	}
	setStorageDefaults(o.Recommended.Etcd)
	jsadmission.Register(o.Recommended.Admission.Plugins)
	o.Recommended.Admission.RecommendedPluginOrder = append(o.Recommended.Admission.RecommendedPluginOrder, jsadmission.PluginName)
	return o
}

// Flags returns the flags grouped into the sections --help prints.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	r := o.Recommended
	r.Etcd.AddFlags(fss.FlagSet("etcd"))
	o.StorageLimit.AddFlags(fss.FlagSet("etcd"))
	r.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	r.Authentication.AddFlags(fss.FlagSet("authentication"))
	r.Authorization.AddFlags(fss.FlagSet("authorization"))
	r.CoreAPI.AddFlags(fss.FlagSet("core api"))
	r.Admission.AddFlags(fss.FlagSet("admission"))
	addJenkinsServiceFlags(fss.FlagSet("admission"), &o.MaxJenkinsServices)
	r.Audit.AddFlags(fss.FlagSet("audit"))
	r.Features.AddFlags(fss.FlagSet("features"))
	compatibility.DefaultComponentGlobalsRegistry.AddFlags(fss.FlagSet("features"))
	r.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	r.Traces.AddFlags(fss.FlagSet("traces"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logs"))
	return fss
}

// Complete fills in what the flags leave open. Call it once, after flag
// parsing and before Validate.
func (o *Options) Complete() error {
	return completeStorage(o.Recommended.Etcd)
}

// Validate checks the options after Complete.
func (o *Options) Validate() error {
	errs := o.Recommended.Validate()
	errs = append(errs, compatibility.DefaultComponentGlobalsRegistry.Validate()...)
	errs = append(errs, o.StorageLimit.Validate()...)
	if o.MaxJenkinsServices < 0 {
		errs = append(errs, fmt.Errorf("--max-jenkinsservices must be 0 (unlimited) or more, got %d", o.MaxJenkinsServices))
	}
	return utilerrors.NewAggregate(errs)
}

// Config turns the options into a server configuration.
func (o *Options) Config() (*Config, error) {
	if err := completeStorage(o.Recommended.Etcd); err != nil {
		return nil, err
	}
	o.StorageLimit.ApplyTo(o.Recommended.Etcd)
	if err := o.Recommended.SecureServing.MaybeDefaultWithSelfSignedCerts(
		"localhost", nil, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return nil, fmt.Errorf("creating self-signed serving certificate: %w", err)
	}

	var wiring *admissionWiring
	o.Recommended.ExtraAdmissionInitializers = func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		var err error
		wiring, err = newAdmissionWiring(c, o.MaxJenkinsServices)
		if err != nil {
			return nil, err
		}
		return []admission.PluginInitializer{wiring.initializer}, nil
	}

	gc := newRecommendedConfig()
	if err := o.Recommended.ApplyTo(gc); err != nil {
		if wiring != nil {
			wiring.close()
		}
		return nil, err
	}
	if wiring == nil {
		return nil, fmt.Errorf("the JenkinsService admission was not initialized")
	}
	return &Config{GenericConfig: gc, ExtraConfig: wiring.extraConfig()}, nil
}

// Run starts the delegated-mode server and blocks until ctx is done and the
// server has shut down gracefully.
func (o *Options) Run(ctx context.Context) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	srv, err := cfg.Complete().New()
	if err != nil {
		cfg.ExtraConfig.close()
		return err
	}
	return srv.Run(ctx)
}
