//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

const requestedBy = "autobusi.group.cicd/requested-by"

// TestApprovalRBAC: authorization is delegated to kube-apiserver's RBAC
// (SubjectAccessReview). Full access to jenkinsservices and
// jenkinsservices/status does not allow approving; a binding for update on
// jenkinsservices/approval does.
func TestApprovalRBAC(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := testNamespace(t)
	bob := mustUser(t, "bob")
	grant(t, ctx, ns, "jenkinsservices-editor", bob.name, rbacv1.PolicyRule{
		APIGroups: []string{group},
		Resources: []string{"jenkinsservices", "jenkinsservices/status"},
		Verbs:     []string{"*"},
	})
	bobJS, _ := clientsFor(t, bob)
	jss := bobJS.CicdV1beta().JenkinsServices(ns)

	var js *v1beta.JenkinsService
	var err error
	// RBAC changes reach the servers' SubjectAccessReview cache within its
	// TTL (10s for denials).
	if err := poll(ctx, 30*time.Second, func() error {
		js, err = jss.Create(ctx, jenkinsService(ns, "ci", 2), metav1.CreateOptions{})
		return err
	}); err != nil {
		t.Fatalf("bob creates a JenkinsService with the editor role: %v", err)
	}
	if got := js.Annotations[requestedBy]; got != bob.name {
		t.Errorf("requested-by = %q, want %q", got, bob.name)
	}

	approve := func(js *v1beta.JenkinsService, message string) *v1beta.JenkinsService {
		js = js.DeepCopy()
		js.Status.Conditions = []metav1.Condition{{
			Type: "Approved", Status: metav1.ConditionTrue, Reason: "ApprovedByBob", Message: message,
			LastTransitionTime: metav1.Now(),
		}}
		return js
	}

	// Status: allowed, but the Approved condition in it is not applied.
	st, err := jss.UpdateStatus(ctx, approve(js, "via status"), metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("bob updates status: %v", err)
	}
	if c := approvedCondition(st); c != nil && c.Status == metav1.ConditionTrue {
		t.Errorf("an update of status approved the JenkinsService: %+v", c)
	}

	// Approval: forbidden without update on jenkinsservices/approval.
	_, err = jss.UpdateApproval(ctx, js.Name, approve(st, "via approval"), metav1.UpdateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("bob approves without update on jenkinsservices/approval: got %v, want 403 Forbidden", err)
	}
	if !strings.Contains(err.Error(), "jenkinsservices/approval") && !strings.Contains(err.Error(), `subresource "approval"`) {
		t.Errorf("403 message does not name the approval subresource: %v", err)
	}
	got, err := env.js.CicdV1beta().JenkinsServices(ns).Get(ctx, js.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := approvedCondition(got); c != nil && c.Status == metav1.ConditionTrue {
		t.Fatalf("the JenkinsService is approved after a refused approval: %+v", c)
	}

	// With a RoleBinding for update on jenkinsservices/approval: allowed.
	grant(t, ctx, ns, "jenkinsservices-approver", bob.name, rbacv1.PolicyRule{
		APIGroups: []string{group},
		Resources: []string{"jenkinsservices/approval"},
		Verbs:     []string{"update"},
	})
	var approved *v1beta.JenkinsService
	if err := poll(ctx, 30*time.Second, func() error {
		cur, err := jss.Get(ctx, js.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		approved, err = jss.UpdateApproval(ctx, js.Name, approve(cur, "approved for the release train"), metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatalf("bob approves with update on jenkinsservices/approval: %v", err)
	}
	c := approvedCondition(approved)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "ApprovedByBob" || c.Message != "approved for the release train" {
		t.Errorf("after approval: Approved condition %+v, want True/ApprovedByBob/approved for the release train", c)
	}
	// The v1alpha view says Approved.
	alpha, err := env.js.CicdV1alpha().JenkinsServices(ns).Get(ctx, js.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if alpha.Status.ApprovalStatus != "Approved" {
		t.Errorf("v1alpha approvalstatus = %q, want Approved", alpha.Status.ApprovalStatus)
	}

	// A user without any binding can do nothing with JenkinsServices.
	carol := mustUser(t, "carol")
	carolJS, _ := clientsFor(t, carol)
	if _, err := carolJS.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("carol lists without a binding: got %v, want 403", err)
	}
}

// TestUnauthenticated: requests without credentials are refused by
// kube-apiserver, and the server itself trusts user headers only from the
// front proxy's certificate.
func TestUnauthenticated(t *testing.T) {
	ctx := testContext(t, time.Minute)
	ns := testNamespace(t)
	path := "/apis/autobusi.group.cicd/v1beta/namespaces/" + ns + "/jenkinsservices"
	body := `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"anon"},"spec":{}}`

	caPool := x509.NewCertPool()
	caPool.AddCert(env.serverCA.cert)
	anon := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool}}}
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		code, text := do(t, ctx, anon, m, env.kubeURL+path, body, nil)
		if code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("anonymous %s %s through kube-apiserver: %d, want 401 or 403\n%s", m, path, code, text)
		}
	}

	// Straight to the server, past kube-apiserver, claiming to be an admin in
	// the front proxy's headers.
	forged := http.Header{"X-Remote-User": {"system:admin"}, "X-Remote-Group": {"system:masters"}}
	serverCA := x509.NewCertPool()
	pem, err := os.ReadFile(filepath.Join(env.deployDir, "certs", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	serverCA.AppendCertsFromPEM(pem)
	direct := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: serverCA, ServerName: cicdService + "." + cicdNamespace + ".svc", Certificates: certs,
		}}}
	}
	url := fmt.Sprintf("https://127.0.0.1:%d%s", env.cicdPort, path)

	// No certificate: the headers are ignored, the request is anonymous.
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		code, text := do(t, ctx, direct(), m, url, body, forged)
		if code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("%s with forged headers and no certificate, straight to the server: %d, want 401 or 403\n%s", m, code, text)
		}
		if strings.Contains(text, "system:admin") {
			t.Errorf("the server took the forged user: %s", text)
		}
	}
	// A client certificate the cluster trusts (not the front proxy's): the
	// request is that user's, not the headers'.
	mallory := mustUser(t, "mallory")
	cert, err := tls.LoadX509KeyPair(mallory.certFile, mallory.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	code, text := do(t, ctx, direct(cert), http.MethodPost, url, body, forged)
	if code != http.StatusForbidden || !strings.Contains(text, `User \"mallory\"`) {
		t.Errorf("POST as mallory with forged headers, straight to the server: %d, want 403 for mallory\n%s", code, text)
	}
	// A certificate of the front proxy's CA whose name is not allowed.
	dir := filepath.Join(env.dir, "pki")
	cf, kf, err := env.frontProxyCA.issue(dir, "evil-proxy", certSpec{cn: "evil-proxy"})
	if err != nil {
		t.Fatal(err)
	}
	evil, err := tls.LoadX509KeyPair(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	code, text = do(t, ctx, direct(evil), http.MethodPost, url, body, forged)
	if code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("POST through a front proxy certificate with a name not allowed: %d, want 401 or 403\n%s", code, text)
	}
	if n, err := countAll(ctx); err != nil || n != 0 {
		t.Errorf("after the refused creates: %d JenkinsServices (%v), want 0", n, err)
	}
}

