package cicd

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JenkinsService is a set of Jenkins instances run for a team.
type JenkinsService struct {
	metav1.TypeMeta
	metav1.ObjectMeta

	Spec   JenkinsServiceSpec
	Status JenkinsServiceStatus
}

// JenkinsServiceSpec is the desired state. It holds everything v1beta holds.
type JenkinsServiceSpec struct {
	// Replicas is the number of Jenkins instances; 0 means scaled to zero.
	Replicas int32
	// Resources are the compute resources of each instance.
	Resources JenkinsServiceResources
	// Image is the container image of the instances.
	Image string
}

// JenkinsServiceResources are the compute resources of one instance.
type JenkinsServiceResources struct {
	CPU    resource.Quantity
	Memory resource.Quantity
}

// JenkinsServiceStatus is the observed state.
type JenkinsServiceStatus struct {
	ObservedGeneration int64
	// Conditions holds at most one condition of each type. The condition of type
	// Approved carries the approval decision.
	Conditions []metav1.Condition
	Instances  []JenkinsServerInstance
}

// JenkinsServerInstance is one running (or starting) Jenkins instance.
type JenkinsServerInstance struct {
	Name    string
	CPU     resource.Quantity
	Running bool
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JenkinsServiceList is a list of JenkinsServices.
type JenkinsServiceList struct {
	metav1.TypeMeta
	metav1.ListMeta

	Items []JenkinsService
}
