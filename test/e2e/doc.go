// Package e2e tests cicd-apiserver behind a real kube-apiserver: etcd,
// kube-apiserver with the aggregation layer and RBAC, kube-controller-manager
// (namespace, garbage collector and storage version migrator controllers), and two cicd-apiserver
// processes in their delegated mode on one etcd, registered with a Service
// and the two APIServices of artifacts/deploy. Every check goes through the
// kube-apiserver's port, with the pinned kubectl and client-go.
//
// The tests need the build tag e2e, so that `go test ./...` leaves them out:
//
//	make e2e                     # hack/e2e.sh: go test -tags e2e ./test/e2e/...
//
// TestMain builds (or reuses) the pinned tools with hack/tools.sh e2e and the
// server with artifacts/build.sh, the same build as the image's. Set
// E2E_KEEP=1 to keep the work directory (logs, certificates, kubeconfigs);
// it is kept anyway when a test fails.
package e2e
