//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// TestControllerOtherActors: what other actors do to an approved
// JenkinsService's children, against the real StatefulSet controller and
// server-side apply: a rollout ends Ready only once every instance runs the new
// revision; a removed ownerReference, a changed Service type and a deleted
// Service are put back; then nothing is written; a name one JenkinsService's
// child frees is taken up by the JenkinsService that waited for it.
func TestControllerOtherActors(t *testing.T) {
	ctx := testContext(t, 5*time.Minute)
	ns := testNamespace(t)
	procs := startControllers(t, ctx)
	leader(t, ctx, procs, 30*time.Second)
	beta := env.js.CicdV1beta().JenkinsServices(ns)
	sts := env.kube.AppsV1().StatefulSets(ns)
	svcs := env.kube.CoreV1().Services(ns)
	k := kubectlNS(t, ctx, ns)
	getJS := func() *v1beta.JenkinsService {
		t.Helper()
		js, err := beta.Get(ctx, "ot", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	// rolledOut: Ready=True at the JenkinsService's generation, and the
	// StatefulSet controller agrees that every Pod runs the update revision.
	rolledOut := func() (bool, string) {
		js := getJS()
		ss, err := sts.Get(ctx, "ot", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := ss.Status
		c := readyCondition(js)
		ok := c.Status == metav1.ConditionTrue && js.Status.ObservedGeneration == js.Generation &&
			st.ObservedGeneration == ss.Generation && st.UpdatedReplicas == *ss.Spec.Replicas && st.ReadyReplicas == *ss.Spec.Replicas
		return ok, fmt.Sprintf("Ready %+v; StatefulSet status %+v", c, st)
	}

	if _, err := beta.Create(ctx, jenkinsService(ns, "ot", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setApproval(t, ctx, ns, "ot", metav1.ConditionTrue, "ApprovedByE2E")
	kubeletCtx, stopKubelet := context.WithCancel(ctx)
	kubeletDone := make(chan struct{})
	go func() { defer close(kubeletDone); runKubelet(kubeletCtx, ns) }()
	t.Cleanup(func() { stopKubelet(); <-kubeletDone })
	eventually(t, ctx, time.Minute, "Ready=True, 2 instances rolled out", rolledOut)

	// A rollout: Ready=False Updating while old instances run, True when done.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		js := getJS()
		js.Spec.Image = "jenkins/jenkins:2.500-lts"
		_, err := beta.Update(ctx, js, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 2*time.Minute, "the image rolled out, then Ready=True", rolledOut)
	events := k("get", "events", "--field-selector", "involvedObject.name=ot", "-o", "jsonpath={range .items[*]}{.reason} {.message}{\"\\n\"}{end}")
	if !strings.Contains(events, "Updating Ready=False: 2 of 2 instances running; ") {
		t.Errorf("no Updating Event during the rollout:\n%s", events)
	}
	t.Logf("Events of ot:\n%s", events)

	// The ownerReference removed by hand: adopted again.
	k("patch", "statefulset", "ot", "--type=json", "-p", `[{"op":"remove","path":"/metadata/ownerReferences"}]`)
	eventually(t, ctx, time.Minute, "the StatefulSet's ownerReference put back", func() (bool, string) {
		ss, err := sts.Get(ctx, "ot", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ref := metav1.GetControllerOf(ss)
		return ref != nil && ref.Kind == "JenkinsService" && ref.Name == "ot", fmt.Sprintf("%+v", ss.OwnerReferences)
	})

	// The Service made a NodePort by hand: a ClusterIP Service again.
	k("patch", "service", "ot", "--type=merge", "-p", `{"spec":{"type":"NodePort"}}`)
	eventually(t, ctx, time.Minute, "Service ot a ClusterIP Service again", func() (bool, string) {
		svc, err := svcs.Get(ctx, "ot", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return svc.Spec.Type == corev1.ServiceTypeClusterIP && svc.Spec.Ports[0].NodePort == 0, fmt.Sprintf("%s %+v", svc.Spec.Type, svc.Spec.Ports)
	})

	// The headless Service deleted: made again.
	old, err := svcs.Get(ctx, "ot-headless", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k("delete", "service", "ot-headless")
	eventually(t, ctx, time.Minute, "Service ot-headless made again", func() (bool, string) {
		svc, err := svcs.Get(ctx, "ot-headless", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return svc.UID != old.UID && svc.Spec.ClusterIP == corev1.ClusterIPNone, string(svc.UID)
	})

	// A Pod's managed-by label removed by hand: the StatefulSet still runs
	// it (its selector has the other two labels), so it is still an instance.
	k("label", "pod", "ot-0", "app.kubernetes.io/managed-by-")
	time.Sleep(3 * time.Second)
	if js := getJS(); len(js.Status.Instances) != 2 || !js.Status.Instances[0].Running || readyCondition(js).Status != metav1.ConditionTrue {
		t.Errorf("after removing ot-0's managed-by label: instances %+v, Ready %+v", js.Status.Instances, readyCondition(js))
	}

	// Settled: 10 s without a write.
	eventually(t, ctx, time.Minute, "settled", rolledOut)
	rvs := func() string {
		ss, err1 := sts.Get(ctx, "ot", metav1.GetOptions{})
		a, err2 := svcs.Get(ctx, "ot", metav1.GetOptions{})
		h, err3 := svcs.Get(ctx, "ot-headless", metav1.GetOptions{})
		js, err4 := beta.Get(ctx, "ot", metav1.GetOptions{})
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatalf("reading the objects: %v %v %v %v", err1, err2, err3, err4)
		}
		return fmt.Sprintf("statefulset %s service %s headless %s js %s", ss.ResourceVersion, a.ResourceVersion, h.ResourceVersion, js.ResourceVersion)
	}
	next := leader(t, ctx, procs, 5*time.Second)
	applies := func() string {
		return next.metric(`cicd_controller_writes_total{kind="StatefulSet",verb="apply"}`) + " " +
			next.metric(`cicd_controller_writes_total{kind="JenkinsService",verb="updateStatus"}`)
	}
	before, beforeWrites := rvs(), applies()
	time.Sleep(10 * time.Second)
	if after := rvs(); after != before {
		t.Errorf("resourceVersions changed in a steady state:\n  before %s\n  after  %s", before, after)
	}
	if after := applies(); after != beforeWrites {
		t.Errorf("the controller wrote in a steady state: %s, then %s", beforeWrites, after)
	}

	// JenkinsService ot-headless needs the name of ot's headless Service for
	// its ClusterIP Service: Conflict, then it runs once ot and its children go.
	if _, err := beta.Create(ctx, jenkinsService(ns, "ot-headless", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setApproval(t, ctx, ns, "ot-headless", metav1.ConditionTrue, "ApprovedByE2E")
	readyOf := func(name string) (metav1.Condition, string) {
		js, err := beta.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return metav1.Condition{}, err.Error()
		}
		c := readyCondition(js)
		return c, fmt.Sprintf("%+v", c)
	}
	eventually(t, ctx, time.Minute, "ot-headless in Conflict over Service ot-headless", func() (bool, string) {
		c, s := readyOf("ot-headless")
		return c.Reason == "Conflict" && strings.Contains(c.Message, "Service ot-headless"), s
	})
	if err := beta.Delete(ctx, "ot", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 2*time.Minute, "ot-headless runs once the name is free", func() (bool, string) {
		c, s := readyOf("ot-headless")
		svc, err := svcs.Get(ctx, "ot-headless", metav1.GetOptions{})
		if err != nil {
			return false, s + " " + err.Error()
		}
		ref := metav1.GetControllerOf(svc)
		return c.Status == metav1.ConditionTrue && ref != nil && ref.Name == "ot-headless", fmt.Sprintf("%s; Service ot-headless controlled by %+v", s, ref)
	})

	// Created and approved through v1alpha: run the same, read the same.
	alpha := env.js.CicdV1alpha().JenkinsServices(ns)
	if _, err := alpha.Create(ctx, &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "old"},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 3},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a, err := alpha.Get(ctx, "old", metav1.GetOptions{})
		if err != nil {
			return err
		}
		a.Status.ApprovalStatus = v1alpha.ApprovalApproved
		_, err = alpha.UpdateApproval(ctx, "old", a, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, time.Minute, "v1alpha old: 2 instances of 3 CPUs running, Ready=True", func() (bool, string) {
		a, err := alpha.Get(ctx, "old", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c, s := readyOf("old")
		running := 0
		for _, in := range a.Status.Instances {
			if in.Running && in.Cpu == 3 {
				running++
			}
		}
		return c.Status == metav1.ConditionTrue && running == 2 && a.Status.ApprovalStatus == v1alpha.ApprovalApproved,
			fmt.Sprintf("%s; v1alpha status %+v", s, a.Status)
	})
	if ss, err := sts.Get(ctx, "old", metav1.GetOptions{}); err != nil || *ss.Spec.Replicas != 2 ||
		ss.Spec.Template.Spec.Containers[0].Resources.Limits.Cpu().String() != "3" || ss.Spec.Template.Spec.Containers[0].Image != "jenkins/jenkins:lts" {
		t.Errorf("StatefulSet old: %v %+v", err, ss)
	}
}
