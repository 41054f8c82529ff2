package v1alpha

import (
	"errors"
	"math"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// What v1alpha is in terms of the hub: its field paths, its approval words and
// its whole-core CPUs. Conversion, field selectors, the error mapping and the
// registry read these facts here and nowhere else.

// Field paths of v1alpha that differ from the hub's (cicd.Path*).
const (
	PathInstanceAmount = "spec.instanceamount"   // the hub's spec.replicas
	PathInstanceCPU    = "spec.instancecpu"      // the hub's spec.resources.cpu, in whole cores
	PathApprovalStatus = "status.approvalstatus" // the hub's Approved condition
)

// What v1alpha cannot show travels in the round-trip annotations; errors about
// it point there.
var (
	PathPreservedSpec   = field.NewPath("metadata", "annotations").Key(cicd.AnnotationPreservedSpec).String()
	PathPreservedStatus = field.NewPath("metadata", "annotations").Key(cicd.AnnotationPreservedStatus).String()
)

// errorPaths moves a validation error from its hub path to v1alpha's; the first
// rule whose hub path holds the error applies, and errors no rule holds keep
// their path. "[*]" stands for any list index. (An unnamed struct: the code
// generators of this package take every named type for an API type.)
var errorPaths = []struct {
	// hub is the hub path the rule holds, with whatever lies under it.
	hub string
	// to is v1alpha's path: hub is renamed to it (what lies under hub follows),
	// or, when moved, the error points at to itself. Empty keeps the path.
	to    string
	moved bool
	// approved limits the rule to the Approved condition: the type of the
	// condition at hub's index is read from the validated object.
	approved bool
	// value, when set, shows the bad value as v1alpha does.
	value func(interface{}) interface{}
	// detail, when set, replaces the error's detail.
	detail func(*field.Error) string
}{
	{hub: cicd.PathReplicas, to: PathInstanceAmount},
	{hub: cicd.PathCPU, to: PathInstanceCPU, value: wholeCoresValue},
	{hub: cicd.PathResources, to: PathPreservedSpec, moved: true}, // memory
	{hub: cicd.PathImage, to: PathPreservedSpec, moved: true},
	{hub: cicd.PathObservedGeneration, to: PathPreservedStatus, moved: true},
	{hub: cicd.PathConditions + "[*].status", approved: true, to: PathApprovalStatus, value: approvalValue, detail: approvalDetail},
	{hub: cicd.PathConditions + "[*]", approved: true, to: PathApprovalStatus, moved: true},
	{hub: cicd.PathConditions, to: PathPreservedStatus, moved: true}, // the other conditions
	{hub: cicd.PathInstances + "[*].name", to: PathPreservedStatus, moved: true},
	{hub: cicd.PathInstances + "[*].cpu", value: wholeCoresValue},
}

// approvals is the approval mapping: approvalstatus and the status of the
// Approved condition it stands for, in the order messages list them. An absent
// condition, or one of another status, reads as Pending.
var approvals = []struct {
	approval ApprovalStatus
	status   metav1.ConditionStatus
}{
	{ApprovalPending, metav1.ConditionUnknown},
	{ApprovalApproved, metav1.ConditionTrue},
	{ApprovalDenied, metav1.ConditionFalse},
}

// ApprovalOf reads the Approved condition in conditions as approvalstatus.
func ApprovalOf(conditions []metav1.Condition) ApprovalStatus {
	if c := meta.FindStatusCondition(conditions, cicd.ConditionApproved); c != nil {
		for _, a := range approvals {
			if a.status == c.Status {
				return a.approval
			}
		}
	}
	return ApprovalPending
}

// conditionStatusOf is the status of the Approved condition approvalstatus a
// stands for; an empty a is Pending.
func conditionStatusOf(a ApprovalStatus) (metav1.ConditionStatus, error) {
	for _, x := range approvals {
		if x.approval == normalApproval(a) {
			return x.status, nil
		}
	}
	return "", errors.New(approvalNotSupported(string(a)).Error())
}

// approvalNotSupported is the error about an approvalstatus that is none of the
// approval words.
func approvalNotSupported(value interface{}) *field.Error {
	e := field.NotSupported(nil, value, approvalWords())
	e.Field = PathApprovalStatus
	return e
}

// normalApproval is a, or Pending when a is empty.
func normalApproval(a ApprovalStatus) ApprovalStatus {
	if a == "" {
		return ApprovalPending
	}
	return a
}

func approvalWords() []ApprovalStatus {
	words := make([]ApprovalStatus, len(approvals))
	for i, a := range approvals {
		words[i] = a.approval
	}
	return words
}

// wholeCores is q in whole cores rounded up (away from zero), within int32: a
// v1alpha CPU.
func wholeCores(q resource.Quantity) int32 {
	v := q.Value()
	switch {
	case v > math.MaxInt32:
		return math.MaxInt32
	case v < math.MinInt32:
		return math.MinInt32
	}
	return int32(v)
}

// isWholeCores tells whether v1alpha shows q exactly.
func isWholeCores(q resource.Quantity) bool {
	return q.Cmp(*resource.NewQuantity(int64(wholeCores(q)), resource.DecimalSI)) == 0
}
