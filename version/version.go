// Package version is cicd-apiserver's own version, stamped into the binary at
// build time with -ldflags by hack/version.sh (every build path uses it). A
// build without the stamp reports v0.0.0-dev and no commit.
package version

import (
	"fmt"
	"runtime"
	"strings"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// Set with -ldflags "-X github.com/autobusi/cicd-apiserver/version.gitVersion=…".
var (
	gitVersion   = "v0.0.0-dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = ""
)

// Get is the version as /version reports it.
func Get() apimachineryversion.Info {
	major, minor := majorMinor(gitVersion)
	return apimachineryversion.Info{
		Major:        major,
		Minor:        minor,
		GitVersion:   gitVersion,
		GitCommit:    gitCommit,
		GitTreeState: gitTreeState,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// String is the one-line form the version command prints.
func String() string {
	i := Get()
	s := "cicd-apiserver " + i.GitVersion
	if i.GitCommit != "" {
		s += " commit " + i.GitCommit
		if i.GitTreeState == "dirty" {
			s += "-dirty"
		}
	}
	if i.BuildDate != "" {
		s += " built " + i.BuildDate
	}
	return fmt.Sprintf("%s %s %s", s, i.GoVersion, i.Platform)
}

// majorMinor reads "1" and "2" from "v1.2.3-…"; empty when it is not so.
func majorMinor(v string) (string, string) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return "", ""
	}
	return parts[0], parts[1]
}
