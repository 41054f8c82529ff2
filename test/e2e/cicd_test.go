//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

var apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// auditPolicy records, in each server's own audit log, the health checks and
// every request on the API group: which process served a request, as whom,
// with what result.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  nonResourceURLs: ["/readyz", "/readyz/*", "/livez", "/livez/*"]
- level: Metadata
  resources:
  - group: autobusi.group.cicd
- level: None
`

// cicdServer is one cicd-apiserver process.
type cicdServer struct {
	*proc
	audit   string
	started time.Time
}

// startAndWait starts the process and waits until it serves and is ready. The
// two processes share a port, so a request on it reaches either: the
// process's own audit log tells when it answered /readyz with 200.
func (s *cicdServer) startAndWait(ctx context.Context) error {
	s.started = time.Now()
	if err := s.start(); err != nil {
		return err
	}
	client := insecureClient(5 * time.Second) // a new connection per request
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if !s.running() {
			return fmt.Errorf("%s exited (%v); last lines:\n%s", s.name, s.exitErr(), s.tail(40))
		}
		if strings.Contains(s.output(), "Serving securely on") {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/readyz"), nil)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
			for _, e := range s.events(s.started) {
				if e.RequestURI == "/readyz" && e.ResponseStatus != nil && e.ResponseStatus.Code == http.StatusOK {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within 3m; last lines:\n%s", s.name, s.tail(40))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// url is a URL on the shared port: either process may answer.
func (s *cicdServer) url(path string) string {
	return fmt.Sprintf("https://127.0.0.1:%d%s", env.cicdPort, path)
}

// events are the audit events the process logged at or after since, in
// the stage ResponseComplete or Panic.
func (s *cicdServer) events(since time.Time) []auditv1.Event {
	f, err := os.Open(s.audit)
	if err != nil {
		return nil
	}
	defer f.Close()
	var res []auditv1.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e auditv1.Event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if e.Stage != auditv1.StageResponseComplete && e.Stage != auditv1.StagePanic {
			continue
		}
		if e.StageTimestamp.Time.Before(since) {
			continue
		}
		res = append(res, e)
	}
	return res
}

// panics finds the signs of a panic in the process's log and audit log.
func (s *cicdServer) panics() []string {
	var res []string
	for _, line := range strings.Split(s.output(), "\n") {
		if strings.Contains(line, "panic:") || strings.Contains(line, "Observed a panic") || strings.HasPrefix(line, "goroutine ") {
			res = append(res, line)
		}
	}
	for _, e := range s.events(time.Time{}) {
		if e.Stage == auditv1.StagePanic {
			res = append(res, fmt.Sprintf("audit: panic serving %s %s", e.Verb, e.RequestURI))
		}
	}
	return res
}

// countEvents counts the process's audit events since since that match.
func (s *cicdServer) countEvents(since time.Time, match func(auditv1.Event) bool) int {
	n := 0
	for _, e := range s.events(since) {
		if match(e) {
			n++
		}
	}
	return n
}

func unstructuredSlice(obj map[string]any, fields ...string) ([]any, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur, ok = m[f]
		if !ok {
			return nil, false, nil
		}
	}
	s, ok := cur.([]any)
	return s, ok, nil
}
