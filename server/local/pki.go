package local

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apiserver/pkg/authentication/user"
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	localCAName     = "cicd-apiserver-local-ca"
	localAdminName  = "admin"
	leafValidity    = 365 * 24 * time.Hour
	leafRenewBefore = 30 * 24 * time.Hour
)

// PKI are the files of local mode's certificate authority, serving
// certificate and admin client certificate, all PEM.
type PKI struct {
	CACert, CAKey           string
	ServingCert, ServingKey string
	AdminCert, AdminKey     string
}

func pkiFiles(dir string) PKI {
	return PKI{
		CACert:      filepath.Join(dir, "ca.crt"),
		CAKey:       filepath.Join(dir, "ca.key"),
		ServingCert: filepath.Join(dir, "serving.crt"),
		ServingKey:  filepath.Join(dir, "serving.key"),
		AdminCert:   filepath.Join(dir, "admin.crt"),
		AdminKey:    filepath.Join(dir, "admin.key"),
	}
}

// ensurePKI generates the CA, the serving certificate (127.0.0.1,
// localhost, ::1) and the admin client certificate (CN admin, O
// system:masters) in dir the first time and reuses them afterwards. A
// certificate is generated again only when it cannot be read, is not signed
// by the CA, or is about to expire; a new CA means new certificates.
func ensurePKI(dir string) (PKI, error) {
	files := pkiFiles(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, err
	}

	ca, caKey, caFresh, err := ensureCA(files.CACert, files.CAKey, localCAName)
	if err != nil {
		return files, fmt.Errorf("local CA: %w", err)
	}
	serving := x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if err := ensureLeaf(files.ServingCert, files.ServingKey, &serving, ca, caKey, caFresh); err != nil {
		return files, fmt.Errorf("serving certificate: %w", err)
	}
	admin := x509.Certificate{
		Subject:     pkix.Name{CommonName: localAdminName, Organization: []string{user.SystemPrivilegedGroup}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := ensureLeaf(files.AdminCert, files.AdminKey, &admin, ca, caKey, caFresh); err != nil {
		return files, fmt.Errorf("admin certificate: %w", err)
	}
	return files, nil
}

// ensureCA reuses the CA named name in certFile and keyFile, or makes a new
// one (reporting it fresh, so that its leaves are made again).
func ensureCA(certFile, keyFile, name string) (*x509.Certificate, crypto.Signer, bool, error) {
	if cert, key, err := loadCertAndKey(certFile, keyFile); err == nil && cert.IsCA && cert.Subject.CommonName == name && validFor(cert, leafRenewBefore) {
		return cert, key, false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, false, err
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: name}, key)
	if err != nil {
		return nil, nil, false, err
	}
	if err := writeCertAndKey(certFile, keyFile, cert, key); err != nil {
		return nil, nil, false, err
	}
	return cert, key, true, nil
}

func ensureLeaf(certFile, keyFile string, template *x509.Certificate, ca *x509.Certificate, caKey crypto.Signer, caFresh bool) error {
	if !caFresh {
		if cert, _, err := loadCertAndKey(certFile, keyFile); err == nil && cert.CheckSignatureFrom(ca) == nil && validFor(cert, leafRenewBefore) {
			return nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	template.SerialNumber = serial
	template.NotBefore = now.Add(-5 * time.Minute).UTC()
	template.NotAfter = now.Add(leafValidity).UTC()
	template.KeyUsage = x509.KeyUsageDigitalSignature
	template.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, template, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	return writeCertAndKey(certFile, keyFile, cert, key)
}

func loadCertAndKey(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certs, err := certutil.CertsFromFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := keyutil.PrivateKeyFromFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	return certs[0], signer, nil
}

func writeCertAndKey(certFile, keyFile string, cert *x509.Certificate, key crypto.PrivateKey) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	certPEM, err := certutil.EncodeCertificates(cert)
	if err != nil {
		return err
	}
	if err := keyutil.WriteKey(keyFile, keyPEM); err != nil {
		return err
	}
	return certutil.WriteCert(certFile, certPEM)
}

func validFor(cert *x509.Certificate, d time.Duration) bool {
	now := time.Now()
	return now.After(cert.NotBefore) && now.Add(d).Before(cert.NotAfter)
}
