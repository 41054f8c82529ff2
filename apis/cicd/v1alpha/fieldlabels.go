package v1alpha

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func init() {
	localSchemeBuilder.Register(addFieldLabelConversionFuncs)
}

// addFieldLabelConversionFuncs registers the field selectors v1alpha offers:
// metadata.name, metadata.namespace and spec.instanceamount.
func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("JenkinsService"), cicd.FieldLabelConversionFunc(PathInstanceAmount))
}
