// Package migrate is "cicd-apiserver migrate": it rewrites every stored
// JenkinsService in the storage version and encoding through the API, as
// kube-controller-manager's StorageVersionMigration controller does, for
// servers without one (local mode). It needs no etcd access.
package migrate
