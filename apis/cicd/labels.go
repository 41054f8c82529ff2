package cicd

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The labels of what the controller runs for a JenkinsService (its StatefulSet,
// Services and Pods), the recommended app.kubernetes.io labels. The scale
// subresource's selector and the controller's Pod selector are both
// InstanceSelector, so they cannot drift apart.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"

	// AppName is the value of LabelName: what runs is Jenkins.
	AppName = "jenkins"
	// ManagedBy is the value of LabelManagedBy, and the controller's field manager.
	ManagedBy = "cicd-controller"
)

// SelectorLabels are the labels that select the Pods of the JenkinsService
// named name: the StatefulSet's selector (immutable, so only what never changes).
func SelectorLabels(name string) map[string]string {
	return map[string]string{LabelName: AppName, LabelInstance: name}
}

// InstanceLabels are the labels of everything the controller creates for the
// JenkinsService named name: SelectorLabels and LabelManagedBy.
func InstanceLabels(name string) map[string]string {
	l := SelectorLabels(name)
	l[LabelManagedBy] = ManagedBy
	return l
}

// InstanceSelector is the label selector of the Pods of the JenkinsService named
// name (the scale subresource's status.selector).
func InstanceSelector(name string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: SelectorLabels(name)}
}
