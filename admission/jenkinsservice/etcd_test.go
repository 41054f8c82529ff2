package jenkinsservice

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/autobusi/cicd-apiserver/server/local"
)

// testEtcd is a real etcd server, embedded in the test process.
type testEtcd struct {
	endpoint string
}

// startEtcd starts local mode's embedded etcd with its data in a temporary
// directory; it stops with the test.
func startEtcd(t *testing.T) *testEtcd {
	t.Helper()
	e, err := local.StartEtcd(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return &testEtcd{endpoint: e.Endpoint}
}

// client returns a new client of the server, as another process would have.
func (e *testEtcd) client(t *testing.T) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
