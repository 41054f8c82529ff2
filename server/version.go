package server

import (
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/autobusi/cicd-apiserver/version"
)

// reportedVersion is the Kubernetes effective version the generic server
// needs (feature gates, emulation), reporting our own version in /version.
type reportedVersion struct {
	basecompatibility.EffectiveVersion
}

func (v reportedVersion) Info() *apimachineryversion.Info {
	info := version.Get()
	return &info
}
