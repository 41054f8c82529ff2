package server

import (
	"context"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/registry/jenkinsservice"
)

// Server is the cicd API server: the generic API server with the
// autobusi.group.cicd group installed.
type Server struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
	extra            *ExtraConfig
}

// New builds the server: one JenkinsService storage (one store, one watch
// cache) served as both v1alpha and v1beta, and the hook that starts the
// admission informers.
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
	resources := storage.Map()
	if bind := c.ExtraConfig.bindStorage; bind != nil {
		bind(storage.JenkinsService)
	}

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
	// Aggregated discovery (what kubectl reads) orders versions by priority, and
	// without one by version string, which puts v1alpha first. Give it the
	// scheme's order, so that v1beta is the preferred version there as in the
	// legacy discovery document.
	for i, gv := range group.PrioritizedVersions {
		generic.AggregatedDiscoveryGroupManager.SetGroupVersionPriority(
			metav1.GroupVersion{Group: gv.Group, Version: gv.Version}, discoveryGroupPriority, len(group.PrioritizedVersions)-i)
	}

	if f := c.ExtraConfig.Informers; f != nil {
		if err := generic.AddPostStartHook("start-cicd-informers", func(ctx genericapiserver.PostStartHookContext) error {
			f.Start(ctx.Done())
			return nil
		}); err != nil {
			return nil, err
		}
		// Ready only once the admission plugin can see every JenkinsService.
		if err := generic.AddReadyzChecks(healthz.NamedCheck("cicd-informer-sync", func(*http.Request) error {
			synced := f.WaitForCacheSync(alreadyClosed)
			for typ, ok := range synced {
				if !ok {
					return fmt.Errorf("informer for %v has not synced", typ)
				}
			}
			return nil
		})); err != nil {
			return nil, err
		}
	}
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

// alreadyClosed makes WaitForCacheSync report the current state at once.
var alreadyClosed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// Run serves until ctx is done, then shuts down gracefully (in-flight
// requests finish, watches end) and releases what the configuration opened.
func (s *Server) Run(ctx context.Context) error {
	defer s.extra.close()
	return s.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}

// discoveryGroupPriority is the group's priority in aggregated discovery, the
// generic server's default for groups that set none.
const discoveryGroupPriority = 1000
