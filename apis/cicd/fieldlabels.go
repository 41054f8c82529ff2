package cicd

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime"
)

// FieldLabelConversionFunc is the field-selector conversion of a version whose
// replica count is at replicasLabel: metadata.name, metadata.namespace and
// replicasLabel, which selects on the hub's spec.replicas.
func FieldLabelConversionFunc(replicasLabel string) runtime.FieldLabelConversionFunc {
	return func(label, value string) (string, string, error) {
		switch label {
		case "metadata.name", "metadata.namespace":
			return label, value, nil
		case replicasLabel:
			v, err := CanonicalIntegerFieldValue(value)
			if err != nil {
				return "", "", fmt.Errorf("field selector %s: %w", label, err)
			}
			return PathReplicas, v, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// CanonicalIntegerFieldValue writes an integer field-selector value as the
// server's field sets do (decimal, no sign or leading zeros), so that "02"
// selects what "2" selects. A value that is not a 32-bit integer is the
// client's mistake (a 400), not a selector that matches nothing.
func CanonicalIntegerFieldValue(value string) (string, error) {
	n, err := strconv.ParseInt(value, 10, 32)
	if err != nil {
		return "", fmt.Errorf("%q is not a 32-bit integer", value)
	}
	return strconv.FormatInt(n, 10), nil
}
