package server

import (
	"fmt"
	"slices"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/storagecodec"
)

// jenkinsServicesResource is the group's one resource: a version serves it or nothing.
const jenkinsServicesResource = "jenkinsservices"

// servedVersions are the versions of the group, in priority order, that a
// --runtime-config may turn off one by one.
func servedVersions() []schema.GroupVersion {
	return Scheme.PrioritizedVersionsForGroup(cicd.GroupName)
}

// addAPIEnablementFlags adds --runtime-config, with a help text about this
// server's versions rather than kube-apiserver's built-in APIs.
func addAPIEnablementFlags(fs *pflag.FlagSet, o *genericoptions.APIEnablementOptions) {
	o.AddFlags(fs)
	if f := fs.Lookup("runtime-config"); f != nil {
		f.Usage = fmt.Sprintf("Versions of %s to turn off, as <group>/<version>=false pairs, e.g. %s=false "+
			"(its paths answer 404; discovery and OpenAPI leave it out). %s, the storage version, cannot be turned off.",
			cicd.GroupName, servedVersions()[len(servedVersions())-1], storageVersion)
	}
}

// applyAPIEnablement applies --runtime-config (e.g. autobusi.group.cicd/v1alpha=false)
// to c.MergedResourceConfig, starting from every version enabled. It refuses a
// configuration that turns off the storage version: every object is stored in
// it, and without it nothing could be read or written.
func applyAPIEnablement(o *genericoptions.APIEnablementOptions, c *genericapiserver.Config) error {
	if o == nil {
		return nil
	}
	if errs := o.Validate(Scheme); len(errs) > 0 {
		return fmt.Errorf("--runtime-config: %v", errs)
	}
	defaults := serverstorage.NewResourceConfig()
	defaults.EnableVersions(servedVersions()...)
	if err := o.ApplyTo(c, defaults, Scheme); err != nil {
		return fmt.Errorf("--runtime-config: %w", err)
	}
	if !c.MergedResourceConfig.ResourceEnabled(storageVersion.WithResource(jenkinsServicesResource)) {
		return fmt.Errorf("--runtime-config turns off %s, the storage version: every JenkinsService is stored in it, so it must stay served; turn off other versions only", storageVersion)
	}
	return nil
}

// enabledVersions are the group's versions that c serves, in priority order:
// all of them when no --runtime-config was applied.
func enabledVersions(c *genericapiserver.CompletedConfig) []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, gv := range servedVersions() {
		if c.MergedResourceConfig == nil || c.MergedResourceConfig.ResourceEnabled(gv.WithResource(jenkinsServicesResource)) {
			out = append(out, gv)
		}
	}
	return out
}

// retiredVersionsGetter is the generic RESTOptionsGetter, with the managedFields
// entries of the versions --runtime-config turned off read as v1beta ones.
func retiredVersionsGetter(c *genericapiserver.CompletedConfig) (generic.RESTOptionsGetter, error) {
	enabled := enabledVersions(c)
	var retired []schema.GroupVersion
	for _, gv := range servedVersions() {
		if !slices.Contains(enabled, gv) {
			retired = append(retired, gv)
		}
	}
	if len(retired) == 0 {
		return c.RESTOptionsGetter, nil
	}
	return storagecodec.RetiredVersionsGetter(c.RESTOptionsGetter, retired)
}
