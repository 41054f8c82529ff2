// Package certcache remembers what was concluded from a client certificate
// chain, so that the chain's signatures are not checked again on every
// request of the same client (docs/benchmarks.md, "What pays"). An entry
// lives at most a fixed time and never past the first NotAfter in its chain;
// the cache is bounded.
package certcache

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"sync"
	"time"
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
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[Key]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache whose entries live at most ttl, holding at most max.
func New[V any](ttl time.Duration, max int) *Cache[V] {
	return &Cache[V]{ttl: ttl, max: max, entries: map[Key]entry[V]{}}
}

// Get returns the value of k, if there is one that has not expired at now.
func (c *Cache[V]) Get(k Key, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put remembers v for k, concluded at now from chain. When the cache is
// full, expired entries go, and if that is not enough, all.
func (c *Cache[V]) Put(k Key, chain []*x509.Certificate, v V, now time.Time) {
	expires := now.Add(c.ttl)
	for _, cert := range chain {
		if cert.NotAfter.Before(expires) {
			expires = cert.NotAfter
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = entry[V]{v: v, expires: expires}
}

// Len is the number of entries, expired ones included.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
