package framework

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// PKIHTTPClient is a plain net/http client that authenticates with the admin
// client certificate of the server's data dir (CertFiles) and trusts its CA,
// for tests that send raw requests. Requests time out after timeout.
func (s *Server) PKIHTTPClient(timeout time.Duration) (*http.Client, error) {
	ca, cert, key := CertFiles(s.DataDir())
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", ca)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 16,
		},
	}, nil
}
