package server

import "k8s.io/apiserver/pkg/server/healthz"

// storageHealthChecks are the generic server's checks of etcd. They belong to
// /readyz (do not send requests here while etcd is away) and not to /livez:
// a restart cannot bring etcd back, and would add a cold start to its outage.
var storageHealthChecks = map[string]bool{"etcd": true, "etcd-readiness": true}

// withoutStorageChecks returns checks without the storage's.
func withoutStorageChecks(checks []healthz.HealthChecker) []healthz.HealthChecker {
	var kept []healthz.HealthChecker
	for _, c := range checks {
		if !storageHealthChecks[c.Name()] {
			kept = append(kept, c)
		}
	}
	return kept
}
