package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/admission"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	jsadmission "github.com/autobusi/cicd-apiserver/admission/jenkinsservice"
	"github.com/autobusi/cicd-apiserver/server/allnames"
	"github.com/autobusi/cicd-apiserver/server/frontproxy"
	"github.com/autobusi/cicd-apiserver/server/local"
	"github.com/autobusi/cicd-apiserver/server/storagelimit"
)

func init() {
	// --logging-format and friends are gated by feature gates of their own.
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// Options are the server's flags. By default (delegated mode) the server runs
// behind kube-apiserver (APIService aggregation), authenticates with
// TokenReview and the front proxy's request headers, authorizes with
// SubjectAccessReview, and reaches the core API through --kubeconfig (or
// in-cluster config). With Local set it runs stand-alone (package local).
type Options struct {
	Recommended *genericoptions.RecommendedOptions
	// MaxJenkinsServices is the admission limit on JenkinsServices in the
	// whole system; 0 is unlimited.
	MaxJenkinsServices int
	Logs               *logsapi.LoggingConfiguration
	// Local, when set, is local mode: the same options with local storage,
	// certificates, authentication and authorization applied.
	Local *local.Options
	// APIEnablement is --runtime-config: versions of the group to turn off.
	APIEnablement *genericoptions.APIEnablementOptions
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
		APIEnablement:      genericoptions.NewAPIEnablementOptions(),
		StorageLimit:       storagelimit.NewOptions(),
	}
	setStorageDefaults(o.Recommended.Etcd)
	jsadmission.Register(o.Recommended.Admission.Plugins)
	o.Recommended.Admission.RecommendedPluginOrder = append(o.Recommended.Admission.RecommendedPluginOrder, jsadmission.PluginName)
	return o
}

// NewLocalOptions returns local mode's defaults: delegated mode's, with
// package local's changes.
func NewLocalOptions() *Options {
	o := NewOptions()
	o.Local = local.NewOptions()
	local.ApplyDefaults(o.Recommended)
	return o
}

