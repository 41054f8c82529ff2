package jenkinsservice

import (
	"strings"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// Reset fields tell the field manager (server-side apply, managedFields) which
// fields a write through an endpoint does not set, so that no manager is recorded
// as owning them. They are given per served version, in that version's field
// names:
//
//   - v1beta's conditions are a map list keyed by type, so its Approved condition
//     is the path status.conditions[type="Approved"];
//   - v1alpha shows the Approved condition as status.approvalstatus;
//   - v1alpha's round-trip annotations (preserved-spec, preserved-status) are
//     consumed by the conversion and never stored, so no write sets them.
//
// What a set cannot say is "all conditions but Approved": the approval
// subresource, which writes only that condition, uses a filter instead
// (approvalResetFieldsFilter). In v1alpha the other conditions travel inside the
// preserved-status annotation, which no path can split.

var (
	v1alphaVersion = fieldpath.APIVersion(v1alpha.SchemeGroupVersion.String())
	v1betaVersion  = fieldpath.APIVersion(v1beta.SchemeGroupVersion.String())
)

var (
	pathSpec   = fieldpath.MakePathOrDie("spec")
	pathStatus = fieldpath.MakePathOrDie("status")

	pathPreservedSpec   = fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedSpec)
	pathPreservedStatus = fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedStatus)

	// The managed metadata that metav1.ResetObjectMetaForStatus takes from the
	// stored object.
	pathLabels          = fieldpath.MakePathOrDie("metadata", "labels")
	pathAnnotations     = fieldpath.MakePathOrDie("metadata", "annotations")
	pathFinalizers      = fieldpath.MakePathOrDie("metadata", "finalizers")
	pathOwnerReferences = fieldpath.MakePathOrDie("metadata", "ownerReferences")

	pathObservedGeneration = fieldpath.MakePathOrDie("status", "observedGeneration")
	pathInstances          = fieldpath.MakePathOrDie("status", "instances")
	// v1beta: the Approved item of the conditions map list.
	pathApprovedCondition = fieldpath.MakePathOrDie("status", "conditions", fieldpath.KeyByFields("type", cicd.ConditionApproved))
	// v1alpha: the field that shows the Approved condition.
	pathApprovalStatus = fieldpath.MakePathOrDie(fieldNames(v1alpha.PathApprovalStatus)...)
)

// fieldNames splits a dotted JSON path without list items into the parts that
// fieldpath.MakePathOrDie and fieldpath.MakePrefixMatcherOrDie take.
func fieldNames(dotted string) []interface{} {
	var parts []interface{}
	for _, name := range strings.Split(dotted, ".") {
		parts = append(parts, name)
	}
	return parts
}

// setOf builds a set of the given paths plus, for the subresources, the spec and
// the metadata they take from the stored object.
func setOf(subresource bool, paths ...fieldpath.Path) *fieldpath.Set {
	if subresource {
		paths = append([]fieldpath.Path{pathSpec, pathLabels, pathAnnotations, pathFinalizers, pathOwnerReferences}, paths...)
	}
	return fieldpath.NewSet(paths...)
}

// mainResetFields: writes to the main resource never set the status.
func mainResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: setOf(false, pathStatus, pathPreservedSpec, pathPreservedStatus),
		v1betaVersion:  setOf(false, pathStatus),
	}
}

// statusResetFields: status writes set neither the spec, nor the metadata kept from
// the stored object, nor the Approved condition.
func statusResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: setOf(true, pathApprovalStatus),
		v1betaVersion:  setOf(true, pathApprovedCondition),
	}
}

// approvalResetFields is the closest reset set to what the approval subresource
// ignores: everything a set can name but the Approved condition. In v1beta it
// misses the other conditions. approvalResetFieldsFilter is exact and is what the
// approval endpoint reports.
func approvalResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: setOf(true, pathInstances),
		v1betaVersion:  setOf(true, pathObservedGeneration, pathInstances),
	}
}

// approvalResetFieldsFilter keeps, of what an approval write touches, only the
// Approved condition: v1beta status.conditions[type="Approved"], v1alpha
// status.approvalstatus.
func approvalResetFieldsFilter() map[fieldpath.APIVersion]fieldpath.Filter {
	return map[fieldpath.APIVersion]fieldpath.Filter{
		v1alphaVersion: fieldpath.NewIncludeMatcherFilter(fieldpath.MakePrefixMatcherOrDie(fieldNames(v1alpha.PathApprovalStatus)...)),
		v1betaVersion: fieldpath.NewIncludeMatcherFilter(
			fieldpath.MakePrefixMatcherOrDie("status", "conditions", fieldpath.KeyByFields("type", cicd.ConditionApproved)),
		),
	}
}
