package server

import (
	"crypto/x509"
	"testing"

	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// caProvider is a CA bundle that is loaded or not.
type caProvider struct{ loaded bool }

func (p *caProvider) Name() string                             { return "front-proxy" }
func (p *caProvider) CurrentCABundleContent() []byte           { return nil }
func (p *caProvider) AddListener(dynamiccertificates.Listener) {}
func (p *caProvider) VerifyOptions() (x509.VerifyOptions, bool) {
	return x509.VerifyOptions{}, p.loaded
}

// Not ready until the front proxy's CA is loaded, then ready.
func TestFrontProxyCACheck(t *testing.T) {
	p := &caProvider{}
	check := frontProxyCACheck(&authenticatorfactory.RequestHeaderConfig{CAContentProvider: p})
	if check.Name() != "front-proxy-ca" {
		t.Errorf("name %q", check.Name())
	}
	if err := check.Check(nil); err == nil {
		t.Error("ready before the CA is loaded")
	}
	p.loaded = true
	if err := check.Check(nil); err != nil {
		t.Errorf("not ready with the CA loaded: %v", err)
	}
}
