package validation

import (
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// versionV1alpha is the one served version whose paths differ from the hub's.
const versionV1alpha = "v1alpha"

// v1alpha's approvalstatus values (apis/cicd/v1alpha.ApprovalStatus); repeated
// here so that validation does not depend on a versioned package.
const (
	approvalPending  = "Pending"
	approvalApproved = "Approved"
	approvalDenied   = "Denied"
)

// Hub paths (the v1beta JSON paths) that v1alpha names differently or not at all.
const (
	pathReplicas           = "spec.replicas"
	pathResources          = "spec.resources"
	pathCPU                = "spec.resources.cpu"
	pathImage              = "spec.image"
	pathObservedGeneration = "status.observedGeneration"
	pathConditions         = "status.conditions"
	pathInstances          = "status.instances"

	v1alphaPathInstanceAmount = "spec.instanceamount"
	v1alphaPathInstanceCPU    = "spec.instancecpu"
	v1alphaPathApproval       = "status.approvalstatus"
)

var (
	v1alphaPathPreservedSpec   = field.NewPath("metadata", "annotations").Key(cicd.AnnotationPreservedSpec).String()
	v1alphaPathPreservedStatus = field.NewPath("metadata", "annotations").Key(cicd.AnnotationPreservedStatus).String()
)

// ForVersion rewrites hub field paths in errs into the paths of the API version the
// client used ("v1alpha" or "v1beta"; v1beta paths equal the hub's). For v1alpha:
// spec.replicas -> spec.instanceamount, spec.resources.cpu -> spec.instancecpu,
// status.conditions[...] (the Approved condition) -> status.approvalstatus,
// spec.resources.memory and spec.image (not in v1alpha; they arrive through the
// preservation annotation) -> metadata.annotations[autobusi.group.cicd/preserved-spec].
// Values shown in the error must make sense in that version (for instancecpu, whole cores). It never modifies errs.
//
// Everything else v1alpha cannot show travels in the preserved-status annotation,
// and errors about it name that annotation: status.observedGeneration, conditions
// other than Approved, and status.instances[i].name. Errors moved into an
// annotation keep their value and name the v1beta field in their detail. CPU values
// (spec.instancecpu, status.instances[i].cpu) are shown in whole cores rounded up,
// as v1alpha shows them; the status of the Approved condition is shown as the
// approvalstatus it reads as. The version may also be given with its group
// ("autobusi.group.cicd/v1alpha"). Errors for v1beta, the hub or an unknown version
// are returned as they are.
func ForVersion(errs field.ErrorList, version string) field.ErrorList {
	if i := strings.LastIndex(version, "/"); i >= 0 {
		version = version[i+1:]
	}
	if version != versionV1alpha || len(errs) == 0 {
		return errs
	}
	out := make(field.ErrorList, 0, len(errs))
	for _, err := range errs {
		if err == nil {
			continue
		}
		out = append(out, toV1alpha(err))
	}
	return out
}

// toV1alpha returns a copy of err with v1alpha's path and value.
func toV1alpha(err *field.Error) *field.Error {
	e := *err
	f := err.Field
	switch {
	case isUnder(f, pathReplicas):
		e.Field = v1alphaPathInstanceAmount + f[len(pathReplicas):]
	case isUnder(f, pathCPU):
		e.Field = v1alphaPathInstanceCPU + f[len(pathCPU):]
		e.BadValue = wholeCoresValue(err.BadValue)
	case isUnder(f, pathResources), isUnder(f, pathImage):
		moveToAnnotation(&e, v1alphaPathPreservedSpec)
	case isUnder(f, pathObservedGeneration):
		moveToAnnotation(&e, v1alphaPathPreservedStatus)
	case isUnder(f, pathConditions):
		if _, rest, ok := splitIndex(f, pathConditions); ok {
			if condType, detail, ok := splitConditionDetail(err.Detail); ok && condType == cicd.ConditionApproved {
				moveToApproval(&e, strings.TrimPrefix(rest, "."), detail)
				break
			}
		}
		moveToAnnotation(&e, v1alphaPathPreservedStatus)
	case isUnder(f, pathInstances):
		if _, rest, ok := splitIndex(f, pathInstances); ok {
			switch {
			case isUnder(rest, ".name"):
				moveToAnnotation(&e, v1alphaPathPreservedStatus)
			case isUnder(rest, ".cpu"):
				e.BadValue = wholeCoresValue(err.BadValue)
			}
		}
	}
	return &e
}

// moveToAnnotation points e at the round-trip annotation that carries its field,
// and names that field (in v1beta terms) in the detail.
func moveToAnnotation(e *field.Error, annotationPath string) {
	e.Detail = joinDetail(e.Field, e.Detail)
	e.Field = annotationPath
}

// moveToApproval points e, an error about the Approved condition's field sub (""
// for the condition itself), at approvalstatus.
func moveToApproval(e *field.Error, sub, detail string) {
	e.Field = v1alphaPathApproval
	if sub == "status" {
		e.BadValue = approvalValue(e.BadValue)
		switch e.Type {
		case field.ErrorTypeNotSupported:
			e.Detail = field.NotSupported(nil, nil, []string{approvalPending, approvalApproved, approvalDenied}).Detail
		default:
			e.Detail = detail
		}
		return
	}
	what := "the " + cicd.ConditionApproved + " condition"
	if sub != "" {
		what += "'s " + sub
	}
	e.Detail = joinDetail(what, detail)
}

// approvalValue shows the status of the Approved condition as v1alpha's
// approvalstatus; other values are shown as they are.
func approvalValue(v interface{}) interface{} {
	var s string
	switch v := v.(type) {
	case metav1.ConditionStatus:
		s = string(v)
	case string:
		s = v
	default:
		return v
	}
	switch metav1.ConditionStatus(s) {
	case metav1.ConditionTrue:
		return approvalApproved
	case metav1.ConditionFalse:
		return approvalDenied
	case metav1.ConditionUnknown:
		return approvalPending
	}
	return s
}

// wholeCoresValue shows a CPU value as v1alpha does: whole cores, rounded up.
// Values that are not CPU quantities are shown as they are.
func wholeCoresValue(v interface{}) interface{} {
	var q resource.Quantity
	switch v := v.(type) {
	case string:
		parsed, err := resource.ParseQuantity(v)
		if err != nil {
			return v
		}
		q = parsed
	case resource.Quantity:
		q = v.DeepCopy()
	case *resource.Quantity:
		if v == nil {
			return v
		}
		q = v.DeepCopy()
	default:
		return v
	}
	cores := q.Value() // rounds up, away from zero
	switch {
	case cores > math.MaxInt32:
		return int32(math.MaxInt32)
	case cores < math.MinInt32:
		return int32(math.MinInt32)
	}
	return int32(cores)
}

// conditionDetail prefixes detail with the type of the condition it is about, so
// that the error reads well in a list keyed by type and ForVersion can tell which
// errors concern the Approved condition.
func conditionDetail(condType, detail string) string {
	if condType == "" {
		return detail
	}
	return joinDetail("condition "+strconv.Quote(condType), detail)
}

// splitConditionDetail undoes conditionDetail.
func splitConditionDetail(detail string) (condType, rest string, ok bool) {
	const prefix = "condition "
	if !strings.HasPrefix(detail, prefix) {
		return "", "", false
	}
	quoted, err := strconv.QuotedPrefix(detail[len(prefix):])
	if err != nil {
		return "", "", false
	}
	condType, err = strconv.Unquote(quoted)
	if err != nil {
		return "", "", false
	}
	rest = detail[len(prefix)+len(quoted):]
	if rest != "" && !strings.HasPrefix(rest, ": ") {
		return "", "", false
	}
	return condType, strings.TrimPrefix(rest, ": "), true
}

func joinDetail(what, detail string) string {
	if detail == "" {
		return what
	}
	return what + ": " + detail
}

// isUnder tells whether the field path f is p or inside it.
func isUnder(f, p string) bool {
	if !strings.HasPrefix(f, p) {
		return false
	}
	rest := f[len(p):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// splitIndex splits f = list[i]rest into i and rest.
func splitIndex(f, list string) (int, string, bool) {
	if !strings.HasPrefix(f, list+"[") {
		return 0, "", false
	}
	s := f[len(list)+1:]
	end := strings.IndexByte(s, ']')
	if end <= 0 {
		return 0, "", false
	}
	i, err := strconv.Atoi(s[:end])
	if err != nil || i < 0 {
		return 0, "", false
	}
	return i, s[end+1:], true
}

// listIndex returns i when f is list[i] or inside it.
func listIndex(f, list string) (int, bool) {
	i, _, ok := splitIndex(f, list)
	return i, ok
}