// TestRequestedBy: the admission plugin records the user kube-apiserver
// authenticated and forwarded, whatever the client claims.
func TestRequestedBy(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	ns := testNamespace(t)
	alice := mustUser(t, "alice")
	grant(t, ctx, ns, "jenkinsservices-editor", alice.name, rbacv1.PolicyRule{
		APIGroups: []string{group}, Resources: []string{"jenkinsservices"}, Verbs: []string{"*"},
	})
	// Alice also claims to be someone else, in the annotation and in the
	// front proxy's headers.
	cfg := alice.config()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			r = r.Clone(r.Context())
			r.Header.Set("X-Remote-User", "mallory")
			r.Header.Set("X-Remote-Group", "system:masters")
			r.Header.Set("X-Remote-Extra-Scopes", "admin")
			return rt.RoundTrip(r)
		})
	}
	aliceJS, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	obj := jenkinsService(ns, "ci", 1)
	obj.Annotations = map[string]string{requestedBy: "mallory"}
	var created *v1beta.JenkinsService
	if err := poll(ctx, 30*time.Second, func() error {
		created, err = aliceJS.CicdV1beta().JenkinsServices(ns).Create(ctx, obj, metav1.CreateOptions{})
		return err
	}); err != nil {
		t.Fatalf("alice creates: %v", err)
	}
	if got := created.Annotations[requestedBy]; got != "alice" {
		t.Errorf("requested-by = %q, want alice", got)
	}
	// v1alpha shows the same annotation.
	alpha, err := env.js.CicdV1alpha().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := alpha.Annotations[requestedBy]; got != "alice" {
		t.Errorf("v1alpha: requested-by = %q, want alice", got)
	}
	// The server that admitted the create saw alice, from the aggregator.
	var users []string
	for _, s := range env.cicd {
		for _, e := range s.events(since) {
			if e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Namespace == ns && e.ResponseStatus != nil && e.ResponseStatus.Code == http.StatusCreated {
				users = append(users, e.User.Username+" "+strings.Join(e.User.Groups, ","))
			}
		}
	}
	if len(users) != 1 || !strings.HasPrefix(users[0], "alice ") || strings.Contains(users[0], "system:masters") {
		t.Errorf("audit: the create was served as %q, want once as alice (not in system:masters)", users)
	}

	// Changing or removing it is refused, and it stays.
	patches := []string{
		`{"metadata":{"annotations":{"autobusi.group.cicd/requested-by":"mallory"}}}`,
		`{"metadata":{"annotations":{"autobusi.group.cicd/requested-by":null}}}`,
	}
	for _, p := range patches {
		_, err := aliceJS.CicdV1beta().JenkinsServices(ns).Patch(ctx, "ci", types.MergePatchType, []byte(p), metav1.PatchOptions{})
		if err == nil || !isClientError(err) {
			t.Errorf("patch %s: got %v, want a 4xx", p, err)
		}
	}
	got, err := env.js.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Annotations[requestedBy]; v != "alice" {
		t.Errorf("after refused changes: requested-by = %q, want alice", v)
	}
}

func isClientError(err error) bool {
	var s apierrors.APIStatus
	if se, ok := err.(apierrors.APIStatus); ok {
		s = se
	} else {
		return false
	}
	code := s.Status().Code
	return code >= 400 && code < 500
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// do sends a request and returns the status code and body.
func do(t *testing.T, ctx context.Context, c *http.Client, method, url, body string, header http.Header) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" && method != http.MethodGet {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// poll calls f until it succeeds or timeout passes, and returns its last error.
func poll(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}
