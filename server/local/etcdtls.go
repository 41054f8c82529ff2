package local

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/transport"
)

// The embedded etcd serves its client and peer ports on loopback, which every
// local user reaches. With mutual TLS only the holder of a certificate of its
// own CA gets in, and those files are in the data directory (0700): the
// server alone. The CA is not the one whose certificates authenticate to the
// API, so neither kind of certificate opens the other door.

const etcdCAName = "cicd-apiserver-local-etcd-ca"

// EtcdTLS are the files of the embedded etcd's mutual TLS, all PEM: its CA,
// the member's certificate (client and peer port; 127.0.0.1 and localhost)
// and the server's client certificate.
type EtcdTLS struct {
	CACert, CAKey         string
	MemberCert, MemberKey string
	ClientCert, ClientKey string
}

func etcdTLSFiles(dir string) EtcdTLS {
	f := func(name string) string { return filepath.Join(dir, name) }
	return EtcdTLS{
		CACert: f("etcd-ca.crt"), CAKey: f("etcd-ca.key"),
		MemberCert: f("etcd-member.crt"), MemberKey: f("etcd-member.key"),
		ClientCert: f("etcd-client.crt"), ClientKey: f("etcd-client.key"),
	}
}

// ensureEtcdTLS makes the etcd CA and certificates in dir the first time and
// reuses them afterwards, as ensurePKI does for the API's.
func ensureEtcdTLS(dir string) (EtcdTLS, error) {
	files := etcdTLSFiles(dir)
	ca, caKey, caFresh, err := ensureCA(files.CACert, files.CAKey, etcdCAName)
	if err != nil {
		return files, fmt.Errorf("local etcd CA: %w", err)
	}
	member := x509.Certificate{
		Subject:     pkix.Name{CommonName: "cicd-apiserver-local-etcd"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if err := ensureLeaf(files.MemberCert, files.MemberKey, &member, ca, caKey, caFresh); err != nil {
		return files, fmt.Errorf("local etcd member certificate: %w", err)
	}
	client := x509.Certificate{
		Subject:     pkix.Name{CommonName: "cicd-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := ensureLeaf(files.ClientCert, files.ClientKey, &client, ca, caKey, caFresh); err != nil {
		return files, fmt.Errorf("local etcd client certificate: %w", err)
	}
	return files, nil
}

// serverTLSInfo is the member's side: its certificate, and clients (or
// peers) must show one of the CA.
func (f EtcdTLS) serverTLSInfo() transport.TLSInfo {
	return transport.TLSInfo{CertFile: f.MemberCert, KeyFile: f.MemberKey, TrustedCAFile: f.CACert, ClientCertAuth: true}
}
