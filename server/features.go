package server

import (
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericfeatures "k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

func init() {
	// kube-apiserver 1.37 decodes the objects of each etcd watch event in a
	// goroutine of their own (ConcurrentWatchObjectDecode), which pays off for
	// large objects on many cores. A JenkinsService is about 600 bytes: the
	// goroutine, its channel and its stack growth cost more than the decode,
	// about 3% of the server's CPU per create (make bench, profile of
	// ours-pb). We decode in order in the watch's goroutine by default;
	// --feature-gates=ConcurrentWatchObjectDecode=true restores kube's way.
	utilruntime.Must(utilfeature.DefaultMutableFeatureGate.OverrideDefault(genericfeatures.ConcurrentWatchObjectDecode, false))
}
