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
			return PathReplicas, CanonicalIntegerFieldValue(value), nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// CanonicalIntegerFieldValue writes an integer field-selector value as the
// server's field sets do (decimal, no sign or leading zeros), so that "02"
// selects what "2" selects. Anything else is returned as it is, and matches
// nothing.
func CanonicalIntegerFieldValue(value string) string {
	if n, err := strconv.ParseInt(value, 10, 32); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return value
}
