// +k8s:deepcopy-gen=package
// +groupName=autobusi.group.cicd

// Package cicd holds the internal (hub) types of the autobusi.group.cicd API
// group. Every served version converts to and from these types; nothing else
// converts between versions.
package cicd
