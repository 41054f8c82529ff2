package framework

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// CAFiles are the certificate and key of the server's local CA in its data
// dir (server/pki.go: pki/ca.crt, pki/ca.key).
func CAFiles(dataDir string) (cert, key string) {
	pki := filepath.Join(dataDir, "pki")
	return filepath.Join(pki, "ca.crt"), filepath.Join(pki, "ca.key")
}

// ClientCertPEM issues a client certificate for user (CN) in groups (O),
// signed by signer/signerKey, and returns certificate and key as PEM.
func ClientCertPEM(signer *x509.Certificate, signerKey crypto.Signer, user string, groups []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: user, Organization: groups},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	if certPEM, err = certutil.EncodeCertificates(cert); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// ConfigAs is a client config (encoding enc) that authenticates with a new
// client certificate for user in groups, signed by the server's own CA.
func (s *Server) ConfigAs(t testing.TB, enc Encoding, user string, groups ...string) *rest.Config {
	t.Helper()
	caCertFile, caKeyFile := CAFiles(s.DataDir())
	certs, err := certutil.CertsFromFile(caCertFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := keyutil.PrivateKeyFromFile(caKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		t.Fatalf("%s: not a signing key", caKeyFile)
	}
	certPEM, keyPEM, err := ClientCertPEM(certs[0], signer, user, groups)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.AnonymousConfig(enc)
	cfg.TLSClientConfig.CertData, cfg.TLSClientConfig.KeyData = certPEM, keyPEM
	return cfg
}

// AnonymousConfig is a client config (encoding enc) that trusts the server
// but sends no credentials at all.
func (s *Server) AnonymousConfig(enc Encoding) *rest.Config {
	cfg := rest.AnonymousClientConfig(s.RESTConfig(enc))
	cfg.QPS, cfg.Burst = s.Config.QPS, s.Config.Burst
	return cfg
}

// HTTPClient is an HTTP client for cfg (TLS and credentials as configured).
func HTTPClient(t testing.TB, cfg *rest.Config) *http.Client {
	t.Helper()
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// AdminHTTPClient is an HTTP client with the admin's client certificate.
func (s *Server) AdminHTTPClient(t testing.TB) *http.Client {
	return HTTPClient(t, s.RESTConfig(JSON))
}

// Get does a GET of path (with query) on the server with client c, sending
// accept, and returns status, content type and body.
func (s *Server) Get(t testing.TB, c *http.Client, path, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}