// Flags returns the flags grouped into the sections --help prints; the
// generic options local mode leaves out (nil) add none.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	if o.Local != nil {
		o.Local.AddFlags(fss.FlagSet("local"))
	}
	r := o.Recommended
	r.Etcd.AddFlags(fss.FlagSet("etcd"))
	o.StorageLimit.AddFlags(fss.FlagSet("etcd"))
	r.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	r.Authentication.AddFlags(fss.FlagSet("authentication"))
	r.Authorization.AddFlags(fss.FlagSet("authorization"))
	if r.CoreAPI != nil {
		r.CoreAPI.AddFlags(fss.FlagSet("core api"))
	}
	r.Admission.AddFlags(fss.FlagSet("admission"))
	fss.FlagSet("admission").IntVar(&o.MaxJenkinsServices, "max-jenkinsservices", o.MaxJenkinsServices, ""+
		"The most JenkinsServices the JenkinsService admission plugin admits in the whole system; 0 means unlimited.")
	r.Audit.AddFlags(fss.FlagSet("audit"))
	r.Features.AddFlags(fss.FlagSet("features"))
	compatibility.DefaultComponentGlobalsRegistry.AddFlags(fss.FlagSet("features"))
	r.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	r.Traces.AddFlags(fss.FlagSet("traces"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logs"))
	addAPIEnablementFlags(fss.FlagSet("api enablement"), o.APIEnablement)
	return fss
}

// Complete fills in what the flags leave open. Call it once, after flag
// parsing and before Validate. In local mode it brings up the data
// directory's certificates and embedded etcd; Run (or Close) releases them.
func (o *Options) Complete(ctx context.Context) error {
	if o.Local != nil {
		o.Local.EtcdMaxRequestBytes = o.StorageLimit.MaxRequestBytes
		if err := o.Local.Complete(ctx, o.Recommended); err != nil {
			return err
		}
	}
	if err := completeStorage(o.Recommended.Etcd); err != nil {
		return err
	}
	o.StorageLimit.ApplyTo(o.Recommended.Etcd)
	return nil
}

// Close releases what Complete brought up, for a server that will not run.
func (o *Options) Close() {
	if o.Local != nil {
		o.Local.Close()
	}
}

// Validate checks the options after Complete.
func (o *Options) Validate() error {
	errs := o.Recommended.Validate()
	errs = append(errs, compatibility.DefaultComponentGlobalsRegistry.Validate()...)
	errs = append(errs, o.StorageLimit.Validate()...)
	if o.MaxJenkinsServices < 0 {
		errs = append(errs, fmt.Errorf("--max-jenkinsservices must be 0 (unlimited) or more, got %d", o.MaxJenkinsServices))
	}
	if o.Local != nil {
		errs = append(errs, o.Local.Validate()...)
	}
	return utilerrors.NewAggregate(errs)
}

// Config turns the completed options into a server configuration.
func (o *Options) Config() (*Config, error) {
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
	cfg := &Config{GenericConfig: gc}
	if err := o.applyTo(gc, &wiring); err != nil {
		if wiring != nil {
			wiring.close()
		}
		return nil, err
	}
	cfg.ExtraConfig.closers = []func(){wiring.close}
	cfg.ExtraConfig.etcd = wiring.etcd
	return cfg, nil
}

func (o *Options) applyTo(gc *genericapiserver.RecommendedConfig, wiring **admissionWiring) error {
	if err := o.Recommended.ApplyTo(gc); err != nil {
		return err
	}
	if *wiring == nil {
		return fmt.Errorf("the JenkinsService admission was not initialized")
	}
	if err := applyAPIEnablement(o.APIEnablement, &gc.Config); err != nil {
		return err
	}
	if o.Local != nil {
		if err := o.Local.ApplyTo(&gc.Config); err != nil {
			return err
		}
	} else {
		// Behind the aggregator: verify the front proxy's certificate once,
		// not per request (server/frontproxy).
		gc.Authentication.Authenticator = frontproxy.Wrap(gc.Authentication.Authenticator, gc.Authentication.RequestHeaderConfig)
		// Not ready until the aggregator's requests can be authenticated.
		if rh := gc.Authentication.RequestHeaderConfig; rh != nil && rh.CAContentProvider != nil {
			gc.AddReadyzChecks(frontProxyCACheck(rh))
		}
		// A review for all names answers for each name (server/allnames).
		gc.Authorization.Authorizer = allnames.Wrap(gc.Authorization.Authorizer)
	}
	if o.Recommended.Admission == nil {
		// No core API, no chain from the generic options: ours alone.
		return ownAdmissionOnly(gc, *wiring)
	}
	return nil
}

// Run starts the server and blocks until ctx is done and it has shut down
// gracefully. In local mode it prints the ready line to out once the server
// serves.
func (o *Options) Run(ctx context.Context, out io.Writer) error {
	srv, err := o.Start(ctx)
	if err != nil {
		return err
	}
	if o.Local != nil {
		fmt.Fprintln(out, o.Local.ReadyLine())
	}
	<-srv.Done()
	return srv.Err()
}

// Start builds the server from the completed, validated options and runs it
// until ctx is done; in local mode it returns once the server is ready.
func (o *Options) Start(ctx context.Context) (*Running, error) {
	cfg, err := o.Config()
	if err != nil {
		o.Close()
		return nil, err
	}
	srv, err := cfg.Complete().New()
	if err != nil {
		cfg.ExtraConfig.close()
		o.Close()
		return nil, err
	}
	r := &Running{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = srv.Run(ctx)
		o.Close()
	}()
	if o.Local != nil {
		started := time.Now()
		if err := o.Local.WaitReady(ctx, r.done); err != nil {
			return nil, err
		}
		klog.InfoS("Local cicd-apiserver ready", "url", o.Local.URL(), "dataDir", o.Local.DataDir,
			"etcd", o.Recommended.Etcd.StorageConfig.Transport.ServerList, "startup", time.Since(started).Round(time.Millisecond))
	}
	return r, nil
}

// Running is a started server.
type Running struct {
	done chan struct{}
	err  error
}

// Done is closed once the server has stopped and released its resources.
func (r *Running) Done() <-chan struct{} { return r.done }

// Err is why the server stopped, nil after a graceful shutdown; meaningful
// once Done is closed.
func (r *Running) Err() error { return r.err }
