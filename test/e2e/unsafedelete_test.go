//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestUnsafeDeleteRBAC: the unsafe delete of an undecodable object
// (ignoreStoreReadErrorWithClusterBreakingPotential) takes, on top of delete,
// the verb unsafe-delete-ignore-read-errors on jenkinsservices, through the
// aggregator's delegated authorization. The check comes before the storage
// is read, so a good object shows it without corrupting the shared etcd:
// without the verb 403 naming it; with it the request reaches the store,
// which refuses to unsafely delete a decodable object (409).
func TestUnsafeDeleteRBAC(t *testing.T) {
	ctx := testContext(t, 3*time.Minute)
	ns := testNamespace(t)
	if _, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, "ci", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleter, fixer := mustUser(t, "erin"), mustUser(t, "fay")
	grant(t, ctx, ns, "jenkinsservices-deleter", deleter.name, rbacv1.PolicyRule{
		APIGroups: []string{group}, Resources: []string{"jenkinsservices"}, Verbs: []string{"get", "delete"},
	})
	grant(t, ctx, ns, "jenkinsservices-unsafe-deleter", fixer.name, rbacv1.PolicyRule{
		APIGroups: []string{group}, Resources: []string{"jenkinsservices"}, Verbs: []string{"get", "delete", "unsafe-delete-ignore-read-errors"},
	})
	unsafe := metav1.DeleteOptions{IgnoreStoreReadErrorWithClusterBreakingPotential: ptr.To(true)}

	deleterJS, _ := clientsFor(t, deleter)
	var err error
	// RBAC changes reach the servers' SubjectAccessReview cache within its TTL.
	if err := poll(ctx, 30*time.Second, func() error {
		_, err := deleterJS.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
		return err
	}); err != nil {
		t.Fatalf("erin reads with her role: %v", err)
	}
	err = deleterJS.CicdV1beta().JenkinsServices(ns).Delete(ctx, "ci", unsafe)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "unsafe-delete-ignore-read-errors") {
		t.Errorf("unsafe delete without the verb: %v, want 403 naming unsafe-delete-ignore-read-errors", err)
	}

	fixerJS, _ := clientsFor(t, fixer)
	if err := poll(ctx, 30*time.Second, func() error {
		_, err := fixerJS.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
		return err
	}); err != nil {
		t.Fatalf("fay reads with her role: %v", err)
	}
	err = fixerJS.CicdV1alpha().JenkinsServices(ns).Delete(ctx, "ci", unsafe)
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "decodable") {
		t.Errorf("unsafe delete of a good object with the verb: %v, want 409 (the object is decodable)", err)
	}
	if _, err := env.js.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{}); err != nil {
		t.Errorf("the good object after the refused unsafe deletes: %v", err)
	}
}
