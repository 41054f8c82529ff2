package jenkinsservice

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Condition bookkeeping shared by the status and approval strategies. The Approved
// condition is owned by the approval subresource; every other condition by the
// status subresource.

// keepApproval returns conditions with its Approved condition (if any) replaced by
// old's (if any). The old condition keeps its place in the list: where the
// request had an Approved condition, else where it stood in old.
func keepApproval(conditions, old []metav1.Condition) []metav1.Condition {
	previous := meta.FindStatusCondition(old, cicd.ConditionApproved)
	out := make([]metav1.Condition, 0, len(conditions)+1)
	placed := false
	for _, c := range conditions {
		if c.Type != cicd.ConditionApproved {
			out = append(out, c)
			continue
		}
		if previous != nil && !placed {
			out = append(out, *previous.DeepCopy())
			placed = true
		}
	}
	if previous != nil && !placed {
		at := min(indexOfCondition(old, cicd.ConditionApproved), len(out))
		out = append(out[:at], append([]metav1.Condition{*previous.DeepCopy()}, out[at:]...)...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// applyApproval returns old with its Approved condition replaced by requested, or
// removed when requested is nil. The server owns lastTransitionTime: it is now
// when the status of the condition changes (or the condition appears), and the
// old time when it does not; whatever time the request carried is ignored.
func applyApproval(old []metav1.Condition, requested *metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(old)+1)
	for _, c := range old {
		if c.Type != cicd.ConditionApproved {
			out = append(out, *c.DeepCopy())
		}
	}
	if requested != nil {
		c := *requested.DeepCopy()
		previous := meta.FindStatusCondition(old, cicd.ConditionApproved)
		if previous != nil && previous.Status == c.Status && !previous.LastTransitionTime.IsZero() {
			c.LastTransitionTime = previous.LastTransitionTime
		} else {
			c.LastTransitionTime = now
		}
		at := indexOfCondition(old, cicd.ConditionApproved)
		if at < 0 || at > len(out) {
			at = len(out)
		}
		out = append(out[:at], append([]metav1.Condition{c}, out[at:]...)...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stampTransitionTimes fills every zero lastTransitionTime in conditions: with the
// old time when old has the condition with the same status, else with now. A time
// the writer sent is kept.
func stampTransitionTimes(conditions, old []metav1.Condition, now metav1.Time) {
	for i := range conditions {
		c := &conditions[i]
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		if previous := meta.FindStatusCondition(old, c.Type); previous != nil &&
			previous.Status == c.Status && !previous.LastTransitionTime.IsZero() {
			c.LastTransitionTime = previous.LastTransitionTime
		} else {
			c.LastTransitionTime = now
		}
	}
}

// indexOfCondition is the index of the first condition of type t, or -1.
func indexOfCondition(conditions []metav1.Condition, t string) int {
	for i := range conditions {
		if conditions[i].Type == t {
			return i
		}
	}
	return -1
}
