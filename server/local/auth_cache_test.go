package local

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	x509auth "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

type countingAuthenticator struct {
	calls int
	fail  bool
}

func (a *countingAuthenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	a.calls++
	if a.fail {
		return nil, false, errors.New("bad certificate")
	}
	name := "no-certificate"
	if req.TLS != nil {
		name = req.TLS.PeerCertificates[0].Subject.CommonName
	}
	return &authenticator.Response{User: &user.DefaultInfo{Name: name, Groups: []string{user.SystemPrivilegedGroup}}}, true, nil
}

func certRequest(raw string, notAfter time.Time) *http.Request {
	cert := &x509.Certificate{Raw: []byte(raw), NotAfter: notAfter}
	cert.Subject.CommonName = raw
	return &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}}
}

func TestCertCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	inner := &countingAuthenticator{}
	c := newCertCache(inner)
	c.now = func() time.Time { return now }
	far := now.Add(time.Hour)

	for i := 0; i < 3; i++ {
		resp, ok, err := c.AuthenticateRequest(certRequest("alice", far))
		if !ok || err != nil || resp.User.GetName() != "alice" {
			t.Fatalf("request %d: %v %v %v", i, resp, ok, err)
		}
		// A handler that changes the user must not change the cache.
		resp.User.(*user.DefaultInfo).Groups[0] = "changed"
	}
	if inner.calls != 1 {
		t.Errorf("verified %d times, want once", inner.calls)
	}
	if resp, _, _ := c.AuthenticateRequest(certRequest("alice", far)); resp.User.GetGroups()[0] != user.SystemPrivilegedGroup {
		t.Errorf("cached user was changed: %v", resp.User)
	}

	// Another certificate is verified on its own.
	if resp, _, _ := c.AuthenticateRequest(certRequest("bob", far)); resp.User.GetName() != "bob" || inner.calls != 2 {
		t.Errorf("bob: %v, %d calls", resp.User, inner.calls)
	}

	// Entries expire after the TTL, and at the certificate's NotAfter.
	now = now.Add(certCacheTTL)
	_, _, _ = c.AuthenticateRequest(certRequest("alice", far))
	if inner.calls != 3 {
		t.Errorf("not verified again after the TTL: %d calls", inner.calls)
	}
	soon := now.Add(time.Second)
	_, _, _ = c.AuthenticateRequest(certRequest("carol", soon))
	now = soon
	_, _, _ = c.AuthenticateRequest(certRequest("carol", soon))
	if inner.calls != 5 {
		t.Errorf("not verified again at NotAfter: %d calls", inner.calls)
	}

	// Failures are not remembered.
	inner.fail = true
	for i := 0; i < 2; i++ {
		if _, ok, err := c.AuthenticateRequest(certRequest("mallory", far)); ok || err == nil {
			t.Errorf("mallory accepted")
		}
	}
	if inner.calls != 7 {
		t.Errorf("failures cached: %d calls", inner.calls)
	}

	// Requests without a certificate go to the authenticator as they are.
	inner.fail = false
	if _, ok, _ := c.AuthenticateRequest(&http.Request{}); !ok || inner.calls != 8 {
		t.Errorf("no certificate: ok=%v, %d calls", ok, inner.calls)
	}
}

func TestCertCacheBounded(t *testing.T) {
	c := newCertCache(&countingAuthenticator{})
	far := time.Now().Add(time.Hour)
	for i := 0; i < certCacheSize+10; i++ {
		_, _, _ = c.AuthenticateRequest(certRequest(string(rune('a'+i%26))+time.Duration(i).String(), far))
	}
	if n := c.entries.Len(); n > certCacheSize {
		t.Errorf("%d entries, want at most %d", n, certCacheSize)
	}
}

// BenchmarkClientCertAuthentication is the evidence for certCache: the cost
// per request of authenticating local mode's admin certificate with the
// x509 authenticator alone and behind the cache (docs/benchmarks.md).
func BenchmarkClientCertAuthentication(b *testing.B) {
	pki, err := ensurePKI(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	caPEM, err := os.ReadFile(pki.CACert)
	if err != nil {
		b.Fatal(err)
	}
	ca, err := dynamiccertificates.NewStaticCAContent("bench-ca", caPEM)
	if err != nil {
		b.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(pki.AdminCert, pki.AdminKey)
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		b.Fatal(err)
	}
	req := &http.Request{TLS: &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}}
	verifying := x509auth.NewDynamic(ca.VerifyOptions, x509auth.CommonNameUserConversion)
	for _, bc := range []struct {
		name string
		auth authenticator.Request
	}{
		{"x509", verifying},
		{"cached", newCertCache(verifying)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := bc.auth.AuthenticateRequest(req); !ok || err != nil {
					b.Fatalf("not authenticated: %v", err)
				}
			}
		})
	}
}
