package jenkinsservice

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// FieldReplicas is the hub field label of spec.replicas. The versions' field label
// conversions map their own names to it (v1alpha: spec.instanceamount).
const FieldReplicas = cicd.PathReplicas

// GetAttrs returns the labels and the selectable fields of a JenkinsService.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	js, ok := obj.(*cicd.JenkinsService)
	if !ok {
		return nil, nil, fmt.Errorf("not a JenkinsService: %T", obj)
	}
	return labels.Set(js.Labels), SelectableFields(js), nil
}

// SelectableFields are metadata.name, metadata.namespace and spec.replicas (as a
// decimal integer).
func SelectableFields(js *cicd.JenkinsService) fields.Set {
	return generic.AddObjectMetaFieldsSet(fields.Set{
		FieldReplicas: strconv.FormatInt(int64(js.Spec.Replicas), 10),
	}, &js.ObjectMeta, true)
}

// Matcher selects JenkinsServices by label and field selectors.
func Matcher(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:    label,
		Field:    field,
		GetAttrs: GetAttrs,
	}
}
