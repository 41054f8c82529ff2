package server

import (
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/compatibility"
	basecompatibility "k8s.io/component-base/compatibility"

	informers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
)

// Config is the server configuration: the generic API server's and ours.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

// ExtraConfig is the configuration that is not the generic server's.
type ExtraConfig struct {
	// Informers feed the JenkinsService admission plugin. The server starts
	// them in a post-start hook and is not ready before they have synced.
	Informers informers.SharedInformerFactory
	// bindStorage, when set, hands the JenkinsService storage to the
	// informers that read it in process, once the server has built it.
	bindStorage func(storeReader)
	// closers release what the configuration opened (the admission etcd
	// client) once the server has stopped.
	closers []func()
}

func (e *ExtraConfig) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	ExtraConfig   *ExtraConfig
}

// CompletedConfig is a Config after Complete; only it can build a Server.
type CompletedConfig struct {
	*completedConfig
}

// Complete fills in the fields derived from others. It changes the receiver.
func (c *Config) Complete() CompletedConfig {
	c.GenericConfig.LivezChecks = withoutStorageChecks(c.GenericConfig.LivezChecks) // /livez independent of etcd
	return CompletedConfig{&completedConfig{
		GenericConfig: c.GenericConfig.Complete(),
		ExtraConfig:   &c.ExtraConfig,
	}}
}

// newRecommendedConfig is the generic configuration both modes start from:
// our codecs, OpenAPI v2 and v3, the kube feature gate and effective version.
func newRecommendedConfig() *genericapiserver.RecommendedConfig {
	c := genericapiserver.NewRecommendedConfig(Codecs)
	c.BuildHandlerChainFunc = buildHandlerChain
	applyOpenAPI(&c.Config)
	registry := compatibility.DefaultComponentGlobalsRegistry
	c.FeatureGate = registry.FeatureGateFor(basecompatibility.DefaultKubeComponent)
	c.EffectiveVersion = reportedVersion{registry.EffectiveVersionFor(basecompatibility.DefaultKubeComponent)}
	return c
}
