package server

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/pkg/v3/transport"
	etcdclient "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// localEtcdClient is a client of local mode's embedded etcd with the server's
// own client certificate (mutual TLS, from the data directory).
func localEtcdClient(t *testing.T, tr storagebackend.TransportConfig) *etcdclient.Client {
	t.Helper()
	info := clientv3.TLSInfo{CertFile: tr.CertFile, KeyFile: tr.KeyFile, TrustedCAFile: tr.TrustedCAFile}
	cfg, err := info.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := etcdclient.New(etcdclient.Config{Endpoints: tr.ServerList, TLS: cfg, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertLocalEtcdRefusesStrangers: a local user who reaches the embedded
// etcd's loopback port but holds no certificate of its CA reads nothing,
// whether it trusts the etcd's certificate or not.
func assertLocalEtcdRefusesStrangers(t *testing.T, tr storagebackend.TransportConfig) {
	t.Helper()
	info := clientv3.TLSInfo{TrustedCAFile: tr.TrustedCAFile}
	trusting, err := info.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*tls.Config{
		"no certificate":   trusting,
		"plain connection": nil,
	} {
		c, err := etcdclient.New(etcdclient.Config{Endpoints: tr.ServerList, TLS: cfg, DialTimeout: 3 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			continue // refused at the dial
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		resp, err := c.Get(ctx, "/", etcdclient.WithPrefix(), etcdclient.WithKeysOnly())
		cancel()
		_ = c.Close()
		if err == nil {
			t.Errorf("%s: the embedded etcd gave a stranger %d keys", name, len(resp.Kvs))
		}
	}
}
