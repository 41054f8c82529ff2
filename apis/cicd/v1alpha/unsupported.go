package v1alpha

import (
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// An approvalstatus that is none of the approval words converts to an Approved
// condition whose status carries it behind unsupportedApprovalPrefix. No
// condition status starts so, so validation refuses it where the condition is
// applied (the approval subresource: 422 at status.approvalstatus, the value
// shown as sent), and where a request's Approved condition is ignored (the main
// resource, the status subresource) it is ignored as the rest is. Storage
// refuses it (UnsupportedApproval): the object is corrupt, as it always was.
const unsupportedApprovalPrefix = "unsupported approvalstatus "

// requestedStatus is the status of the Approved condition approvalstatus a
// stands for.
func requestedStatus(a ApprovalStatus) metav1.ConditionStatus {
	if s, err := conditionStatusOf(a); err == nil {
		return s
	}
	return metav1.ConditionStatus(unsupportedApprovalPrefix + string(a))
}

// unsupportedValue is the approvalstatus behind an Approved condition status
// requestedStatus made of an unsupported one.
func unsupportedValue(s metav1.ConditionStatus) (string, bool) {
	return strings.CutPrefix(string(s), unsupportedApprovalPrefix)
}

// UnsupportedApproval is the error about an Approved condition in conditions
// that was converted from an unsupported approvalstatus, or nil.
func UnsupportedApproval(conditions []metav1.Condition) error {
	c := meta.FindStatusCondition(conditions, cicd.ConditionApproved)
	if c == nil {
		return nil
	}
	if raw, ok := unsupportedValue(c.Status); ok {
		return errors.New(approvalNotSupported(raw).Error())
	}
	return nil
}
