package v1alpha

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestApprovalMapping(t *testing.T) {
	approved := func(s metav1.ConditionStatus) []metav1.Condition {
		return []metav1.Condition{{Type: cicd.ConditionReady, Status: metav1.ConditionTrue}, {Type: cicd.ConditionApproved, Status: s}}
	}
	for _, tc := range []struct {
		conditions []metav1.Condition
		want       ApprovalStatus
	}{
		{nil, ApprovalPending},
		{[]metav1.Condition{{Type: cicd.ConditionReady, Status: metav1.ConditionTrue}}, ApprovalPending},
		{approved(metav1.ConditionTrue), ApprovalApproved},
		{approved(metav1.ConditionFalse), ApprovalDenied},
		{approved(metav1.ConditionUnknown), ApprovalPending},
		{approved("Maybe"), ApprovalPending},
	} {
		if got := ApprovalOf(tc.conditions); got != tc.want {
			t.Errorf("ApprovalOf(%v) = %q, want %q", tc.conditions, got, tc.want)
		}
	}

	for a, want := range map[ApprovalStatus]metav1.ConditionStatus{
		"": metav1.ConditionUnknown, ApprovalPending: metav1.ConditionUnknown,
		ApprovalApproved: metav1.ConditionTrue, ApprovalDenied: metav1.ConditionFalse,
	} {
		if got, err := conditionStatusOf(a); got != want || err != nil {
			t.Errorf("conditionStatusOf(%q) = %q, %v; want %q", a, got, err, want)
		}
	}
	const msg = `status.approvalstatus: Unsupported value: "approved": supported values: "Pending", "Approved", "Denied"`
	if _, err := conditionStatusOf("approved"); err == nil || err.Error() != msg {
		t.Errorf("conditionStatusOf(approved): %v, want %s", err, msg)
	}
}
