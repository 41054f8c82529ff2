package local

import (
	"bytes"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"
)

func readPKI(t *testing.T, p PKI) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{p.CACert, p.CAKey, p.ServingCert, p.ServingKey, p.AdminCert, p.AdminKey} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

func loadCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	certs, err := certutil.CertsFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func TestLocalPKIGeneratedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	first, err := ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := readPKI(t, first)

	ca := loadCert(t, first.CACert)
	if !ca.IsCA {
		t.Errorf("CA certificate is not a CA")
	}
	serving := loadCert(t, first.ServingCert)
	if err := serving.CheckSignatureFrom(ca); err != nil {
		t.Errorf("serving certificate not signed by the CA: %v", err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := serving.VerifyHostname(host); err != nil {
			t.Errorf("serving certificate does not cover %s: %v", host, err)
		}
	}
	admin := loadCert(t, first.AdminCert)
	if err := admin.CheckSignatureFrom(ca); err != nil {
		t.Errorf("admin certificate not signed by the CA: %v", err)
	}
	if admin.Subject.CommonName != "admin" || len(admin.Subject.Organization) != 1 || admin.Subject.Organization[0] != user.SystemPrivilegedGroup {
		t.Errorf("admin subject = %v, want CN=admin, O=%s", admin.Subject, user.SystemPrivilegedGroup)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := admin.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin certificate is no client certificate of the CA: %v", err)
	}
	for _, f := range []string{first.CAKey, first.ServingKey, first.AdminKey} {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}

	// A restart reuses everything.
	second, err := ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range readPKI(t, second) {
		if !bytes.Equal(b, before[f]) {
			t.Errorf("%s changed on the second start", f)
		}
	}

	// A lost leaf is generated again, signed by the same CA.
	if err := os.Remove(first.AdminKey); err != nil {
		t.Fatal(err)
	}
	third, err := ensurePKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	after := readPKI(t, third)
	if !bytes.Equal(after[first.CACert], before[first.CACert]) || !bytes.Equal(after[first.ServingCert], before[first.ServingCert]) {
		t.Errorf("CA or serving certificate changed when only the admin key was lost")
	}
	if bytes.Equal(after[first.AdminCert], before[first.AdminCert]) {
		t.Errorf("admin certificate not regenerated after its key was lost")
	}
	if err := loadCert(t, third.AdminCert).CheckSignatureFrom(ca); err != nil {
		t.Errorf("new admin certificate not signed by the old CA: %v", err)
	}
}

func TestAdminKubeconfig(t *testing.T) {
	dir := t.TempDir()
	pki, err := ensurePKI(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, AdminKubeconfigName)
	url := "https://" + net.JoinHostPort("127.0.0.1", "8443")
	if err := writeAdminKubeconfig(path, url, pki); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig has mode %v, want 0600", fi.Mode().Perm())
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != url {
		t.Errorf("server = %q, want %q", cfg.Host, url)
	}
	files := readPKI(t, pki)
	if !bytes.Equal(cfg.CAData, files[pki.CACert]) || !bytes.Equal(cfg.CertData, files[pki.AdminCert]) || !bytes.Equal(cfg.KeyData, files[pki.AdminKey]) {
		t.Errorf("kubeconfig does not embed the CA and the admin certificate and key")
	}
}
