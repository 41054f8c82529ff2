package validation

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Bounds on metadata that the generic validation leaves open and that cost
// the server with every request on the object.
const (
	// maxMergedListItems bounds finalizers and ownerReferences: a strategic
	// merge patch of either orders the stored list with a search per
	// comparison, n² log n (16 000 stored finalizers: 3.6 s of CPU for a
	// 40-byte patch). It is the bound server/filters puts on the lists of
	// the patch itself.
	maxMergedListItems = 1000
	// maxFieldsV1Depth bounds the nesting of managedFields[].fieldsV1. A
	// protobuf body is not depth-checked, and an object stored with deeper
	// managed fields could not be written back as JSON (server/filters
	// refuses bodies over 100 levels). The fields of a JenkinsService nest
	// six levels.
	maxFieldsV1Depth = 32
)

// validateMetadataBounds checks meta against the bounds above. old is the
// stored metadata on update (nil on create): what is already stored may stay,
// so that an object stored before the bounds can still be updated.
func validateMetadataBounds(meta, old *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	var oldFinalizers, oldOwners int
	if old != nil {
		oldFinalizers, oldOwners = len(old.Finalizers), len(old.OwnerReferences)
	}
	if n := len(meta.Finalizers); n > maxMergedListItems && n > oldFinalizers {
		allErrs = append(allErrs, field.TooMany(fldPath.Child("finalizers"), n, maxMergedListItems))
	}
	if n := len(meta.OwnerReferences); n > maxMergedListItems && n > oldOwners {
		allErrs = append(allErrs, field.TooMany(fldPath.Child("ownerReferences"), n, maxMergedListItems))
	}
	// The stored managed fields are scanned only when the new ones are too deep.
	for i := range meta.ManagedFields {
		f := meta.ManagedFields[i].FieldsV1
		if f == nil {
			continue
		}
		if d := jsonNesting(f.GetRawBytes()); d > maxFieldsV1Depth && (old == nil || d > fieldsV1Depth(old.ManagedFields)) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("managedFields").Index(i).Child("fieldsV1"),
				fmt.Sprintf("<%d levels>", d), fmt.Sprintf("must nest at most %d levels", maxFieldsV1Depth)))
		}
	}
	return allErrs
}

// fieldsV1Depth is the deepest nesting of the managed fields' fieldsV1.
func fieldsV1Depth(entries []metav1.ManagedFieldsEntry) int {
	deepest := 0
	for i := range entries {
		if f := entries[i].FieldsV1; f != nil {
			deepest = max(deepest, jsonNesting(f.GetRawBytes()))
		}
	}
	return deepest
}

// jsonNesting is how deep objects and arrays nest in the JSON b, by a byte
// scan (brackets in strings do not count).
func jsonNesting(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case (c == '}' || c == ']') && depth > 0:
			depth--
		}
	}
	return deepest
}
