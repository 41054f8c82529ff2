// Package certcache remembers what was concluded from a client certificate
// chain, so that the chain's signatures are not checked again on every
// request of the same client (docs/benchmarks.md, "What pays"). An entry
// lives at most a fixed time and never past the first NotAfter in its chain;
// the cache is apimachinery's bounded LRU cache with expiry.
package certcache

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"time"

	utilcache "k8s.io/apimachinery/pkg/util/cache"
)

// Key names a chain, and the CA pool it was verified against: a rotated CA
// bundle comes with a new pool, and so misses the cache.
type Key struct {
	chain [sha256.Size]byte
	roots *x509.CertPool
}

// KeyOf is the key of chain verified against roots (nil: a fixed CA).
func KeyOf(chain []*x509.Certificate, roots *x509.CertPool) Key {
	h := sha256.New()
	var n [8]byte
	for _, c := range chain {
		binary.BigEndian.PutUint64(n[:], uint64(len(c.Raw)))
		h.Write(n[:])
		h.Write(c.Raw)
	}
	k := Key{roots: roots}
	h.Sum(k.chain[:0])
	return k
}

// Cache maps keys to values of type V.
type Cache[V any] struct {
	ttl   time.Duration
	now   func() time.Time
	cache *utilcache.LRUExpireCache
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// New returns a cache of at most max entries that live at most ttl, on the
// clock now.
func New[V any](ttl time.Duration, max int, now func() time.Time) *Cache[V] {
	return &Cache[V]{ttl: ttl, now: now, cache: utilcache.NewLRUExpireCacheWithClock(max, clockFunc(now))}
}

// Get returns the value of k, if there is one that has not expired.
func (c *Cache[V]) Get(k Key) (V, bool) {
	v, ok := c.cache.Get(k)
	if !ok {
		var zero V
		return zero, false
	}
	val, _ := v.(V) // a nil interface (a nil error) is stored as nil
	return val, true
}

// Put remembers v for k, concluded just now from chain.
func (c *Cache[V]) Put(k Key, chain []*x509.Certificate, v V) {
	now := c.now()
	ttl := c.ttl
	for _, cert := range chain {
		ttl = min(ttl, cert.NotAfter.Sub(now))
	}
	// The LRU cache serves an entry up to and including its expiry instant;
	// ours ends at it.
	if ttl > 0 {
		c.cache.Add(k, v, ttl-time.Nanosecond)
	}
}

// Len is the number of entries, expired ones included.
func (c *Cache[V]) Len() int { return len(c.cache.Keys()) }
