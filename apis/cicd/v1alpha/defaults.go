package v1alpha

import (
	"k8s.io/apimachinery/pkg/runtime"
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_JenkinsService fills what a v1alpha client left unset. It looks at
// the whole object because instanceamount 0 is ambiguous in v1alpha: it is unset
// (default 1) unless the preserved v1beta data says the service is scaled to zero.
func SetDefaults_JenkinsService(obj *JenkinsService) {
	if obj.Spec.InstanceAmount == 0 && !preservedScaledToZero(obj.Annotations) {
		obj.Spec.InstanceAmount = 1
	}
	if obj.Spec.InstanceCpu == 0 {
		obj.Spec.InstanceCpu = 1
	}
}
