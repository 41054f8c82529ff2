package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	etcdclient "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// The embedded etcd takes the server's request limit (--etcd-max-request-bytes)
// and serves only clients with a certificate of its CA.
func TestEmbeddedEtcdTLSAndLimit(t *testing.T) {
	dir := t.TempDir()
	files, err := ensureEtcdTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ensureEtcdTLS(dir)
	if err != nil || again != files {
		t.Fatalf("a second ensureEtcdTLS: %v, %v", again, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := startEtcd(ctx, t.TempDir(), &files, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if !strings.HasPrefix(e.Endpoint, "https://127.0.0.1:") {
		t.Errorf("endpoint %s, want https on loopback", e.Endpoint)
	}
	cfg, err := transport.TLSInfo{CertFile: files.ClientCert, KeyFile: files.ClientKey, TrustedCAFile: files.CACert}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := etcdclient.New(etcdclient.Config{Endpoints: []string{e.Endpoint}, TLS: cfg, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.Put(ctx, "/small", strings.Repeat("x", 1000)); err != nil {
		t.Fatalf("a small put with the client certificate: %v", err)
	}
	if _, err := c.Put(ctx, "/large", strings.Repeat("x", 5000)); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a put over the 4096-byte limit: %v, want request too large", err)
	}
}
