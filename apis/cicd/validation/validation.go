// Package validation validates the hub (internal) JenkinsService. Errors carry
// hub field paths, which are the v1beta JSON paths; a version that names fields
// differently maps them (v1alpha.FieldErrorsFromHub).
package validation

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Limits of the API (API.md, "Validation"), and list bounds that keep a stored
// object small.
const (
	minReplicas = 0
	maxReplicas = 100

	// maxConditions bounds status.conditions; there is at most one per type.
	maxConditions = 32
	// maxInstances bounds status.instances: twice the maximum of replicas, which
	// leaves room for instances being replaced during a rollout.
	maxInstances = 2 * maxReplicas
)

var (
	maxCPU    = resource.MustParse("64")
	minMemory = resource.MustParse("256Mi")
	maxMemory = resource.MustParse("256Gi")
)

// ValidateJenkinsService validates a JenkinsService on create: its metadata (a
// namespaced object with a DNS-1123 subdomain name), spec and status.
func ValidateJenkinsService(obj *cicd.JenkinsService) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&obj.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateMetadataBounds(&obj.ObjectMeta, nil, field.NewPath("metadata"))...)
	allErrs = append(allErrs, ValidateJenkinsServiceSpec(&obj.Spec, field.NewPath("spec"))...)
	allErrs = append(allErrs, ValidateJenkinsServiceStatus(&obj.Status, field.NewPath("status"))...)
	return allErrs
}

// ValidateJenkinsServiceUpdate validates an update of the main resource: the
// metadata update rules, the new spec and the status.
func ValidateJenkinsServiceUpdate(obj, old *cicd.JenkinsService) field.ErrorList {
	allErrs := validateObjectMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	allErrs = append(allErrs, ValidateJenkinsServiceSpec(&obj.Spec, field.NewPath("spec"))...)
	allErrs = append(allErrs, ValidateJenkinsServiceStatus(&obj.Status, field.NewPath("status"))...)
	return allErrs
}

// ValidateJenkinsServiceStatusUpdate validates an update through the status or
// approval subresource: the metadata update rules and the new status.
func ValidateJenkinsServiceStatusUpdate(obj, old *cicd.JenkinsService) field.ErrorList {
	allErrs := validateObjectMetaUpdate(&obj.ObjectMeta, &old.ObjectMeta)
	allErrs = append(allErrs, ValidateJenkinsServiceStatus(&obj.Status, field.NewPath("status"))...)
	return allErrs
}

// validateObjectMetaUpdate applies the generic metadata update rules and, as the
// built-in APIs do, checks the finalizer names, which the generic update rules
// leave out.
func validateObjectMetaUpdate(obj, old *metav1.ObjectMeta) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(obj, old, fldPath)
	allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizers(obj.Finalizers, fldPath.Child("finalizers"))...)
	allErrs = append(allErrs, validateMetadataBounds(obj, old, fldPath)...)
	return allErrs
}

// ValidateJenkinsServiceSpec validates the desired state: replicas 0 to 100, a
// CPU above 0 and at most 64 cores, memory from 256Mi to 256Gi, and a valid image
// reference.
func ValidateJenkinsServiceSpec(spec *cicd.JenkinsServiceSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList

	if spec.Replicas < minReplicas || spec.Replicas > maxReplicas {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("replicas"), spec.Replicas,
			utilvalidation.InclusiveRangeError(minReplicas, maxReplicas)))
	}

	resPath := fldPath.Child("resources")
	// Quantities are compared on copies: comparing and printing may rewrite a
	// quantity's internal form, and validation must not touch the object.
	cpu := spec.Resources.CPU.DeepCopy()
	switch {
	case cpu.Sign() <= 0:
		allErrs = append(allErrs, field.Invalid(resPath.Child("cpu"), cpu.String(), "must be greater than 0"))
	case cpu.Cmp(maxCPU) > 0:
		allErrs = append(allErrs, field.Invalid(resPath.Child("cpu"), cpu.String(),
			fmt.Sprintf("must be at most %s cores", maxCPU.String())))
	}

	memory := spec.Resources.Memory.DeepCopy()
	switch {
	case memory.Cmp(minMemory) < 0:
		allErrs = append(allErrs, field.Invalid(resPath.Child("memory"), memory.String(),
			fmt.Sprintf("must be at least %s", minMemory.String())))
	case memory.Cmp(maxMemory) > 0:
		allErrs = append(allErrs, field.Invalid(resPath.Child("memory"), memory.String(),
			fmt.Sprintf("must be at most %s", maxMemory.String())))
	}

	allErrs = append(allErrs, ValidateImageReference(spec.Image, fldPath.Child("image"))...)
	return allErrs
}

