package server

import (
	"errors"
	"net/http"

	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/server/healthz"
)

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

// frontProxyCACheck is ready once the front proxy's CA is loaded. The generic
// server reads it from kube-system/extension-apiserver-authentication with an
// informer that syncs only after the server has started serving; a request
// from the aggregator before that is anonymous, a 403 for a user
// kube-apiserver has authenticated. Not ready, a replica gets no such requests.
func frontProxyCACheck(cfg *authenticatorfactory.RequestHeaderConfig) healthz.HealthChecker {
	return healthz.NamedCheck("front-proxy-ca", func(*http.Request) error {
		if _, ok := cfg.CAContentProvider.VerifyOptions(); !ok {
			return errors.New("the front proxy's CA (requestheader-client-ca-file of kube-system/extension-apiserver-authentication) is not loaded yet")
		}
		return nil
	})
}
