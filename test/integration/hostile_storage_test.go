package integration

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Issue 13, reproductions 5 and 6: while etcd is away the server stays live
// (a restart cannot bring etcd back) but not ready, and a request with a
// timeout gets a 504, not a reset stream.
func TestHostileEtcdOutage(t *testing.T) {
	t.Parallel()
	etcd := framework.StartStoppableEtcd(t)
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcd.URL})
	c, err := s.PKIHTTPClient(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	get := func(path string) (int, string, error) {
		resp, err := c.Get(s.URL() + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	const list = "/apis/autobusi.group.cicd/v1beta/namespaces/outage/jenkinsservices"
	for _, p := range []string{"/livez", "/readyz", list} {
		if code, body, err := get(p); err != nil || code != http.StatusOK {
			t.Fatalf("%s with etcd up: %d %v %s", p, code, err, body)
		}
	}

	etcd.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, err := get("/readyz")
		if err == nil && code != http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d (%v) 60s after etcd stopped", code, err)
		}
		time.Sleep(time.Second)
	}
	if code, body, err := get("/readyz?verbose"); err != nil || !strings.Contains(body, "etcd") {
		t.Errorf("/readyz does not say etcd is what fails: %d %v %s", code, err, body)
	}
	// Live for as long as etcd is away (the kubelet's failureThreshold 3 ×
	// periodSeconds 10 would restart the pod after 30 s).
	for i := 0; i < 5; i++ {
		if code, body, err := get("/livez"); err != nil || code != http.StatusOK {
			t.Fatalf("/livez with etcd down: %d %v %s", code, err, body)
		}
		time.Sleep(time.Second)
	}
	// The storage's deadline and the timeout filter's are the same instant:
	// the handler's own answer raced the filter's 504, and lost by a reset.
	for _, p := range []string{list, list + "/x", "/apis/autobusi.group.cicd/v1alpha/jenkinsservices", list + "/x/scale"} {
		for i := 0; i < 3; i++ {
			start := time.Now()
			code, body, err := get(p + "?timeout=3s")
			t.Logf("GET %s?timeout=3s: %d after %v: %s", p, code, time.Since(start), body)
			switch {
			case err != nil:
				t.Errorf("GET %s?timeout=3s with etcd down: no answer (%v) after %v", p, err, time.Since(start))
			case code != http.StatusGatewayTimeout:
				t.Errorf("GET %s?timeout=3s with etcd down: %d after %v, want 504: %s", p, code, time.Since(start), body)
			}
		}
	}

	post, err := c.Post(s.URL()+list+"?timeout=3s", contentJSON, strings.NewReader(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"during-outage"}}`))
	if err != nil {
		t.Errorf("POST ?timeout=3s with etcd down: no answer (%v)", err)
	} else {
		b, _ := io.ReadAll(post.Body)
		_ = post.Body.Close()
		if post.StatusCode != http.StatusGatewayTimeout {
			t.Errorf("POST ?timeout=3s with etcd down: %d, want 504: %s", post.StatusCode, b)
		}
	}

	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		code, _, err := get("/readyz")
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz %d (%v) 60s after etcd came back", code, err)
		}
		time.Sleep(time.Second)
	}
	if out := s.Output(); strings.Contains(out, "Observed a panic") {
		t.Errorf("the server panicked:\n%s", out)
	}
}