// ValidateJenkinsServiceStatus validates the observed state: a non-negative
// observedGeneration, well-formed conditions with at most one of each type, and
// instances with a non-negative CPU and, when set, unique DNS-1123 names.
func ValidateJenkinsServiceStatus(status *cicd.JenkinsServiceStatus, fldPath *field.Path) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateNonnegativeField(status.ObservedGeneration, fldPath.Child("observedGeneration"))
	allErrs = append(allErrs, validateConditions(status.Conditions, fldPath.Child("conditions"))...)
	allErrs = append(allErrs, validateInstances(status.Instances, fldPath.Child("instances"))...)
	return allErrs
}

// validateConditions checks the conditions with the generic condition rules,
// which also report a second condition of a type as Duplicate. Every error about
// one condition names the condition's type in its detail: the list is keyed by
// type.
func validateConditions(conditions []metav1.Condition, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(conditions) > maxConditions {
		allErrs = append(allErrs, field.TooMany(fldPath, len(conditions), maxConditions))
	}
	for _, err := range metav1validation.ValidateConditions(conditions, fldPath) {
		i, ok := listIndex(err.Field, fldPath.String())
		if !ok || i >= len(conditions) {
			allErrs = append(allErrs, err)
			continue
		}
		if err.Type == field.ErrorTypeDuplicate && err.Detail == "" {
			err.Detail = "there may be at most one condition of each type"
		}
		if condType := conditions[i].Type; condType != "" {
			err.Detail = joinDetail("condition "+strconv.Quote(condType), err.Detail)
		}
		allErrs = append(allErrs, err)
	}
	return allErrs
}

func joinDetail(what, detail string) string {
	if detail == "" {
		return what
	}
	return what + ": " + detail
}

// listIndex returns i when the path f is list[i] or lies under it.
func listIndex(f, list string) (int, bool) {
	rest, ok := strings.CutPrefix(f, list+"[")
	end := strings.IndexByte(rest, ']')
	if !ok || end <= 0 {
		return 0, false
	}
	i, err := strconv.Atoi(rest[:end])
	return i, err == nil && i >= 0
}

func validateInstances(instances []cicd.JenkinsServerInstance, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(instances) > maxInstances {
		allErrs = append(allErrs, field.TooMany(fldPath, len(instances), maxInstances))
	}
	names := make(map[string]bool, len(instances))
	for i := range instances {
		inst := &instances[i]
		itemPath := fldPath.Index(i)

		if cpu := inst.CPU.DeepCopy(); cpu.Sign() < 0 {
			allErrs = append(allErrs, field.Invalid(itemPath.Child("cpu"), cpu.String(), apimachineryvalidation.IsNegativeErrorMsg))
		}

		if inst.Name == "" {
			continue // names are optional
		}
		namePath := itemPath.Child("name")
		if msgs := utilvalidation.IsDNS1123Subdomain(inst.Name); len(msgs) > 0 {
			for _, msg := range msgs {
				allErrs = append(allErrs, field.Invalid(namePath, inst.Name, msg))
			}
			continue
		}
		if names[inst.Name] {
			allErrs = append(allErrs, field.Duplicate(namePath, inst.Name))
		}
		names[inst.Name] = true
	}
	return allErrs
}
