package v1alpha

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime"
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
		return "spec.replicas", canonicalInteger(value), nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", label)
}

// canonicalInteger writes an integer value as the server's field set does (decimal,
// no sign or leading zeros), so that "02" selects what "2" selects. Anything else is
// passed on as it is, and matches nothing.
func canonicalInteger(value string) string {
	if n, err := strconv.ParseInt(value, 10, 32); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return value
}
