// Package wire counts the content types of the API server's answers, so that the
// examples can show (and their test check) that they really talk protobuf.
package wire

import (
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Counter is an http.RoundTripper wrapper that counts response content types,
// per method, for requests under PathPrefix.
type Counter struct {
	PathPrefix string

	mu     sync.Mutex
	counts map[string]int
	next   http.RoundTripper
}

// Wrap is for rest.Config.Wrap.
func (c *Counter) Wrap(rt http.RoundTripper) http.RoundTripper {
	c.next = rt
	return c
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, c.PathPrefix) {
		return resp, err
	}
	ct, _, perr := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if perr != nil {
		ct = "none"
	}
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[req.Method+" "+ct]++
	c.mu.Unlock()
	return resp, nil
}

// String lists "METHOD content/type=N" sorted, e.g. "GET application/vnd.kubernetes.protobuf=3".
func (c *Counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.counts))
	for k, n := range c.counts {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
