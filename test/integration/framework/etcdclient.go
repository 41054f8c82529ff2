package framework

import (
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdClient is a client of the etcd at url (from StartEtcd), closed when
// the test ends. Tests read what the server stored with it.
func EtcdClient(t testing.TB, url string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{url},
		DialTimeout: 20 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcd client for %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
