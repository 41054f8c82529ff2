package cicd

import "k8s.io/apimachinery/pkg/api/resource"

const (
	// ConditionApproved is the condition type that carries the approval decision:
	// "True" approved, "False" denied, "Unknown" or absent pending.
	ConditionApproved = "Approved"
	// ConditionReady reports whether all requested instances run.
	ConditionReady = "Ready"

	// AnnotationRequestedBy records the user that created the object. The
	// admission plugin sets it on create and refuses to change it afterwards.
	AnnotationRequestedBy = GroupName + "/requested-by"

	// AnnotationPrefix is the prefix of every annotation the group owns.
	AnnotationPrefix = GroupName + "/"

	// DefaultImage is the image of instances whose spec names none.
	DefaultImage = "jenkins/jenkins:lts"
)

// DefaultCPU and DefaultMemory are the per-instance resources of a spec that
// names none. They are functions so that no caller can change a shared value.
func DefaultCPU() resource.Quantity    { return resource.MustParse("1") }
func DefaultMemory() resource.Quantity { return resource.MustParse("2Gi") }
