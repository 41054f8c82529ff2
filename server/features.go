package server

import (
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericfeatures "k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

func init() {
	// ConcurrentWatchObjectDecode (on in kube 1.37) decodes each etcd watch
	// event in a goroutine of its own, which pays for large objects on many
	// cores; for ~600-byte JenkinsServices the goroutine costs more than the
	// decode (docs/benchmarks.md). --feature-gates turns it back on.
	utilruntime.Must(utilfeature.DefaultMutableFeatureGate.OverrideDefault(genericfeatures.ConcurrentWatchObjectDecode, false))
}
