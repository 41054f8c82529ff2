package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// localServer is a local-mode server started by a test.
type localServer struct {
	*Options
	*Running
	stop context.CancelFunc
}

// Stop shuts the server down gracefully and waits for it.
func (s *localServer) Stop() error {
	s.stop()
	<-s.Done()
	return s.Err()
}

func (s *localServer) pki() string { return filepath.Join(s.Local.DataDir, "pki") }

// startLocal starts local mode as the command does, in-process on a free port
// with the data directory dir.
func startLocal(ctx context.Context, dir string) (*localServer, error) {
	o := NewLocalOptions()
	o.Local.DataDir = dir
	o.Recommended.SecureServing.BindPort = 0
	if err := o.Complete(ctx); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		o.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r, err := o.Start(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	return &localServer{Options: o, Running: r, stop: cancel}, nil
}

// startLocalForTest starts local mode with a fresh data directory, and stops
// it when the test ends (Stop may be called before).
func startLocalForTest(t *testing.T) *localServer {
	t.Helper()
	start := time.Now()
	s, err := startLocal(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready after %v at %s", time.Since(start), s.Local.URL())
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// TestLocalServer starts local mode in-process on a free port with a fresh
// data directory, and checks what only the server package can: where and
// how JenkinsServices land in etcd, the local authentication and
// authorization over HTTPS, and a restart on the same data directory.
func TestLocalServer(t *testing.T) {
	ctx := context.Background()
	s := startLocalForTest(t)

	if line := s.Local.ReadyLine(); !strings.Contains(line, "KUBECONFIG="+s.Local.KubeconfigPath()+";") {
		t.Errorf("ready line %q does not name the kubeconfig", line)
	}

	// A second server on the same data directory is refused at once.
	if _, err := startLocal(ctx, s.Local.DataDir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server on the same data dir: err = %v, want in use", err)
	}

	cfg, err := s.Local.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := versioned.NewForConfigOrDie(cfg)
	js := &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "team-a"},
		Spec:       v1beta.JenkinsServiceSpec{Replicas: ptr.To[int32](2)},
	}
	if _, err := client.CicdV1beta().JenkinsServices("team-a").Create(ctx, js, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The object is where the original server kept it, in protobuf.
	wantKey := EtcdPathPrefix + "/autobusi.group.cicd/jenkinsservices/team-a/ci"
	assertLocalEtcdRefusesStrangers(t, s.Recommended.Etcd.StorageConfig.Transport)
	etcd := localEtcdClient(t, s.Recommended.Etcd.StorageConfig.Transport)
	resp, err := etcd.Get(ctx, EtcdPathPrefix+"/", clientv3.WithPrefix())
	_ = etcd.Close()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, kv := range resp.Kvs {
		t.Logf("etcd key %s", kv.Key)
		if string(kv.Key) != wantKey {
			continue
		}
		found = true
		if !bytes.HasPrefix(kv.Value, []byte("k8s\x00")) {
			t.Errorf("stored value is not protobuf: %q", kv.Value[:min(len(kv.Value), 40)])
		}
		if !bytes.Contains(kv.Value, []byte("autobusi.group.cicd/v1beta")) {
			t.Errorf("stored value is not v1beta")
		}
	}
	if !found {
		t.Errorf("no etcd key %s", wantKey)
	}

	checkLocalHTTPAuth(t, s)

	// A restart keeps the data and the certificates.
	caBefore, _ := os.ReadFile(filepath.Join(s.pki(), "ca.crt"))
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stopped after %v", time.Since(start))
	start = time.Now()
	s2, err := startLocal(ctx, s.Local.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Stop() }()
	t.Logf("ready again after %v", time.Since(start))
	caAfter, _ := os.ReadFile(filepath.Join(s2.pki(), "ca.crt"))
	if !bytes.Equal(caBefore, caAfter) {
		t.Errorf("CA changed across a restart")
	}
	if cfg, err = s2.Local.RESTConfig(); err != nil {
		t.Fatal(err)
	}
	client = versioned.NewForConfigOrDie(cfg)
	if _, err := client.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{}); err != nil {
		t.Errorf("object lost across a restart: %v", err)
	}
}

// checkLocalHTTPAuth: no certificate is 401, a certificate of our CA outside
// system:masters is 403, the admin is allowed, also to /debug/pprof.
func checkLocalHTTPAuth(t *testing.T, s *localServer) {
	t.Helper()
	pki := s.pki()
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	adminCert, adminKey := filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key")
	bobCert, bobKey := issueClientCert(t, filepath.Join(pki, "ca.crt"), filepath.Join(pki, "ca.key"), "bob", "devs")

	get := func(path string, certFile, keyFile string) int {
		t.Helper()
		tlsConfig := &tls.Config{RootCAs: roots}
		if certFile != "" {
			pair, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
		defer c.CloseIdleConnections()
		resp, err := c.Get(s.Local.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	list := "/apis/autobusi.group.cicd/v1beta/jenkinsservices"
	for _, tc := range []struct {
		name, path, cert, key string
		want                  int
	}{
		{"anonymous list", list, "", "", http.StatusUnauthorized},
		{"anonymous readyz", "/readyz", "", "", http.StatusUnauthorized},
		{"bob list", list, bobCert, bobKey, http.StatusForbidden},
		{"admin list", list, adminCert, adminKey, http.StatusOK},
		{"admin pprof", "/debug/pprof/", adminCert, adminKey, http.StatusOK},
		{"admin metrics", "/metrics", adminCert, adminKey, http.StatusOK},
	} {
		if got := get(tc.path, tc.cert, tc.key); got != tc.want {
			t.Errorf("%s: GET %s = %d, want %d", tc.name, tc.path, got, tc.want)
		}
	}
}

// issueClientCert writes a client certificate for user name in group, signed
// by the CA in caCert and caKey, and returns its certificate and key files.
func issueClientCert(t *testing.T, caCert, caKey, name, group string) (certFile, keyFile string) {
	t.Helper()
	ca, err := tls.LoadX509KeyPair(caCert, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caX509, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name, Organization: []string{group}},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caX509, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
