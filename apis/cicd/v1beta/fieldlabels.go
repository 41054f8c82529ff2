package v1beta

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func init() {
	localSchemeBuilder.Register(addFieldLabelConversionFuncs)
}

// addFieldLabelConversionFuncs registers the field selectors v1beta offers:
// metadata.name, metadata.namespace and spec.replicas.
func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("JenkinsService"), cicd.FieldLabelConversionFunc(cicd.PathReplicas))
}
