// Package frontproxy authenticates requests from kube-apiserver's aggregator
// (the front proxy) as the generic request-header authenticator does, but
// verifies the front proxy's client certificate once per certificate and CA
// bundle instead of once per request.
//
// Behind the aggregator every request arrives on a few long-lived connections
// with the same front-proxy certificate; the generic authenticator verifies
// its chain (an ECDSA or RSA signature check) for each request, about a
// quarter of our CPU for a GET (docs/benchmarks.md, issue 14). The identity
// still comes from each request's headers; only the outcome of verifying
// the certificate is kept, for at most a minute and never past the
// certificate's expiry, and keyed by the CA bundle's verify options so that
// a rotated front-proxy CA takes effect at once.
package frontproxy

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/request/union"

	"github.com/autobusi/cicd-apiserver/server/certcache"
)

const (
	// ttl bounds how long a verification outcome is reused.
	ttl = time.Minute
	// maxEntries bounds the cache: the front proxies' certificates are few;
	// anything else arriving with client certificates must not grow it.
	maxEntries = 64
)

// Wrap returns an authenticator that tries the cached front-proxy
// authenticator first and then delegate (the generic chain, which also
// authenticates front-proxy requests, uncached): a request the cached one
// does not accept gets exactly the generic treatment. cfg nil returns
// delegate.
func Wrap(delegate authenticator.Request, cfg *authenticatorfactory.RequestHeaderConfig) authenticator.Request {
	if cfg == nil || cfg.CAContentProvider == nil || delegate == nil {
		return delegate
	}
	return wrap(delegate, newVerifier(cfg))
}

func wrap(delegate authenticator.Request, v *Verifier) authenticator.Request {
	// The generic chain adds system:authenticated to whoever it
	// authenticates; so does ours.
	return union.New(group.NewAuthenticatedGroupAdder(v), delegate)
}

func newVerifier(cfg *authenticatorfactory.RequestHeaderConfig) *Verifier {
	v := &Verifier{
		verifyOptions: cfg.CAContentProvider.VerifyOptions,
		allowedNames:  cfg.AllowedClientNames,
		nameHeaders:   cfg.UsernameHeaders,
		headers:       headerrequest.NewDynamic(cfg.UsernameHeaders, cfg.UIDHeaders, cfg.GroupHeaders, cfg.ExtraHeaderPrefixes),
		now:           time.Now,
	}
	v.cache = certcache.New[error](ttl, maxEntries, func() time.Time { return v.now() })
	return v
}

// Verifier is the cached request-header authenticator.
type Verifier struct {
	verifyOptions func() (x509.VerifyOptions, bool)
	allowedNames  headerrequest.StringSliceProvider
	nameHeaders   headerrequest.StringSliceProvider
	headers       authenticator.Request
	now           func() time.Time

	cache *certcache.Cache[error] // the outcome of verifying a chain
	// Verifications counts the certificate verifications done (not served
	// from the cache), for tests.
	Verifications atomic.Int64
}

// AuthenticateRequest accepts a request whose client certificate verifies
// against the front-proxy CA, has an allowed common name and that names a
// user in the request headers.
func (v *Verifier) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	if !hasHeader(req.Header, v.nameHeaders.Value()) {
		// Not a front-proxy request: the generic chain decides.
		return nil, false, nil
	}
	opts, ok := v.verifyOptions()
	if !ok {
		return nil, false, nil
	}
	if err := v.verify(req.TLS.PeerCertificates, opts); err != nil {
		return nil, false, err
	}
	leaf := req.TLS.PeerCertificates[0]
	if names := v.allowedNames.Value(); len(names) > 0 && !slices.Contains(names, leaf.Subject.CommonName) {
		return nil, false, fmt.Errorf("x509: subject with cn=%s is not in the allowed list", leaf.Subject.CommonName)
	}
	return v.headers.AuthenticateRequest(req)
}

// verify verifies the chain against opts, or reuses the outcome of an
// earlier verification of the same chain against the same roots.
func (v *Verifier) verify(chain []*x509.Certificate, opts x509.VerifyOptions) error {
	key := certcache.KeyOf(chain, opts.Roots)
	now := v.now()
	if err, ok := v.cache.Get(key); ok {
		return err
	}
	v.Verifications.Add(1)

	if opts.Intermediates == nil && len(chain) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range chain[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	opts.CurrentTime = now
	_, err := chain[0].Verify(opts)
	v.cache.Put(key, chain, err)
	return err
}

func hasHeader(h http.Header, names []string) bool {
	for _, n := range names {
		if h.Get(n) != "" {
			return true
		}
	}
	return false
}
