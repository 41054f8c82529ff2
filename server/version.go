package server

import (
	"runtime/debug"
	"strings"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/component-base/version"
)

// versionInfo is the version the server reports: in /version, in the OpenAPI
// info and by the version command. It is component-base's version (set with
// -ldflags -X k8s.io/component-base/version.gitVersion=…); when the build
// did not set it, it is the version of the Kubernetes libraries the binary
// is built with (k8s.io/apiserver v0.X.Y reports v1.X.Y) and the git commit
// Go recorded, so that clients such as kubectl version can parse it.
func versionInfo() apimachineryversion.Info {
	info := version.Get()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	if unsetVersionField(info.GitVersion) {
		info.GitVersion = kubeLibrariesVersion(bi)
	}
	if unsetVersionField(info.GitCommit) {
		info.GitCommit, info.GitTreeState = "", ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.GitCommit = s.Value
			case "vcs.modified":
				info.GitTreeState = map[string]string{"true": "dirty", "false": "clean"}[s.Value]
			case "vcs.time":
				info.BuildDate = s.Value
			}
		}
	}
	return info
}

// unsetVersionField tells the placeholders of an unstamped build.
func unsetVersionField(v string) bool {
	return v == "" || strings.Contains(v, "$Format") || strings.HasPrefix(v, "v0.0.0-master")
}

func kubeLibrariesVersion(bi *debug.BuildInfo) string {
	for _, dep := range bi.Deps {
		if dep.Path == "k8s.io/apiserver" && strings.HasPrefix(dep.Version, "v0.") {
			return "v1." + strings.TrimPrefix(dep.Version, "v0.")
		}
	}
	return "v" + version.DefaultKubeBinaryVersion + ".0"
}

// reportedVersion is the effective version with versionInfo in /version.
type reportedVersion struct {
	basecompatibility.EffectiveVersion
}

func (v reportedVersion) Info() *apimachineryversion.Info {
	info := v.EffectiveVersion.Info()
	if info == nil {
		return nil
	}
	r := versionInfo()
	info.GitVersion, info.GitCommit, info.GitTreeState, info.BuildDate = r.GitVersion, r.GitCommit, r.GitTreeState, r.BuildDate
	return info
}

// versionString is what the version command prints.
func versionString() string {
	info := versionInfo()
	parts := []string{"cicd-apiserver", info.GitVersion}
	if info.GitCommit != "" {
		commit := info.GitCommit
		if info.GitTreeState == "dirty" {
			commit += "-dirty"
		}
		parts = append(parts, "commit "+commit)
	}
	return strings.Join(append(parts, info.GoVersion, info.Platform), " ")
}
