package v1alpha

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func init() {
	localSchemeBuilder.Register(addFieldLabelConversionFuncs)
}

// addFieldLabelConversionFuncs registers the field selectors v1alpha offers:
// metadata.name, metadata.namespace and spec.instanceamount, which selects on the
// hub's spec.replicas.
func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("JenkinsService"), convertFieldLabel)
}

func convertFieldLabel(label, value string) (string, string, error) {
	switch label {
	case "metadata.name", "metadata.namespace":
		return label, value, nil
	case "spec.instanceamount":
		return "spec.replicas", cicd.CanonicalIntegerFieldValue(value), nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", label)
}
