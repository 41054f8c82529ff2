package server

import (
	"fmt"
	"path"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	jsinitializer "github.com/autobusi/cicd-apiserver/admission/initializer"
	jsadmission "github.com/autobusi/cicd-apiserver/admission/jenkinsservice"
	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// reservationKeyName is where, under the storage prefix and outside every
// resource's prefix, the admission plugin keeps its reservation record.
const reservationKeyName = "admission.autobusi.group.cicd/jenkinsservices-reservation"

// storageKeys are the etcd keys the admission plugin works with.
type storageKeys struct {
	// ObjectPrefix is the prefix of the stored JenkinsServices, ending in
	// "/": an object's key is ObjectPrefix + namespace + "/" + name.
	ObjectPrefix string
	// Reservation is the key of the admission's reservation record.
	Reservation string
	// Transport is how to reach the etcd the objects are stored in.
	Transport storagebackend.TransportConfig
}

// jenkinsServiceStorageKeys derives the keys from the RESTOptions the
// JenkinsService store itself gets, the way the generic store and its etcd3
// backend build keys: "/" + storage prefix + "/" + resource prefix + "/" +
// namespace + "/" + name.
func jenkinsServiceStorageKeys(getter generic.RESTOptionsGetter) (storageKeys, error) {
	opts, err := getter.GetRESTOptions(cicd.Resource("jenkinsservices"), &cicd.JenkinsService{})
	if err != nil {
		return storageKeys{}, err
	}
	if opts.ResourcePrefix == "" || opts.StorageConfig == nil {
		return storageKeys{}, fmt.Errorf("no storage configured for jenkinsservices")
	}
	storagePrefix := opts.StorageConfig.Prefix
	return storageKeys{
		ObjectPrefix: path.Join("/", storagePrefix, opts.ResourcePrefix) + "/",
		Reservation:  path.Join("/", storagePrefix, reservationKeyName),
		Transport:    opts.StorageConfig.Transport,
	}, nil
}

// newEtcdClient connects to the storage etcd the way the storage backend
// does: same endpoints, same TLS files.
func newEtcdClient(t storagebackend.TransportConfig) (*clientv3.Client, error) {
	cfg := clientv3.Config{
		Endpoints:            t.ServerList,
		DialTimeout:          20 * time.Second,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		Logger:               zap.NewNop(),
	}
	if t.CertFile != "" || t.KeyFile != "" || t.TrustedCAFile != "" {
		tlsInfo := transport.TLSInfo{CertFile: t.CertFile, KeyFile: t.KeyFile, TrustedCAFile: t.TrustedCAFile}
		tlsConfig, err := tlsInfo.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd client TLS: %w", err)
		}
		cfg.TLS = tlsConfig
	}
	return clientv3.New(cfg)
}

// admissionWiring is what the JenkinsService admission plugin is initialized
// with: a client of the storage etcd and the keys the limit is counted in.
type admissionWiring struct {
	initializer admission.PluginInitializer
	etcd        *clientv3.Client
}

func newAdmissionWiring(c *genericapiserver.RecommendedConfig, maxJenkinsServices int) (*admissionWiring, error) {
	if c.RESTOptionsGetter == nil {
		return nil, fmt.Errorf("the JenkinsService admission needs the storage configuration")
	}
	keys, err := jenkinsServiceStorageKeys(c.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	etcd, err := newEtcdClient(keys.Transport)
	if err != nil {
		return nil, err
	}
	return &admissionWiring{
		initializer: jsinitializer.New(jsinitializer.Config{
			Etcd:               etcd,
			ObjectKeyPrefix:    keys.ObjectPrefix,
			ReservationKey:     keys.Reservation,
			MaxJenkinsServices: maxJenkinsServices,
		}),
		etcd: etcd,
	}, nil
}

func (w *admissionWiring) close() { _ = w.etcd.Close() }

// ownAdmissionOnly builds an admission chain of our plugin alone, for a
// server without the core API (local mode): the plugins that need it
// (NamespaceLifecycle, the webhooks, the admission policies) cannot run. It
// needs the authorizer to be in place already.
func ownAdmissionOnly(c *genericapiserver.RecommendedConfig, w *admissionWiring) error {
	plugins := admission.NewPlugins()
	jsadmission.Register(plugins)
	names := []string{jsadmission.PluginName}

	configProvider, err := admission.ReadAdmissionConfiguration(names, "", nil)
	if err != nil {
		return err
	}
	genericInitializer := initializer.New(nil, nil, nil, c.Authorization.Authorizer, c.FeatureGate,
		c.EffectiveVersion, c.DrainedNotify(), nil)
	chain, err := plugins.NewFromPlugins(names, configProvider,
		admission.PluginInitializers{initializer.NewAPIServerIDInitializer(c.APIServerID), genericInitializer, w.initializer},
		admission.Decorators{admission.DecoratorFunc(admissionmetrics.WithControllerMetrics)})
	if err != nil {
		return err
	}
	c.AdmissionControl = admissionmetrics.WithStepMetrics(chain)
	return nil
}
