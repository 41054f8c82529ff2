package local

import (
	"net/http"
	"slices"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/autobusi/cicd-apiserver/server/certcache"
)

const (
	// certCacheTTL bounds how long a verified client certificate chain is
	// trusted without verifying it again; never beyond its certificates' NotAfter.
	certCacheTTL = 5 * time.Minute
	// certCacheSize bounds the number of chains remembered.
	certCacheSize = 1024
)

// certCache remembers the users of client certificate chains that the x509
// authenticator accepted, so that requests do not verify the same chain's
// signatures again (docs/benchmarks.md, "What pays"). Local mode's CA is
// fixed for the process's lifetime, so a verdict only changes with time:
// entries expire with the first NotAfter in the chain. Only successes are
// remembered.
type certCache struct {
	inner   authenticator.Request
	now     func() time.Time
	entries *certcache.Cache[*authenticator.Response]
}

func newCertCache(inner authenticator.Request) *certCache {
	c := &certCache{inner: inner, now: time.Now}
	c.entries = certcache.New[*authenticator.Response](certCacheTTL, certCacheSize, func() time.Time { return c.now() })
	return c
}

// AuthenticateRequest implements authenticator.Request.
func (c *certCache) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return c.inner.AuthenticateRequest(req)
	}
	chain := req.TLS.PeerCertificates
	key := certcache.KeyOf(chain, nil) // local mode's CA is fixed
	if resp, ok := c.entries.Get(key); ok {
		return copyResponse(resp), true, nil
	}
	resp, ok, err := c.inner.AuthenticateRequest(req)
	if !ok || err != nil || resp == nil {
		return resp, ok, err
	}
	c.entries.Put(key, chain, copyResponse(resp))
	return resp, ok, err
}

// copyResponse copies what later handlers might change.
func copyResponse(r *authenticator.Response) *authenticator.Response {
	out := &authenticator.Response{Audiences: slices.Clone(r.Audiences)}
	if u := r.User; u != nil {
		info := &user.DefaultInfo{Name: u.GetName(), UID: u.GetUID(), Groups: slices.Clone(u.GetGroups())}
		if extra := u.GetExtra(); extra != nil {
			info.Extra = make(map[string][]string, len(extra))
			for k, v := range extra {
				info.Extra[k] = slices.Clone(v)
			}
		}
		out.User = info
	}
	return out
}
