package v1beta

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:method=GetScale,verb=get,subresource=scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateScale,verb=update,subresource=scale,input=k8s.io/api/autoscaling/v1.Scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateApproval,verb=update,subresource=approval
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JenkinsService is a set of Jenkins instances run for a team.
type JenkinsService struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// Spec is the desired state.
	// +optional
	Spec JenkinsServiceSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state, written through the status and approval subresources.
	// +optional
	Status JenkinsServiceStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// JenkinsServiceSpec is the desired state of a JenkinsService.
type JenkinsServiceSpec struct {
	// Replicas is the number of Jenkins instances, 0 to 100. 0 scales the service to zero. Defaults to 1.
	// +optional
	Replicas *int32 `json:"replicas,omitempty" protobuf:"varint,1,opt,name=replicas"`
	// Resources are the compute resources of each instance.
	// +optional
	Resources JenkinsServiceResources `json:"resources,omitempty" protobuf:"bytes,2,opt,name=resources"`
	// Image is the container image of the instances. Defaults to jenkins/jenkins:lts.
	// +optional
	Image string `json:"image,omitempty" protobuf:"bytes,3,opt,name=image"`
}

// JenkinsServiceResources are the compute resources of one instance.
type JenkinsServiceResources struct {
	// CPU per instance, more than 0 and at most 64 cores. Defaults to 1.
	// +optional
	CPU *resource.Quantity `json:"cpu,omitempty" protobuf:"bytes,1,opt,name=cpu"`
	// Memory per instance, 256Mi to 256Gi. Defaults to 2Gi.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty" protobuf:"bytes,2,opt,name=memory"`
}

// JenkinsServiceStatus is the observed state of a JenkinsService.
type JenkinsServiceStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,1,opt,name=observedGeneration"`
	// Conditions of the service. The condition of type Approved carries the approval:
	// "True" approved, "False" denied, "Unknown" or absent pending. It is written only
	// through the approval subresource.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,2,rep,name=conditions"`
	// Instances are the Jenkins instances of the service.
	// +optional
	// +listType=atomic
	Instances []JenkinsServerInstance `json:"instances,omitempty" protobuf:"bytes,3,rep,name=instances"`
}

// JenkinsServerInstance is one Jenkins instance.
type JenkinsServerInstance struct {
	// Name of the instance.
	// +optional
	Name string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// CPU of the instance.
	// +optional
	CPU resource.Quantity `json:"cpu,omitempty" protobuf:"bytes,2,opt,name=cpu"`
	// Running is true once the instance serves.
	// +optional
	Running bool `json:"running,omitempty" protobuf:"varint,3,opt,name=running"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JenkinsServiceList is a list of JenkinsServices.
type JenkinsServiceList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// Items are the JenkinsServices.
	Items []JenkinsService `json:"items" protobuf:"bytes,2,rep,name=items"`
}
