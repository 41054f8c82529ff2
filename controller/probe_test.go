package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// TestAdoptsOrphans: a child the controller applied whose controller reference
// someone removed is put back under the JenkinsService (so the garbage
// collector removes it with it), not reported as a Conflict.
func TestAdoptsOrphans(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 1, metav1.ConditionTrue))
	f.converge("ci")

	ss := f.statefulSet("ci")
	ss.OwnerReferences = nil
	if _, err := f.kube.AppsV1().StatefulSets(ns).Update(ctx, ss, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	svc, err := f.kube.CoreV1().Services(ns).Get(ctx, "ci-headless", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.OwnerReferences = nil
	if _, err := f.kube.CoreV1().Services(ns).Update(ctx, svc, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	f.refresh()

	if got, want := fmt.Sprint(describe(f.sync("ci"))), "[patch statefulsets ci patch services ci-headless]"; got != want {
		t.Errorf("writes = %s, want %s", got, want)
	}
	checkOwned(t, f.statefulSet("ci").ObjectMeta)
	svc, err = f.kube.CoreV1().Services(ns).Get(ctx, "ci-headless", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkOwned(t, svc.ObjectMeta)
	if r := ready(f.js("ci")); r.Reason == ReasonConflict {
		t.Errorf("Ready = %+v, want no Conflict", r)
	}
	if w := f.sync("ci"); len(w) != 0 {
		t.Errorf("writes after the adoption: %v", describe(w))
	}

	// Denied, the orphan of its own is deleted like an owned child.
	ss = f.statefulSet("ci")
	ss.OwnerReferences = nil
	if _, err := f.kube.AppsV1().StatefulSets(ns).Update(ctx, ss, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	setApproval(t, f, "ci", metav1.ConditionFalse)
	got := strings.Join(describe(f.sync("ci")), "\n")
	if !strings.Contains(got, "delete statefulsets ci") {
		t.Errorf("writes when denied:\n%s\nwant the orphaned StatefulSet deleted", got)
	}
}

// TestInstancesArePodsOfItsStatefulSet: a Pod with the instance labels and an
// instance's name that the StatefulSet does not control is no instance.
func TestInstancesArePodsOfItsStatefulSet(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 2, metav1.ConditionTrue))
	f.converge("ci")
	owned := pod("ci", 0, true)
	bare := pod("ci", 1, true)
	bare.OwnerReferences = nil
	other := pod("ci", 2, true) // the labels, but another StatefulSet's
	other.OwnerReferences[0].Name = "ci-x"
	for _, p := range []*corev1.Pod{owned, bare, other} {
		if _, err := f.kube.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.refresh()
	f.sync("ci")
	js := f.js("ci")
	if got, want := fmt.Sprint(instances(js)), "[ci-0/1500m/true]"; got != want {
		t.Errorf("instances = %s, want %s", got, want)
	}
	if r := ready(js); r.Status != metav1.ConditionFalse || r.Message != "1 of 2 instances running" {
		t.Errorf("Ready = %+v, want False 1 of 2 instances running", r)
	}
}

// TestScaleDownReady: after a scale down, the instance being removed is listed
// while it terminates but does not keep Ready False nor count as running.
func TestScaleDownReady(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 3, metav1.ConditionTrue))
	f.converge("ci")
	for i := range 3 {
		if _, err := f.kube.CoreV1().Pods(ns).Create(ctx, pod("ci", i, true), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.refresh()
	f.converge("ci")
	if r := ready(f.js("ci")); r.Status != metav1.ConditionTrue || r.Message != "3 of 3 instances running" {
		t.Fatalf("Ready = %+v, want True 3 of 3", r)
	}
	updateSpec(t, f, "ci", func(js *v1beta.JenkinsService) { js.Spec.Replicas = ptr.To[int32](2) })
	f.converge("ci")
	// ci-2 still runs: the StatefulSet controller has not removed it yet.
	if r := ready(f.js("ci")); r.Status != metav1.ConditionTrue || r.Message != "2 of 2 instances running" {
		t.Errorf("Ready with ci-2 still running = %+v, want True 2 of 2 instances running", r)
	}
	// ci-2 terminates.
	p := pod("ci", 2, true)
	p.DeletionTimestamp = ptr.To(metav1.Now())
	p.Finalizers = []string{"test/hold"}
	if _, err := f.kube.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.converge("ci")
	js := f.js("ci")
	if r := ready(js); r.Status != metav1.ConditionTrue || r.Message != "2 of 2 instances running" {
		t.Errorf("Ready with ci-2 terminating = %+v, want True 2 of 2 instances running", r)
	}
	if got, want := fmt.Sprint(instances(js)), "[ci-0/1500m/true ci-1/1500m/true ci-2/1500m/false]"; got != want {
		t.Errorf("instances = %s, want %s", got, want)
	}
}
