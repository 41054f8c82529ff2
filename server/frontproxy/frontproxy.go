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
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/request/union"
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
	return &Verifier{
		verifyOptions: cfg.CAContentProvider.VerifyOptions,
		allowedNames:  cfg.AllowedClientNames,
		nameHeaders:   cfg.UsernameHeaders,
		headers:       headerrequest.NewDynamic(cfg.UsernameHeaders, cfg.UIDHeaders, cfg.GroupHeaders, cfg.ExtraHeaderPrefixes),
		now:           time.Now,
	}
}

// Verifier is the cached request-header authenticator.
type Verifier struct {
	verifyOptions func() (x509.VerifyOptions, bool)
	allowedNames  headerrequest.StringSliceProvider
	nameHeaders   headerrequest.StringSliceProvider
	headers       authenticator.Request
	now           func() time.Time

	mu    sync.Mutex
	cache map[cacheKey]verdict
	// Verifications counts the certificate verifications done (not served
	// from the cache), for tests.
	Verifications int
}

type cacheKey struct {
	chain [sha256.Size]byte
	// roots is the CA bundle the chain was verified against: a new bundle
	// (rotation) comes with a new pool, and so misses the cache.
	roots *x509.CertPool
}

type verdict struct {
	err     error
	expires time.Time
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
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.Raw)
		h.Write([]byte{0})
	}
	key := cacheKey{roots: opts.Roots}
	copy(key.chain[:], h.Sum(nil))
	now := v.now()

	v.mu.Lock()
	if d, ok := v.cache[key]; ok && now.Before(d.expires) {
		v.mu.Unlock()
		return d.err
	}
	v.Verifications++
	v.mu.Unlock()

	if opts.Intermediates == nil && len(chain) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range chain[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	opts.CurrentTime = now
	_, err := chain[0].Verify(opts)
	expires := now.Add(ttl)
	for _, c := range chain {
		if c.NotAfter.Before(expires) {
			expires = c.NotAfter
		}
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache == nil || len(v.cache) >= maxEntries {
		v.cache = map[cacheKey]verdict{}
	}
	v.cache[key] = verdict{err: err, expires: expires}
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
