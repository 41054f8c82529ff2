package framework

import (
	"context"
	"testing"

	"github.com/autobusi/cicd-apiserver/server/local"
)

// StartEtcd runs local mode's embedded etcd in the test process and returns
// its client URL. Servers started with Options.EtcdServers share it, as the
// deployment's replicas share their etcd.
func StartEtcd(t testing.TB) string {
	t.Helper()
	e, err := local.StartEtcd(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e.Endpoint
}
