package v1alpha

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:method=GetScale,verb=get,subresource=scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateScale,verb=update,subresource=scale,input=k8s.io/api/autoscaling/v1.Scale,result=k8s.io/api/autoscaling/v1.Scale
// +genclient:method=UpdateApproval,verb=update,subresource=approval
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// JenkinsService is a set of Jenkins instances run for a team (the original shape).
// What this version cannot hold is kept in annotations under autobusi.group.cicd/,
// so that a read and an unchanged write-back lose nothing.
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
	// InstanceAmount is the number of Jenkins instances, 1 to 100. Defaults to 1. A service
	// scaled to zero through v1beta shows 0 (omitted), and keeps 0 when written back.
	// +optional
	InstanceAmount int32 `json:"instanceamount,omitempty" protobuf:"varint,1,opt,name=instanceamount"`
	// InstanceCpu is the number of whole CPU cores per instance, 1 to 64. Defaults to 1.
	// A fractional CPU set through v1beta shows here rounded up.
	// +optional
	InstanceCpu int32 `json:"instancecpu,omitempty" protobuf:"varint,2,opt,name=instancecpu"`
}

// ApprovalStatus is the approval decision of a JenkinsService.
type ApprovalStatus string

const (
	ApprovalPending  ApprovalStatus = "Pending"
	ApprovalApproved ApprovalStatus = "Approved"
	ApprovalDenied   ApprovalStatus = "Denied"
)

// JenkinsServiceStatus is the observed state of a JenkinsService.
type JenkinsServiceStatus struct {
	// ApprovalStatus is Pending, Approved or Denied. It is written only through the
	// approval subresource.
	// +optional
	ApprovalStatus ApprovalStatus `json:"approvalstatus,omitempty" protobuf:"bytes,1,opt,name=approvalstatus,casttype=ApprovalStatus"`
	// Instances are the Jenkins instances of the service.
	// +optional
	// +listType=atomic
	Instances []JenkinsServerInstance `json:"instances,omitempty" protobuf:"bytes,2,rep,name=instances"`
}

// JenkinsServerInstance is one Jenkins instance.
type JenkinsServerInstance struct {
	// Cpu is the number of whole cores of the instance, rounded up.
	// +optional
	Cpu int32 `json:"cpu,omitempty" protobuf:"varint,1,opt,name=cpu"`
	// Running is true once the instance serves.
	// +optional
	Running bool `json:"running,omitempty" protobuf:"varint,2,opt,name=running"`
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
