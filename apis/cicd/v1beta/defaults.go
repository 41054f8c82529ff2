package v1beta

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_JenkinsServiceSpec fills what a v1beta client left unset.
func SetDefaults_JenkinsServiceSpec(obj *JenkinsServiceSpec) {
	if obj.Replicas == nil {
		one := int32(1)
		obj.Replicas = &one
	}
	if obj.Resources.CPU == nil {
		q := cicd.DefaultCPU()
		obj.Resources.CPU = &q
	}
	if obj.Resources.Memory == nil {
		q := cicd.DefaultMemory()
		obj.Resources.Memory = &q
	}
	if obj.Image == "" {
		obj.Image = cicd.DefaultImage
	}
}
