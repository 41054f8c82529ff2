//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestReadyWithFrontProxyCA: behind the aggregator a server is ready only
// once it can authenticate the front proxy (server/health.go), whose CA the
// generic server loads from kube-system after it has started serving. Both
// processes list the check in /readyz?verbose, and pass it.
func TestReadyWithFrontProxyCA(t *testing.T) {
	ctx := testContext(t, time.Minute)
	since := time.Now()
	client := insecureClient(5 * time.Second) // a new connection, so either process, per request
	for range 20 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.cicd[0].url("/readyz?verbose"), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "[+]front-proxy-ca ok") {
			t.Fatalf("/readyz?verbose: %d %s", resp.StatusCode, body)
		}
	}
	for _, s := range env.cicd {
		answered := false
		for _, e := range s.events(since) {
			answered = answered || e.RequestURI == "/readyz?verbose" && e.ResponseStatus != nil && e.ResponseStatus.Code == http.StatusOK
		}
		if !answered {
			t.Errorf("%s did not answer /readyz?verbose with 200 (of 20 requests over new connections)", s.name)
		}
	}
}
