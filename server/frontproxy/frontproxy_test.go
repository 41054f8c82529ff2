package frontproxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"slices"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newCA(t *testing.T, name string) *ca {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &ca{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (c *ca) client(t *testing.T, cn string, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func request(cert *x509.Certificate, headers map[string][]string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "https://cicd/apis", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	for k, vs := range headers {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

func config(t *testing.T, c *ca) *authenticatorfactory.RequestHeaderConfig {
	t.Helper()
	p, err := dynamiccertificates.NewStaticCAContent("front-proxy-ca", c.pem)
	if err != nil {
		t.Fatal(err)
	}
	return &authenticatorfactory.RequestHeaderConfig{
		UsernameHeaders:     headerrequest.StaticStringSlice{"X-Remote-User"},
		UIDHeaders:          headerrequest.StaticStringSlice{},
		GroupHeaders:        headerrequest.StaticStringSlice{"X-Remote-Group"},
		ExtraHeaderPrefixes: headerrequest.StaticStringSlice{"X-Remote-Extra-"},
		CAContentProvider:   p,
		AllowedClientNames:  headerrequest.StaticStringSlice{"front-proxy-client"},
	}
}

// delegate stands for the generic chain: it accepts everyone as "generic".
var delegate = authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
	return &authenticator.Response{User: &user.DefaultInfo{Name: "generic"}}, true, nil
})

func TestIdentityFromEachRequestCertificateVerifiedOnce(t *testing.T) {
	proxyCA := newCA(t, "front-proxy-ca")
	cert := proxyCA.client(t, "front-proxy-client", time.Now().Add(time.Hour))
	v := newVerifier(config(t, proxyCA))
	a := wrap(delegate, v)
	for _, u := range []string{"alice", "bob", "alice"} {
		r := request(cert, map[string][]string{"X-Remote-User": {u}, "X-Remote-Group": {"team-" + u}, "X-Remote-Extra-Scopes": {"s1"}})
		resp, ok, err := a.AuthenticateRequest(r)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", u, ok, err)
		}
		if resp.User.GetName() != u {
			t.Errorf("user %q, want %q", resp.User.GetName(), u)
		}
		if g := resp.User.GetGroups(); !slices.Equal(g, []string{"team-" + u, user.AllAuthenticated}) {
			t.Errorf("%s: groups %v", u, g)
		}
		if e := resp.User.GetExtra()["scopes"]; !slices.Equal(e, []string{"s1"}) {
			t.Errorf("%s: extra %v", u, resp.User.GetExtra())
		}
		if r.Header.Get("X-Remote-User") != "" || r.Header.Get("X-Remote-Group") != "" {
			t.Errorf("%s: identity headers left on the request: %v", u, r.Header)
		}
	}
	if v.Verifications.Load() != 1 {
		t.Errorf("%d verifications for three requests with one certificate, want 1", v.Verifications.Load())
	}
}

func TestRejectedCertificatesGoToTheGenericChain(t *testing.T) {
	proxyCA, otherCA := newCA(t, "front-proxy-ca"), newCA(t, "client-ca")
	cfg := config(t, proxyCA)
	v := newVerifier(cfg)
	hdr := map[string][]string{"X-Remote-User": {"mallory"}, "X-Remote-Group": {"system:masters"}}

	for name, cert := range map[string]*x509.Certificate{
		"another CA":        otherCA.client(t, "front-proxy-client", time.Now().Add(time.Hour)),
		"a name not listed": proxyCA.client(t, "someone", time.Now().Add(time.Hour)),
	} {
		for i := 0; i < 2; i++ { // the second time from the cache
			resp, ok, err := v.AuthenticateRequest(request(cert, hdr))
			if err == nil || ok || resp != nil {
				t.Errorf("%s (%d): ok=%v err=%v, want an error", name, i, ok, err)
			}
		}
	}
	// Through Wrap the generic chain still decides (here: accepts).
	resp, ok, err := Wrap(delegate, cfg).AuthenticateRequest(request(otherCA.client(t, "front-proxy-client", time.Now().Add(time.Hour)), hdr))
	if err != nil || !ok || resp.User.GetName() != "generic" {
		t.Errorf("another CA through Wrap: %v %v %v, want the generic chain's answer", resp, ok, err)
	}
	// No user header: not ours to decide, nothing verified.
	before := v.Verifications.Load()
	if _, ok, err := v.AuthenticateRequest(request(proxyCA.client(t, "front-proxy-client", time.Now().Add(time.Hour)), nil)); ok || err != nil {
		t.Errorf("no user header: ok=%v err=%v, want neither", ok, err)
	}
	if v.Verifications.Load() != before {
		t.Errorf("a request without a user header was verified")
	}
}

func TestCacheEndsWithExpiryTTLAndRotation(t *testing.T) {
	proxyCA, newProxyCA := newCA(t, "front-proxy-ca"), newCA(t, "front-proxy-ca-2")
	cfg := config(t, proxyCA)
	v := newVerifier(cfg)
	now := time.Now()
	v.now = func() time.Time { return now }
	hdr := map[string][]string{"X-Remote-User": {"alice"}}
	short := proxyCA.client(t, "front-proxy-client", now.Add(30*time.Second))
	check := func(step string, wantOK bool, wantVerifications int) {
		t.Helper()
		_, ok, err := v.AuthenticateRequest(request(short, hdr))
		if ok != wantOK {
			t.Errorf("%s: ok=%v err=%v, want ok=%v", step, ok, err, wantOK)
		}
		if v.Verifications.Load() != int64(wantVerifications) {
			t.Errorf("%s: %d verifications, want %d", step, v.Verifications.Load(), wantVerifications)
		}
	}
	check("first", true, 1)
	check("cached", true, 1)
	now = now.Add(31 * time.Second) // past the certificate's expiry
	check("expired", false, 2)

	long := proxyCA.client(t, "front-proxy-client", now.Add(time.Hour))
	short = long
	check("another certificate", true, 3)
	now = now.Add(ttl + time.Second)
	check("after the TTL", true, 4)

	// The front-proxy CA rotates: the old proxy certificate no longer
	// verifies, at once.
	p, err := dynamiccertificates.NewStaticCAContent("front-proxy-ca-2", newProxyCA.pem)
	if err != nil {
		t.Fatal(err)
	}
	v.verifyOptions = p.VerifyOptions
	check("rotated CA", false, 5)
}
