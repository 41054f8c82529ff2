// Package initializer hands the shared resources of the cicd-apiserver to the
// admission plugins that ask for them through the Wants* interfaces below.
//
// Wiring: register the JenkinsService plugin last in the recommended plugin
// order (it must be the last validating plugin, so that it only charges
// creates every other plugin let through) and pass New(Config{...}) in the
// server's extra admission initializers. ObjectKeyPrefix must be the prefix
// the storage really writes JenkinsServices under (storage prefix joined with
// the resource prefix, ending in "/"), and Etcd a client of that etcd that
// sees the same keys (no client-side namespace).
package initializer

import (
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apiserver/pkg/admission"
)

// Config is what the initializer hands out.
type Config struct {
	// Etcd is a client of the etcd that stores JenkinsServices.
	Etcd *clientv3.Client
	// ObjectKeyPrefix is the etcd key prefix of stored JenkinsServices, ending
	// in "/": an object's key is ObjectKeyPrefix + namespace + "/" + name.
	ObjectKeyPrefix string
	// ReservationKey is the etcd key of the admission's reservation record. It
	// must not lie under ObjectKeyPrefix.
	ReservationKey string
	// MaxJenkinsServices is the limit on JenkinsServices in the whole
	// system; 0 means unlimited.
	MaxJenkinsServices int
}

// WantsEtcdClient is implemented by plugins that need the storage etcd.
type WantsEtcdClient interface {
	SetEtcdClient(*clientv3.Client)
}

// LimitConfig configures the limit on the number of JenkinsServices.
type LimitConfig struct {
	// ObjectKeyPrefix, ReservationKey and Max are Config's ObjectKeyPrefix,
	// ReservationKey and MaxJenkinsServices.
	ObjectKeyPrefix string
	ReservationKey  string
	Max             int
}

// WantsJenkinsServiceLimit is implemented by plugins that enforce the limit
// on the number of JenkinsServices.
type WantsJenkinsServiceLimit interface {
	SetJenkinsServiceLimit(LimitConfig)
}

type pluginInitializer struct {
	cfg Config
}

var _ admission.PluginInitializer = pluginInitializer{}

// New returns an admission.PluginInitializer that hands cfg to the plugins
// implementing the Wants* interfaces of this package.
func New(cfg Config) admission.PluginInitializer {
	return pluginInitializer{cfg: cfg}
}

// Initialize hands the configured resources to plugin.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsEtcdClient); ok {
		wants.SetEtcdClient(i.cfg.Etcd)
	}
	if wants, ok := plugin.(WantsJenkinsServiceLimit); ok {
		wants.SetJenkinsServiceLimit(LimitConfig{
			ObjectKeyPrefix: i.cfg.ObjectKeyPrefix,
			ReservationKey:  i.cfg.ReservationKey,
			Max:             i.cfg.MaxJenkinsServices,
		})
	}
}
