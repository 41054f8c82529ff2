package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
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

// TestReadyWaitsForTheRollout: after a spec change, Ready is not True while
// instances still run the former revision, though they are ready.
func TestReadyWaitsForTheRollout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 2, metav1.ConditionTrue))
	f.converge("ci")
	revision := func(rev string, gen int64) {
		t.Helper()
		ss := f.statefulSet("ci")
		ss.Generation = gen
		ss.Status = appsv1.StatefulSetStatus{ObservedGeneration: gen, UpdateRevision: rev, CurrentRevision: rev}
		if _, err := f.kube.AppsV1().StatefulSets(ns).UpdateStatus(ctx, ss, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setPods := func(rev string) {
		t.Helper()
		for i := range 2 {
			p := pod("ci", i, true)
			p.Labels[appsv1.ControllerRevisionHashLabelKey] = rev
			if _, err := f.kube.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
				_, err = f.kube.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	revision("r1", 1)
	setPods("r1")
	f.refresh()
	f.converge("ci")
	if r := ready(f.js("ci")); r.Status != metav1.ConditionTrue || r.Message != "2 of 2 instances running" {
		t.Fatalf("Ready = %+v, want True 2 of 2 instances running", r)
	}

	// The image changes: the sync that applies the template does not call
	// the old instances Ready at the new generation.
	updateSpec(t, f, "ci", func(js *v1beta.JenkinsService) { js.Spec.Image = "jenkins/jenkins:2.500-lts" })
	f.sync("ci")
	js := f.js("ci")
	if r := ready(js); r.Status != metav1.ConditionFalse || r.Reason != ReasonUpdating || js.Status.ObservedGeneration != 2 {
		t.Errorf("Ready while applying = %+v (observedGeneration %d), want False Updating", r, js.Status.ObservedGeneration)
	}
	// The StatefulSet controller has the new revision; the Pods are the old one.
	revision("r2", 2)
	f.refresh()
	f.converge("ci")
	if r := ready(f.js("ci")); r.Status != metav1.ConditionFalse || r.Reason != ReasonUpdating ||
		r.Message != "2 of 2 instances running; 0 of 2 instances updated" {
		t.Errorf("Ready with old Pods = %+v, want False Updating 2 of 2 instances running; 0 of 2 instances updated", r)
	}
	setPods("r2")
	f.refresh()
	f.converge("ci")
	if r := ready(f.js("ci")); r.Status != metav1.ConditionTrue || r.Message != "2 of 2 instances running" {
		t.Errorf("Ready rolled out = %+v, want True 2 of 2 instances running", r)
	}
}

// TestStatusWrittenByOthers: instances and Ready written by someone else are
// put back at the next sync; their other conditions stay, and the Ready
// condition's lastTransitionTime moves only with its status.
func TestStatusWrittenByOthers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 1, metav1.ConditionTrue))
	f.converge("ci")
	if _, err := f.kube.CoreV1().Pods(ns).Create(ctx, pod("ci", 0, false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.converge("ci")
	before := ready(f.js("ci"))
	if before.Status != metav1.ConditionFalse || before.Reason != ReasonProvisioning {
		t.Fatalf("Ready = %+v, want False Provisioning", before)
	}

	// Someone else: a wrong instance list, a Ready reason of theirs and a
	// condition of their own.
	js := f.js("ci")
	js.Status.Instances = []v1beta.JenkinsServerInstance{{Name: "ci-9", Running: true}}
	for i := range js.Status.Conditions {
		if js.Status.Conditions[i].Type == "Ready" {
			js.Status.Conditions[i].Reason, js.Status.Conditions[i].Message = "Theirs", "theirs"
		}
	}
	js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{
		Type: "Backup", Status: metav1.ConditionTrue, Reason: "Done", LastTransitionTime: metav1.Now(),
	})
	if _, err := f.cicd.CicdV1beta().JenkinsServices(ns).UpdateStatus(ctx, js, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	if got := fmt.Sprint(describe(f.sync("ci"))); got != "[update jenkinsservices/status ci]" {
		t.Errorf("writes = %s, want the status put back", got)
	}
	js = f.js("ci")
	if got := fmt.Sprint(instances(js)); got != "[ci-0/1500m/false]" {
		t.Errorf("instances = %s, want [ci-0/1500m/false]", got)
	}
	after := ready(js)
	if after.Reason != ReasonProvisioning || !after.LastTransitionTime.Equal(&before.LastTransitionTime) {
		t.Errorf("Ready = %+v, want Provisioning with lastTransitionTime %v", after, before.LastTransitionTime)
	}
	var backup bool
	for _, c := range js.Status.Conditions {
		backup = backup || c.Type == "Backup"
	}
	if !backup {
		t.Errorf("the Backup condition of someone else was dropped: %+v", js.Status.Conditions)
	}
	if w := f.sync("ci"); len(w) != 0 {
		t.Errorf("writes in the steady state after: %v", describe(w))
	}
}

// TestEnqueueService: the controller's own Service, coming or going, enqueues
// its JenkinsService and the one whose child's name it has (JenkinsService
// ci-headless waits in Conflict for the headless Service of ci to go).
func TestEnqueueService(t *testing.T) {
	f := newFixture(t, nil)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ci-headless", Namespace: ns, Labels: cicd.InstanceLabels("ci")}}
	f.c.enqueueService(cache.DeletedFinalStateUnknown{Key: ns + "/ci-headless", Obj: svc})
	got := f.queued()
	if want := []string{ns + "/ci", ns + "/ci-headless"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("enqueued %v, want %v", got, want)
	}
}

// TestHandEditKeepsReady: putting back a hand edit of the StatefulSet while
// every instance runs the current spec leaves Ready alone (no status write).
func TestHandEditKeepsReady(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 1, metav1.ConditionTrue))
	f.converge("ci")
	if _, err := f.kube.CoreV1().Pods(ns).Create(ctx, pod("ci", 0, true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.converge("ci")
	before := ready(f.js("ci"))
	if before.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %+v, want True", before)
	}
	ss := f.statefulSet("ci")
	ss.Spec.Replicas = ptr.To[int32](7)
	if _, err := f.kube.AppsV1().StatefulSets(ns).Update(ctx, ss, metav1.UpdateOptions{FieldManager: "kubectl-scale"}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	if got := fmt.Sprint(describe(f.sync("ci"))); got != "[patch statefulsets ci]" {
		t.Errorf("writes = %s, want only the StatefulSet put back", got)
	}
	if r := ready(f.js("ci")); r != before {
		t.Errorf("Ready = %+v, want unchanged %+v", r, before)
	}
}

// TestPodWithoutManagedByLabel: a Pod of its StatefulSet whose managed-by
// label was removed by hand is still an instance (the StatefulSet selects it
// by the other two labels and keeps running it).
func TestPodWithoutManagedByLabel(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, jenkins("ci", 1, metav1.ConditionTrue))
	f.converge("ci")
	p := pod("ci", 0, true)
	delete(p.Labels, cicd.LabelManagedBy)
	if _, err := f.kube.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	f.converge("ci")
	js := f.js("ci")
	if got := fmt.Sprint(instances(js)); got != "[ci-0/1500m/true]" {
		t.Errorf("instances = %s, want [ci-0/1500m/true]", got)
	}
	if r := ready(js); r.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v, want True", r)
	}
}
