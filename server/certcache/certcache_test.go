package certcache

import (
	"crypto/x509"
	"testing"
	"time"
)

func cert(raw string, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{Raw: []byte(raw), NotAfter: notAfter}
}

func TestExpiry(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	long := []*x509.Certificate{cert("leaf", now.Add(time.Hour)), cert("ca", now.Add(24*time.Hour))}
	short := []*x509.Certificate{cert("leaf2", now.Add(10*time.Second))}
	at := now
	c := New[string](time.Minute, 8, func() time.Time { return at })
	c.Put(KeyOf(long, nil), long, "long")
	c.Put(KeyOf(short, nil), short, "short")

	for _, tc := range []struct {
		at    time.Duration
		chain []*x509.Certificate
		want  string
		ok    bool
	}{
		{0, long, "long", true},
		{59 * time.Second, long, "long", true},
		{time.Minute, long, "", false}, // the TTL
		{9 * time.Second, short, "short", true},
		{10 * time.Second, short, "", false}, // the certificate's NotAfter
	} {
		at = now.Add(tc.at)
		got, ok := c.Get(KeyOf(tc.chain, nil))
		if got != tc.want || ok != tc.ok {
			t.Errorf("at +%s: %q %v, want %q %v", tc.at, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKeys(t *testing.T) {
	a := []*x509.Certificate{cert("a", time.Time{}), cert("b", time.Time{})}
	ab := []*x509.Certificate{cert("ab", time.Time{})}
	if KeyOf(a, nil) == KeyOf(ab, nil) {
		t.Error("chains a,b and ab have one key")
	}
	p1, p2 := x509.NewCertPool(), x509.NewCertPool()
	if KeyOf(a, p1) == KeyOf(a, p2) {
		t.Error("one chain against two CA pools has one key")
	}
	if KeyOf(a, p1) != KeyOf([]*x509.Certificate{cert("a", time.Time{}), cert("b", time.Time{})}, p1) {
		t.Error("equal chains against one pool have different keys")
	}
}

func TestBounded(t *testing.T) {
	now := time.Now()
	c := New[int](time.Minute, 16, func() time.Time { return now })
	for i := range 100 {
		chain := []*x509.Certificate{cert(string(rune('a'+i%26))+string(rune(i)), now.Add(time.Hour))}
		c.Put(KeyOf(chain, nil), chain, i)
		if n := c.Len(); n > 16 {
			t.Fatalf("%d entries after %d puts, want at most 16", n, i+1)
		}
	}
}
