// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/autobusi/cicd-apiserver/apis/cicd
// +k8s:defaulter-gen=TypeMeta
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=com.github.autobusi.cicd-apiserver.apis.cicd.v1beta
// +k8s:protobuf-gen=package
// +groupName=autobusi.group.cicd
// +groupGoName=Cicd

// Package v1beta is the v1beta version of the autobusi.group.cicd API group.
package v1beta
