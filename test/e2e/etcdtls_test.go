//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TestEtcdMutualTLS (issue 13, reproduction 7): the servers' etcd runs as
// artifacts/deploy runs it, with mutual TLS. Whoever reaches its client port
// without a certificate of the etcd CA reads and writes nothing: no
// certificate, the serving CA's certificate and plain HTTP are refused; the
// servers' client certificate is let in.
func TestEtcdMutualTLS(t *testing.T) {
	ctx := testContext(t, time.Minute)
	certs := filepath.Join(env.deployDir, "certs")
	roots := env.cicdEtcdTLS.RootCAs
	servingPair, err := tls.LoadX509KeyPair(filepath.Join(certs, "tls.crt"), filepath.Join(certs, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}

	get := func(cfg *tls.Config, url string) (int, string, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
		resp, err := c.Get(url)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	version := env.cicdEtcdURL + "/version"
	if code, body, err := get(env.cicdEtcdTLS, version); err != nil || code != http.StatusOK {
		t.Fatalf("the servers' client certificate: %d %v %s", code, err, body)
	}
	for _, c := range []struct {
		name string
		cfg  *tls.Config
		url  string
	}{
		{"no client certificate", &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, version},
		// Sent whatever CAs etcd asks for (Go's client would not send it).
		{"the serving CA's certificate", &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &servingPair, nil }}, version},
		{"plain HTTP", nil, strings.Replace(version, "https://", "http://", 1)},
	} {
		code, body, err := get(c.cfg, c.url)
		if err == nil && code == http.StatusOK {
			t.Errorf("%s: etcd answered %d %s, want a refusal", c.name, code, body)
		} else {
			t.Logf("%s: refused (%d %v)", c.name, code, err)
		}
	}

	// The etcd client as an intruder would use it: no key is read.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{env.cicdEtcdURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	if err == nil {
		defer func() { _ = cli.Close() }()
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if resp, err := cli.Get(rctx, etcdPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly()); err == nil {
			t.Errorf("an etcd client without a certificate read %d keys", len(resp.Kvs))
		}
	}
}
