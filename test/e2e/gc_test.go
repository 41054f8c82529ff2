//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

// TestGarbageCollection: kube-controller-manager's garbage collector follows
// ownerReferences to JenkinsServices through the aggregated API, in either
// version: dependents of a deleted JenkinsService go (background and
// foreground deletion), and orphaned ones stay, without the reference.
func TestGarbageCollection(t *testing.T) {
	ctx := testContext(t, 5*time.Minute)
	ns := testNamespace(t)
	jss := env.js.CicdV1beta().JenkinsServices(ns)
	cms := env.kube.CoreV1().ConfigMaps(ns)

	owned := func(name, ownerVersion string, owner metav1.Object, block bool) {
		t.Helper()
		ref := metav1.OwnerReference{
			APIVersion: group + "/" + ownerVersion, Kind: "JenkinsService",
			Name: owner.GetName(), UID: owner.GetUID(),
		}
		if block {
			ref.BlockOwnerDeletion = ptr.To(true)
		}
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: name, OwnerReferences: []metav1.OwnerReference{ref},
		}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(what string, get func() error, timeout time.Duration) {
		t.Helper()
		start := time.Now()
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
			return apierrors.IsNotFound(get()), nil
		})
		if err != nil {
			t.Errorf("%s still there after %s", what, timeout)
			return
		}
		t.Logf("%s gone after %s", what, time.Since(start).Round(100*time.Millisecond))
	}
	cmGetter := func(name string) func() error {
		return func() error { _, err := cms.Get(ctx, name, metav1.GetOptions{}); return err }
	}

	// Background: the owner goes at once, the dependents after it.
	bg, err := jss.Create(ctx, jenkinsService(ns, "background", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned("bg-beta", "v1beta", bg, false)
	owned("bg-alpha", "v1alpha", bg, false)
	if err := jss.Delete(ctx, bg.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	// The collector may first have to find the group in discovery (it
	// rereads discovery every 30s).
	gone("ConfigMap bg-beta (owner referenced in v1beta)", cmGetter("bg-beta"), 2*time.Minute)
	gone("ConfigMap bg-alpha (owner referenced in v1alpha)", cmGetter("bg-alpha"), time.Minute)

	// Foreground: the owner waits, with the foregroundDeletion finalizer,
	// until its blocking dependents are gone.
	fg, err := jss.Create(ctx, jenkinsService(ns, "foreground", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned("fg", "v1beta", fg, true)
	if err := jss.Delete(ctx, fg.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)}); err != nil {
		t.Fatal(err)
	}
	gone("ConfigMap fg", cmGetter("fg"), time.Minute)
	gone("JenkinsService foreground", func() error { _, err := jss.Get(ctx, fg.Name, metav1.GetOptions{}); return err }, time.Minute)

	// Orphan: the dependent stays, without its ownerReference.
	or, err := jss.Create(ctx, jenkinsService(ns, "orphan", 1), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned("orphaned", "v1beta", or, false)
	if err := jss.Delete(ctx, or.Name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatal(err)
	}
	gone("JenkinsService orphan", func() error { _, err := jss.Get(ctx, or.Name, metav1.GetOptions{}); return err }, time.Minute)
	var cm *corev1.ConfigMap
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		cm, err = cms.Get(ctx, "orphaned", metav1.GetOptions{})
		return err == nil && len(cm.OwnerReferences) == 0, nil
	})
	if err != nil {
		t.Errorf("orphaned ConfigMap: %v, ownerReferences %+v; want it kept without them", err, cm)
	}
}
