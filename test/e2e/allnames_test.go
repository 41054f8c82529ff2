//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAuthorizationByName: the server asks kube-apiserver first whether a
// user may act on all JenkinsServices (one cached review for every name) and
// only then about the one named (server/allnames). A user allowed on some
// names only keeps exactly those: asked straight, as the front proxy, the
// server allows them and no other name, whatever kube-apiserver would have
// checked before proxying.
func TestAuthorizationByName(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	ns := testNamespace(t)
	names := []string{"a", "b"}
	for i := range 7 { // the cluster's limit is 10, shared by all tests
		names = append(names, fmt.Sprintf("c%d", i))
	}
	for _, name := range names {
		if _, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, name, 1), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	grant(t, ctx, ns, "get-a", "rita", rbacv1.PolicyRule{
		APIGroups: []string{group}, Resources: []string{"jenkinsservices"}, Verbs: []string{"get"}, ResourceNames: []string{"a"},
	})
	grant(t, ctx, ns, "get-all", "gina", rbacv1.PolicyRule{
		APIGroups: []string{group}, Resources: []string{"jenkinsservices"}, Verbs: []string{"get"},
	})

	pki := filepath.Join(env.dir, "pki")
	proxy, err := tls.LoadX509KeyPair(filepath.Join(pki, "front-proxy-client.crt"), filepath.Join(pki, "front-proxy-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	serverCA := x509.NewCertPool()
	pem, err := os.ReadFile(filepath.Join(env.deployDir, "certs", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	serverCA.AppendCertsFromPEM(pem)
	asProxy := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: serverCA, ServerName: cicdService + "." + cicdNamespace + ".svc", Certificates: []tls.Certificate{proxy},
	}}}
	base := fmt.Sprintf("https://127.0.0.1:%d", env.cicdPort)
	get := func(userName, name string) (int, string) {
		url := fmt.Sprintf("%s/apis/autobusi.group.cicd/v1beta/namespaces/%s/jenkinsservices/%s", base, ns, name)
		return do(t, ctx, asProxy, http.MethodGet, url, "", http.Header{"X-Remote-User": {userName}, "X-Remote-Group": {"system:authenticated"}})
	}
	// reviews is the number of SubjectAccessReviews the server has sent.
	reviews := func() int {
		code, text := do(t, ctx, asProxy, http.MethodGet, base+"/metrics", "", http.Header{"X-Remote-User": {"admin"}, "X-Remote-Group": {"system:masters"}})
		if code != http.StatusOK {
			t.Fatalf("GET /metrics: %d\n%s", code, text)
		}
		n := 0
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "apiserver_delegated_authz_request_total{") {
				f := strings.Fields(line)
				v, err := strconv.ParseFloat(f[len(f)-1], 64)
				if err != nil {
					t.Fatalf("metrics line %q: %v", line, err)
				}
				n += int(v)
			}
		}
		return n
	}
	want := []struct {
		user, name string
		code       int
	}{
		{"rita", "a", http.StatusOK},
		{"rita", "b", http.StatusForbidden},
		{"gina", "a", http.StatusOK},
		{"gina", "b", http.StatusOK},
		{"nobody", "a", http.StatusForbidden},
	}
	// RBAC reaches kube-apiserver's authorizer through its informers, and
	// decisions are cached by the server for 10s: wait until all hold.
	var last string
	if err := poll(ctx, 30*time.Second, func() error {
		for _, w := range want {
			if code, text := get(w.user, w.name); code != w.code {
				last = text
				return fmt.Errorf("%s gets %s: %d, want %d", w.user, w.name, code, w.code)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, last)
	}
	// Reading seven objects asks kube-apiserver once (all names), not seven
	// times; one more review is allowed for kube-apiserver's own periodic
	// discovery and availability checks. The servers share a port; one
	// client's requests go over one connection to one of them.
	before := reviews()
	for _, name := range names[2:] {
		if code, text := get("gina", name); code != http.StatusOK {
			t.Fatalf("gina gets %s: %d\n%s", name, code, text)
		}
	}
	if n := reviews() - before; n > 2 {
		t.Errorf("7 GETs of different names by one user sent %d SubjectAccessReviews, want at most 2 (1 for all names)", n)
	}

	// A name she may not read stays forbidden on every later ask (the
	// all-names answer cached as "no" must not turn into a yes).
	for range 3 {
		if code, text := get("rita", "b"); code != http.StatusForbidden {
			t.Fatalf("rita gets b again: %d, want 403\n%s", code, text)
		}
	}
}
