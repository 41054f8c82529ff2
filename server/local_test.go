package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// startLocalForTest starts local mode on a free port with a fresh data
// directory, and stops it when the test ends (Stop may be called before).
func startLocalForTest(t *testing.T) (*LocalServer, *LocalOptions) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and the server")
	}
	o := NewLocalOptions()
	o.DataDir = t.TempDir()
	o.SecurePort = 0
	start := time.Now()
	s, err := StartLocal(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready after %v at %s", time.Since(start), s.URL)
	t.Cleanup(func() { _ = s.Stop() })
	return s, o
}

// TestLocalServer starts local mode in-process on a free port with a fresh
// data directory, and checks what only the server package can: where and
// how JenkinsServices land in etcd, the local authentication and
// authorization over HTTPS, and a restart on the same data directory.
func TestLocalServer(t *testing.T) {
	ctx := context.Background()
	s, o := startLocalForTest(t)

	if !strings.Contains(s.ReadyLine(), "KUBECONFIG="+s.KubeconfigPath+";") {
		t.Errorf("ready line %q does not name the kubeconfig", s.ReadyLine())
	}

	// A second server on the same data directory is refused at once.
	if _, err := StartLocal(ctx, o); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server on the same data dir: err = %v, want in use", err)
	}

	client := versioned.NewForConfigOrDie(s.RESTConfig())
	js := &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "team-a"},
		Spec:       v1beta.JenkinsServiceSpec{Replicas: ptr.To[int32](2)},
	}
	if _, err := client.CicdV1beta().JenkinsServices("team-a").Create(ctx, js, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The key the admission plugin was given is the key the store writes,
	// and the value is protobuf.
	wantKey := s.keys.ObjectPrefix + "team-a/ci"
	if !strings.HasPrefix(s.keys.ObjectPrefix, EtcdPathPrefix+"/") || strings.HasPrefix(s.keys.Reservation, s.keys.ObjectPrefix) {
		t.Errorf("keys = %+v", s.keys)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: s.EtcdServers, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
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
	caBefore, _ := os.ReadFile(s.PKI.CACert)
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("stopped after %v", time.Since(start))
	start = time.Now()
	s2, err := StartLocal(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Stop() }()
	t.Logf("ready again after %v", time.Since(start))
	caAfter, _ := os.ReadFile(s2.PKI.CACert)
	if !bytes.Equal(caBefore, caAfter) {
		t.Errorf("CA changed across a restart")
	}
	client = versioned.NewForConfigOrDie(s2.RESTConfig())
	if _, err := client.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{}); err != nil {
		t.Errorf("object lost across a restart: %v", err)
	}
}

// checkLocalHTTPAuth: no certificate is 401, a certificate of our CA outside
// system:masters is 403, the admin is allowed, also to /debug/pprof.
func checkLocalHTTPAuth(t *testing.T, s *LocalServer) {
	t.Helper()
	caPEM, err := os.ReadFile(s.PKI.CACert)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)

	ca, caKey, _, err := ensureCA(s.PKI.CACert, s.PKI.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bobCert, bobKey := dir+"/bob.crt", dir+"/bob.key"
	bob := x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	bob.Subject.CommonName, bob.Subject.Organization = "bob", []string{"devs"}
	if err := ensureLeaf(bobCert, bobKey, &bob, ca, caKey, true); err != nil {
		t.Fatal(err)
	}

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
		resp, err := c.Get(s.URL + path)
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
		{"admin list", list, s.PKI.AdminCert, s.PKI.AdminKey, http.StatusOK},
		{"admin pprof", "/debug/pprof/", s.PKI.AdminCert, s.PKI.AdminKey, http.StatusOK},
		{"admin metrics", "/metrics", s.PKI.AdminCert, s.PKI.AdminKey, http.StatusOK},
	} {
		if got := get(tc.path, tc.cert, tc.key); got != tc.want {
			t.Errorf("%s: GET %s = %d, want %d", tc.name, tc.path, got, tc.want)
		}
	}
}
