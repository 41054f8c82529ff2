package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is a throw-away CA for kube-apiserver, its clients and the conversion
// webhook, all on loopback, and a second one for the aggregator's front-proxy
// client certificate, as kubeadm has: with one CA for both, kube-apiserver
// verifies every client certificate twice (once as a possible front proxy).
type pki struct {
	dir           string
	ca            *x509.Certificate
	caKey         *ecdsa.PrivateKey
	caFile        string
	proxyCA       *x509.Certificate // the front proxy's CA
	proxyCAKey    *ecdsa.PrivateKey
	proxyCAFile   string
	serverCert    string // 127.0.0.1, localhost
	serverKey     string
	adminCert     string // CN bench-admin, O system:masters
	adminKey      string
	saPub, saPriv string // service account signing keys
}

func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{dir: dir}
	var err error
	if p.ca, p.caKey, p.caFile, err = newCA(dir, "ca", "bench-ca"); err != nil {
		return nil, err
	}
	if p.proxyCA, p.proxyCAKey, p.proxyCAFile, err = newCA(dir, "front-proxy-ca", "bench-front-proxy-ca"); err != nil {
		return nil, err
	}
	if p.serverCert, p.serverKey, err = p.issue("server", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return nil, err
	}
	if p.adminCert, p.adminKey, err = p.issue("admin", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "bench-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	p.saPriv, p.saPub = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := writeKey(p.saPriv, saKey); err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	return p, writePEM(p.saPub, "PUBLIC KEY", pub)
}

// newCA writes a self-signed CA certificate to dir/name.crt.
func newCA(dir, name, cn string) (*x509.Certificate, *ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, "", err
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, "", err
	}
	file := filepath.Join(dir, name+".crt")
	return cert, key, file, writePEM(file, "CERTIFICATE", der)
}

var serial int64 = 1

// issue signs a certificate with the main CA.
func (p *pki) issue(name string, tmpl *x509.Certificate) (certFile, keyFile string, err error) {
	return p.issueBy(p.ca, p.caKey, name, tmpl)
}

func (p *pki) issueBy(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, tmpl *x509.Certificate) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return certFile, keyFile, writeKey(keyFile, key)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
