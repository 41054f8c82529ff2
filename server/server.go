package server

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/compatibility"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/registry/jenkinsservice"
)

// Config is the server configuration: the generic API server's and ours.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

// ExtraConfig is the configuration that is not the generic server's.
type ExtraConfig struct {
	// closers release what the configuration opened (the admission etcd
	// client) once the server has stopped.
	closers []func()
	// etcd is a client of the storage etcd (the admission's), for
	// delete-collections straight to etcd; nil leaves them to the generic store.
	etcd *clientv3.Client
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

// Server is the cicd API server: the generic API server with the
// autobusi.group.cicd group installed.
type Server struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
	extra            *ExtraConfig
}

// New builds the server: one JenkinsService storage (one store, one watch
// cache) served as both v1alpha and v1beta.
func (c CompletedConfig) New() (*Server, error) {
	generic, err := c.GenericConfig.New("cicd-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s := &Server{GenericAPIServer: generic, extra: c.ExtraConfig}

	getter, err := retiredVersionsGetter(&c.GenericConfig)
	if err != nil {
		return nil, err
	}
	storage, err := jenkinsservice.NewStorage(Scheme, getter)
	if err != nil {
		return nil, fmt.Errorf("jenkinsservices storage: %w", err)
	}
	if c.ExtraConfig.etcd != nil {
		storage.JenkinsService.DeleteWithEtcd(c.ExtraConfig.etcd)
	}
	resources := storage.Map()
	group := genericapiserver.NewDefaultAPIGroupInfo(cicd.GroupName, Scheme, metav1.ParameterCodec, Codecs)
	// Only the versions --runtime-config leaves on (all by default).
	group.PrioritizedVersions = enabledVersions(&c.GenericConfig)
	for _, gv := range group.PrioritizedVersions {
		group.VersionedResourcesStorageMap[gv.Version] = resources
	}
	if err := generic.InstallAPIGroup(&group); err != nil {
		return nil, err
	}
	preferVersionsInOrder(generic, group.PrioritizedVersions)
	return s, nil
}

// preferVersionsInOrder makes aggregated discovery (/apis, what kubectl reads)
// list the versions in the scheme's priority order, v1beta first. Without
// priorities it orders them as Kubernetes version strings, and "v1alpha" and
// "v1beta" are none (no number after alpha/beta), so they would sort
// alphabetically and v1alpha would look preferred.
func preferVersionsInOrder(s *genericapiserver.GenericAPIServer, versions []schema.GroupVersion) {
	if s.AggregatedDiscoveryGroupManager == nil {
		return
	}
	for i, gv := range versions {
		s.AggregatedDiscoveryGroupManager.SetGroupVersionPriority(
			metav1.GroupVersion{Group: gv.Group, Version: gv.Version}, groupPriorityMinimum, versionPriorityStep*(len(versions)-i))
	}
}

// Discovery priorities, in the units APIService uses.
const (
	groupPriorityMinimum = 1000
	versionPriorityStep  = 5
)

// Run serves until ctx is done, then shuts down gracefully (in-flight
// requests finish, watches end) and releases what the configuration opened.
func (s *Server) Run(ctx context.Context) error {
	defer s.extra.close()
	return s.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}
