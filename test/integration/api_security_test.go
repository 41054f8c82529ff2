package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Local mode's authentication: a request without a client certificate, or
// with one from another CA, is 401 Unauthorized (there is no anonymous user).
func TestAPIUnauthenticated(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)

	// A system:masters certificate signed by a CA the server does not trust.
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: "other-ca"}, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := framework.ClientCertPEM(otherCA, otherKey, adminUser, []string{"system:masters"})
	if err != nil {
		t.Fatal(err)
	}
	foreign := shared.AnonymousConfig(framework.JSON)
	foreign.TLSClientConfig.CertData, foreign.TLSClientConfig.KeyData = certPEM, keyPEM

	for _, tc := range []struct {
		name string
		cfg  *rest.Config
	}{
		{"no-certificate", shared.AnonymousConfig(framework.JSON)},
		{"foreign-certificate", foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			httpc := framework.HTTPClient(t, tc.cfg)
			for _, path := range []string{
				"/apis/autobusi.group.cicd/v1beta/namespaces/" + ns + "/jenkinsservices",
				"/apis/autobusi.group.cicd/v1alpha/namespaces/" + ns + "/jenkinsservices/x",
				"/apis",
				"/metrics",
			} {
				if code, _, body := shared.Get(t, httpc, path, "application/json"); code != http.StatusUnauthorized {
					t.Errorf("GET %s: %d, want 401: %s", path, code, body)
				}
			}
			c, err := versioned.NewForConfig(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "anon"}}, metav1.CreateOptions{})
			if !apierrors.IsUnauthorized(err) {
				t.Errorf("create: %v, want 401", err)
			}
			if _, err := c.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsUnauthorized(err) {
				t.Errorf("v1alpha list: %v, want 401", err)
			}
		})
	}
	if _, err := shared.Clientset(t, framework.JSON).CicdV1beta().JenkinsServices(ns).Get(ctx, "anon", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("an unauthenticated create stored an object: %v", err)
	}
}

// Local mode's authorization: a user the server's own CA vouches for but who
// is not in system:masters may do nothing (403), neither read nor write, in
// either version, nor approve, scale or read /metrics.
func TestAPIForbiddenOutsideMasters(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	admin := shared.Clientset(t, framework.JSON)
	existing := createFull(ctx, t, admin.CicdV1beta().JenkinsServices(ns), "guarded")

	for _, tc := range []struct {
		user   string
		groups []string
	}{
		{"bob", []string{"developers"}},
		{"carol", nil},
	} {
		t.Run(tc.user, func(t *testing.T) {
			cfg := shared.ConfigAs(t, framework.JSON, tc.user, tc.groups...)
			c, err := versioned.NewForConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			forbidden := func(what string, err error) {
				t.Helper()
				if !apierrors.IsForbidden(err) || statusCode(err) != 403 {
					t.Errorf("%s as %s: %v (code %d), want 403", what, tc.user, err, statusCode(err))
					return
				}
				if !strings.Contains(err.Error(), `"`+tc.user+`"`) {
					t.Errorf("%s: the 403 does not name the user %s: %v", what, tc.user, err)
				}
			}
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			_, err = beta.List(ctx, metav1.ListOptions{})
			forbidden("v1beta list", err)
			_, err = alpha.Get(ctx, "guarded", metav1.GetOptions{})
			forbidden("v1alpha get", err)
			_, err = beta.Watch(ctx, metav1.ListOptions{})
			forbidden("watch", err)
			_, err = beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "by-" + tc.user}}, metav1.CreateOptions{})
			forbidden("v1beta create", err)
			_, err = alpha.Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "by-" + tc.user}}, metav1.CreateOptions{})
			forbidden("v1alpha create", err)
			upd := existing.DeepCopy()
			upd.Labels = map[string]string{"by": tc.user}
			_, err = beta.Update(ctx, upd, metav1.UpdateOptions{})
			forbidden("update", err)
			deny := existing.DeepCopy()
			deny.Status.Conditions = []metav1.Condition{{Type: conditionApproved, Status: metav1.ConditionFalse, Reason: "No", Message: "no"}}
			_, err = beta.UpdateApproval(ctx, "guarded", deny, metav1.UpdateOptions{})
			forbidden("approval", err)
			_, err = beta.GetScale(ctx, "guarded", metav1.GetOptions{})
			forbidden("get scale", err)
			err = beta.Delete(ctx, "guarded", metav1.DeleteOptions{})
			forbidden("delete", err)
			if code, _, body := shared.Get(t, framework.HTTPClient(t, cfg), "/metrics", "text/plain"); code != http.StatusForbidden {
				t.Errorf("GET /metrics as %s: %d, want 403: %s", tc.user, code, body)
			}
		})
	}
	got, err := admin.CicdV1beta().JenkinsServices(ns).Get(ctx, "guarded", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameV1betaView(t, "after forbidden writes", existing, got, true)
	list, err := admin.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("forbidden creates stored objects: %d items, %v", len(list.Items), err)
	}
}
