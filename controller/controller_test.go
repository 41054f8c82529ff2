package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/metadata/metadatainformer"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	cicdfake "github.com/autobusi/cicd-apiserver/generated/clientset/versioned/fake"
	cicdinformers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
)

const ns = "team-a"

// fixture is a controller on fake clientsets whose informers are not started:
// refresh copies what the fakes hold into the listers, as the informers would.
type fixture struct {
	t        *testing.T
	kube     *kubefake.Clientset
	cicd     *cicdfake.Clientset
	c        *Controller
	recorder *events.FakeRecorder
	indexers struct{ js, ss, svc, pod, ssNames, svcNames cache.Indexer }
}

func newFixture(t *testing.T, js *v1beta.JenkinsService, kubeObjs ...runtime.Object) *fixture {
	t.Helper()
	f := &fixture{t: t, kube: kubefake.NewClientset(kubeObjs...), recorder: events.NewFakeRecorder(100)}
	if js != nil {
		f.cicd = cicdfake.NewClientset(js)
	} else {
		f.cicd = cicdfake.NewClientset()
	}
	ki := informers.NewSharedInformerFactory(f.kube, 0)
	ci := cicdinformers.NewSharedInformerFactory(f.cicd, 0)
	mi := metadatainformer.NewSharedInformerFactory(metadatafake.NewSimpleMetadataClient(runtime.NewScheme()), 0)
	inf := Informers{
		JenkinsServices: ci.Cicd().V1beta().JenkinsServices(), StatefulSets: ki.Apps().V1().StatefulSets(),
		Services: ki.Core().V1().Services(), Pods: ki.Core().V1().Pods(),
		StatefulSetNames: mi.ForResource(appsv1.SchemeGroupVersion.WithResource("statefulsets")),
		ServiceNames:     mi.ForResource(corev1.SchemeGroupVersion.WithResource("services")),
	}
	var err error
	f.c, err = New(f.kube, f.cicd, inf, f.recorder, resource.MustParse("8Gi"))
	if err != nil {
		t.Fatal(err)
	}
	f.indexers.js, f.indexers.ss = inf.JenkinsServices.Informer().GetIndexer(), inf.StatefulSets.Informer().GetIndexer()
	f.indexers.svc, f.indexers.pod = inf.Services.Informer().GetIndexer(), inf.Pods.Informer().GetIndexer()
	f.indexers.ssNames, f.indexers.svcNames = inf.StatefulSetNames.Informer().GetIndexer(), inf.ServiceNames.Informer().GetIndexer()
	f.refresh()
	return f
}

// refresh puts what the fake clientsets hold into the listers; those of
// StatefulSets and Services hold only what carries the controller's label,
// Pods what podSelector selects, and the metadata listers every other
// StatefulSet and Service: run.go's selectors.
func (f *fixture) refresh() {
	f.t.Helper()
	ctx := context.Background()
	ours := metav1.ListOptions{LabelSelector: ownSelector}
	others := metav1.ListOptions{LabelSelector: otherSelector}
	var jsObjs, ssObjs, svcObjs, podObjs, ssNames, svcNames []any
	otherSS, err := f.kube.AppsV1().StatefulSets(ns).List(ctx, others)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range otherSS.Items {
		ssNames = append(ssNames, &metav1.PartialObjectMetadata{ObjectMeta: otherSS.Items[i].ObjectMeta})
	}
	otherSvc, err := f.kube.CoreV1().Services(ns).List(ctx, others)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range otherSvc.Items {
		svcNames = append(svcNames, &metav1.PartialObjectMetadata{ObjectMeta: otherSvc.Items[i].ObjectMeta})
	}
	jsl, err := f.cicd.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range jsl.Items {
		jsObjs = append(jsObjs, &jsl.Items[i])
	}
	ssl, err := f.kube.AppsV1().StatefulSets(ns).List(ctx, ours)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range ssl.Items {
		ssObjs = append(ssObjs, &ssl.Items[i])
	}
	svcl, err := f.kube.CoreV1().Services(ns).List(ctx, ours)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range svcl.Items {
		svcObjs = append(svcObjs, &svcl.Items[i])
	}
	podl, err := f.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: podSelector})
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range podl.Items {
		podObjs = append(podObjs, &podl.Items[i])
	}
	for _, r := range []struct {
		idx  cache.Indexer
		objs []any
	}{{f.indexers.js, jsObjs}, {f.indexers.ss, ssObjs}, {f.indexers.svc, svcObjs}, {f.indexers.pod, podObjs},
		{f.indexers.ssNames, ssNames}, {f.indexers.svcNames, svcNames}} {
		if err := r.idx.Replace(r.objs, ""); err != nil {
			f.t.Fatal(err)
		}
	}
}

// sync runs one reconciliation of team-a/name and returns the writes it made
// (create, update, patch/apply, delete) to either clientset.
func (f *fixture) sync(name string) []clienttesting.Action {
	f.t.Helper()
	f.kube.ClearActions()
	f.cicd.ClearActions()
	if err := f.c.sync(context.Background(), ns+"/"+name); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
	var w []clienttesting.Action
	for _, a := range append(f.kube.Actions(), f.cicd.Actions()...) {
		switch a.GetVerb() {
		case "get", "list", "watch":
		default:
			w = append(w, a)
		}
	}
	f.refresh()
	return w
}

// converge syncs until a sync writes nothing (at most 5 times).
func (f *fixture) converge(name string) {
	f.t.Helper()
	for range 5 {
		if len(f.sync(name)) == 0 {
			return
		}
	}
	f.t.Fatalf("no steady state after 5 syncs")
}

func (f *fixture) js(name string) *v1beta.JenkinsService {
	f.t.Helper()
	js, err := f.cicd.CicdV1beta().JenkinsServices(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return js
}

func (f *fixture) statefulSet(name string) *appsv1.StatefulSet {
	f.t.Helper()
	ss, err := f.kube.AppsV1().StatefulSets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return ss
}

func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// describe names the writes as "verb resource[/subresource] name".
func describe(actions []clienttesting.Action) []string {
	var out []string
	for _, a := range actions {
		r := a.GetResource().Resource
		if s := a.GetSubresource(); s != "" {
			r += "/" + s
		}
		name := ""
		switch a := a.(type) {
		case clienttesting.DeleteAction:
			name = a.GetName()
		case clienttesting.PatchAction:
			name = a.GetName()
		case clienttesting.UpdateAction: // and CreateAction, the same interface
			name = a.GetObject().(metav1.Object).GetName()
		}
		out = append(out, a.GetVerb()+" "+r+" "+name)
	}
	return out
}

// jenkins is a JenkinsService as the server stores it, defaulted, with the
// given approval ("" pending, "True" approved, "False" denied).
func jenkins(name string, replicas int32, approvedStatus metav1.ConditionStatus) *v1beta.JenkinsService {
	js := &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), Generation: 1, ResourceVersion: "1"},
		Spec: v1beta.JenkinsServiceSpec{
			Replicas: ptr.To(replicas),
			Resources: v1beta.JenkinsServiceResources{
				CPU: ptr.To(resource.MustParse("1500m")), Memory: ptr.To(resource.MustParse("4Gi")),
			},
			Image: "jenkins/jenkins:2.462.3-lts",
		},
	}
	if approvedStatus != "" {
		js.Status.Conditions = []metav1.Condition{{
			Type: cicd.ConditionApproved, Status: approvedStatus, Reason: "ByAdmin", LastTransitionTime: metav1.Now(),
		}}
	}
	return js
}

func setApproval(t *testing.T, f *fixture, name string, s metav1.ConditionStatus) {
	t.Helper()
	js := f.js(name)
	meta.SetStatusCondition(&js.Status.Conditions, metav1.Condition{Type: cicd.ConditionApproved, Status: s, Reason: "ByAdmin"})
	if _, err := f.cicd.CicdV1beta().JenkinsServices(ns).UpdateStatus(context.Background(), js, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
}

func updateSpec(t *testing.T, f *fixture, name string, mutate func(*v1beta.JenkinsService)) {
	t.Helper()
	js := f.js(name)
	mutate(js)
	js.Generation++
	if _, err := f.cicd.CicdV1beta().JenkinsServices(ns).Update(context.Background(), js, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
}

// pod is the instance Pod name-<ordinal> as the StatefulSet controller makes
// it, ready or not.
func pod(name string, ordinal int, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", name, ordinal), Namespace: ns, Labels: cicd.InstanceLabels(name),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: name, Controller: ptr.To(true)}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: containerName, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func ready(js *v1beta.JenkinsService) metav1.Condition {
	c := meta.FindStatusCondition(js.Status.Conditions, cicd.ConditionReady)
	if c == nil {
		return metav1.Condition{}
	}
	return *c
}

func TestSync(t *testing.T) {
	tests := []struct {
		name string
		// js is the object; nil when none exists.
		js *v1beta.JenkinsService
		// before runs on the fixture before the sync under test.
		before func(t *testing.T, f *fixture)
		// writes are the writes the sync under test makes.
		writes []string
		// check looks at the result.
		check func(t *testing.T, f *fixture)
	}{{
		name:   "pending: nothing is created, Ready=False PendingApproval",
		js:     jenkins("ci", 2, ""),
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			r := ready(f.js("ci"))
			if r.Status != metav1.ConditionFalse || r.Reason != ReasonPendingApproval {
				t.Errorf("Ready = %+v, want False/PendingApproval", r)
			}
			if got := f.js("ci").Status.ObservedGeneration; got != 1 {
				t.Errorf("observedGeneration = %d, want 1", got)
			}
		},
	}, {
		name:   "pending with Unknown: nothing is created",
		js:     jenkins("ci", 2, metav1.ConditionUnknown),
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js("ci")); r.Reason != ReasonPendingApproval {
				t.Errorf("Ready = %+v, want PendingApproval", r)
			}
		},
	}, {
		name: "approved: a StatefulSet and two Services, server-side applied",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		writes: []string{
			"patch statefulsets ci", "patch services ci-headless", "patch services ci",
			"update jenkinsservices/status ci",
		},
		check: func(t *testing.T, f *fixture) {
			ss := f.statefulSet("ci")
			if *ss.Spec.Replicas != 2 || ss.Spec.ServiceName != "ci-headless" {
				t.Errorf("replicas %d, serviceName %q; want 2, ci-headless", *ss.Spec.Replicas, ss.Spec.ServiceName)
			}
			checkOwned(t, ss.ObjectMeta)
			c := ss.Spec.Template.Spec.Containers[0]
			if c.Name != "jenkins" || c.Image != "jenkins/jenkins:2.462.3-lts" {
				t.Errorf("container %s %s", c.Name, c.Image)
			}
			for what, rl := range map[string]corev1.ResourceList{"requests": c.Resources.Requests, "limits": c.Resources.Limits} {
				if rl.Cpu().String() != "1500m" || rl.Memory().String() != "4Gi" {
					t.Errorf("%s = %v, want cpu 1500m memory 4Gi", what, rl)
				}
			}
			if len(c.Ports) != 2 || c.Ports[0].ContainerPort != 8080 || c.Ports[1].ContainerPort != 50000 {
				t.Errorf("ports = %+v, want 8080 and 50000", c.Ports)
			}
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/login" {
				t.Errorf("readiness probe = %+v, want GET /login", p)
			}
			if len(ss.Spec.VolumeClaimTemplates) != 1 {
				t.Fatalf("volumeClaimTemplates = %+v", ss.Spec.VolumeClaimTemplates)
			}
			claim := ss.Spec.VolumeClaimTemplates[0]
			if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; claim.Name != homeVolume || q.String() != "8Gi" {
				t.Errorf("claim %s of %s, want jenkins-home of 8Gi", claim.Name, q.String())
			}
			if pol := ss.Spec.PersistentVolumeClaimRetentionPolicy; pol == nil ||
				pol.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType || pol.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
				t.Errorf("claim retention = %+v, want Retain/Retain", pol)
			}
			for _, sel := range []map[string]string{ss.Spec.Selector.MatchLabels, ss.Spec.Template.Labels} {
				for k, v := range cicd.SelectorLabels("ci") {
					if sel[k] != v {
						t.Errorf("labels %v lack %s=%s", sel, k, v)
					}
				}
			}
			for _, n := range []string{"ci", "ci-headless"} {
				svc, err := f.kube.CoreV1().Services(ns).Get(context.Background(), n, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				checkOwned(t, svc.ObjectMeta)
				if headless := svc.Spec.ClusterIP == corev1.ClusterIPNone; headless != (n == "ci-headless") {
					t.Errorf("Service %s: clusterIP %q", n, svc.Spec.ClusterIP)
				}
			}
			if r := ready(f.js("ci")); r.Reason != ReasonProvisioning || r.Message != "0 of 2 instances running" {
				t.Errorf("Ready = %+v, want Provisioning, 0 of 2 instances running", r)
			}
			if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "Normal Applied StatefulSet ci: 2 replicas of jenkins/jenkins:2.462.3-lts") {
				t.Errorf("events:\n%s", ev)
			}
		},
	}, {
		name: "steady state: no write at all",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			for i := range 2 {
				if _, err := f.kube.CoreV1().Pods(ns).Create(context.Background(), pod("ci", i, true), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f.refresh()
			f.converge("ci")
			f.events()
		},
		writes: nil,
		check: func(t *testing.T, f *fixture) {
			if ev := f.events(); len(ev) > 0 {
				t.Errorf("events in a steady state: %v", ev)
			}
		},
	}, {
		name: "instances and Ready from the Pods",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			for i, r := range []bool{true, false} {
				if _, err := f.kube.CoreV1().Pods(ns).Create(context.Background(), pod("ci", i, r), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f.refresh()
		},
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			js := f.js("ci")
			got := fmt.Sprint(instances(js))
			if want := "[ci-0/1500m/true ci-1/1500m/false]"; got != want {
				t.Errorf("instances = %s, want %s", got, want)
			}
			if r := ready(js); r.Status != metav1.ConditionFalse || r.Reason != ReasonProvisioning || r.Message != "1 of 2 instances running" {
				t.Errorf("Ready = %+v, want False Provisioning 1 of 2 instances running", r)
			}
			// The second Pod becomes ready.
			p := pod("ci", 1, true)
			if _, err := f.kube.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
			if w := describe(f.sync("ci")); fmt.Sprint(w) != "[update jenkinsservices/status ci]" {
				t.Errorf("writes = %v", w)
			}
			js = f.js("ci")
			if r := ready(js); r.Status != metav1.ConditionTrue || r.Message != "2 of 2 instances running" {
				t.Errorf("Ready = %+v, want True 2 of 2 instances running", r)
			}
			if a := meta.FindStatusCondition(js.Status.Conditions, cicd.ConditionApproved); a == nil || a.Status != metav1.ConditionTrue {
				t.Errorf("the Approved condition changed: %+v", a)
			}
			if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "Normal AllInstancesRunning Ready=True: 2 of 2 instances running") {
				t.Errorf("events:\n%s", ev)
			}
		},
	}, {
		name: "denied after approval: StatefulSet and Services deleted, claims kept",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "jenkins-home-ci-0", Namespace: ns, Labels: cicd.SelectorLabels("ci")}}
			if _, err := f.kube.CoreV1().PersistentVolumeClaims(ns).Create(context.Background(), claim, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			setApproval(t, f, "ci", metav1.ConditionFalse)
		},
		writes: []string{
			"delete statefulsets ci", "delete services ci", "delete services ci-headless",
			"update jenkinsservices/status ci",
		},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js("ci")); r.Reason != ReasonDenied {
				t.Errorf("Ready = %+v, want Denied", r)
			}
			if _, err := f.kube.CoreV1().PersistentVolumeClaims(ns).Get(context.Background(), "jenkins-home-ci-0", metav1.GetOptions{}); err != nil {
				t.Errorf("the claim is gone: %v", err)
			}
			if w := f.sync("ci"); len(w) != 0 {
				t.Errorf("writes after the deletion: %v", describe(w))
			}
		},
	}, {
		name: "scaled to zero: the StatefulSet has 0 replicas, Ready=False ScaledToZero",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			updateSpec(t, f, "ci", func(js *v1beta.JenkinsService) { js.Spec.Replicas = ptr.To[int32](0) })
		},
		writes: []string{"patch statefulsets ci", "update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			if r := *f.statefulSet("ci").Spec.Replicas; r != 0 {
				t.Errorf("replicas = %d, want 0", r)
			}
			js := f.js("ci")
			if r := ready(js); r.Reason != ReasonScaledToZero || r.ObservedGeneration != 2 {
				t.Errorf("Ready = %+v, want ScaledToZero at generation 2", r)
			}
			if js.Status.ObservedGeneration != 2 {
				t.Errorf("observedGeneration = %d, want 2", js.Status.ObservedGeneration)
			}
		},
	}, {
		name: "image and resources change: the template follows",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			updateSpec(t, f, "ci", func(js *v1beta.JenkinsService) {
				js.Spec.Image = "jenkins/jenkins:2.500-lts"
				js.Spec.Resources.CPU = ptr.To(resource.MustParse("2"))
				js.Spec.Resources.Memory = ptr.To(resource.MustParse("8Gi"))
			})
		},
		writes: []string{"patch statefulsets ci", "update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			c := f.statefulSet("ci").Spec.Template.Spec.Containers[0]
			if c.Image != "jenkins/jenkins:2.500-lts" || c.Resources.Limits.Cpu().String() != "2" || c.Resources.Requests.Memory().String() != "8Gi" {
				t.Errorf("container = %s %v %v", c.Image, c.Resources.Requests, c.Resources.Limits)
			}
		},
	}, {
		name: "drift corrected: a hand edit of the StatefulSet is applied back",
		js:   jenkins("ci", 2, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.converge("ci")
			ss := f.statefulSet("ci")
			ss.Spec.Replicas = ptr.To[int32](7)
			ss.Spec.Template.Spec.Containers[0].Image = "evil/jenkins:latest"
			if _, err := f.kube.AppsV1().StatefulSets(ns).Update(context.Background(), ss, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{"patch statefulsets ci"},
		check: func(t *testing.T, f *fixture) {
			ss := f.statefulSet("ci")
			if *ss.Spec.Replicas != 2 || ss.Spec.Template.Spec.Containers[0].Image != "jenkins/jenkins:2.462.3-lts" {
				t.Errorf("replicas %d image %s, want 2 and the spec's image", *ss.Spec.Replicas, ss.Spec.Template.Spec.Containers[0].Image)
			}
			if w := f.sync("ci"); len(w) != 0 {
				t.Errorf("writes after the correction: %v", describe(w))
			}
		},
	}, {
		name:   "deleted: nothing to do (the garbage collector removes the children)",
		js:     nil,
		writes: nil,
	}, {
		name:   "a name too long for the StatefulSet's Pods: a Warning, nothing created",
		js:     jenkins(strings.Repeat("a", 53), 1, metav1.ConditionTrue),
		writes: []string{"update jenkinsservices/status " + strings.Repeat("a", 53)},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js(strings.Repeat("a", 53))); r.Reason != ReasonInvalidName {
				t.Errorf("Ready = %+v, want InvalidName", r)
			}
			if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "Warning InvalidName") {
				t.Errorf("events:\n%s", ev)
			}
		},
	}, {
		name: "a StatefulSet of the same name that is not ours is left alone",
		js:   jenkins("ci", 1, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: ns, Labels: cicd.InstanceLabels("ci")}}
			if _, err := f.kube.AppsV1().StatefulSets(ns).Create(context.Background(), ss, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js("ci")); r.Reason != ReasonConflict {
				t.Errorf("Ready = %+v, want Conflict", r)
			}
		},
	}, {
		name: "a StatefulSet of the same name without our label (not in the lister) is left alone",
		js:   jenkins("ci", 1, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: ns, Labels: map[string]string{"app": "theirs"}}}
			if _, err := f.kube.AppsV1().StatefulSets(ns).Create(context.Background(), ss, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			r := ready(f.js("ci"))
			if r.Reason != ReasonConflict || !strings.Contains(r.Message, "StatefulSet ci exists and is not controlled by this JenkinsService") {
				t.Errorf("Ready = %+v, want Conflict naming the StatefulSet", r)
			}
			if ss := f.statefulSet("ci"); ss.Labels["app"] != "theirs" || len(ss.OwnerReferences) != 0 {
				t.Errorf("their StatefulSet was changed: %+v", ss.ObjectMeta)
			}
			if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "Warning Conflict") {
				t.Errorf("events:\n%s", ev)
			}
		},
	}, {
		name: "a Service of the same name without our label is left alone",
		js:   jenkins("ci", 1, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ci-headless", Namespace: ns}}
			if _, err := f.kube.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{"update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js("ci")); r.Reason != ReasonConflict || !strings.Contains(r.Message, "Service ci-headless") {
				t.Errorf("Ready = %+v, want Conflict naming the Service", r)
			}
		},
	}, {
		name: "its own StatefulSet whose label was removed is applied again, not a conflict",
		js:   jenkins("ci", 1, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: ns, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "autobusi.group.cicd/v1beta", Kind: "JenkinsService", Name: "ci", UID: "uid-ci", Controller: ptr.To(true),
			}}}}
			if _, err := f.kube.AppsV1().StatefulSets(ns).Create(context.Background(), ss, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{
			"patch statefulsets ci", "patch services ci-headless", "patch services ci",
			"update jenkinsservices/status ci",
		},
		check: func(t *testing.T, f *fixture) {
			checkOwned(t, f.statefulSet("ci").ObjectMeta)
			if r := ready(f.js("ci")); r.Reason != ReasonProvisioning {
				t.Errorf("Ready = %+v, want Provisioning", r)
			}
		},
	}, {
		name: "denied: its own StatefulSet and Service that lost the label are deleted too",
		js:   jenkins("ci", 1, metav1.ConditionFalse),
		before: func(t *testing.T, f *fixture) {
			owner := []metav1.OwnerReference{{APIVersion: "autobusi.group.cicd/v1beta", Kind: "JenkinsService", Name: "ci", UID: "uid-ci", Controller: ptr.To(true)}}
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: ns, UID: "uid-ss", OwnerReferences: owner}}
			if _, err := f.kube.AppsV1().StatefulSets(ns).Create(context.Background(), ss, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ci-headless", Namespace: ns, UID: "uid-svc", Labels: map[string]string{"app": "x"}, OwnerReferences: owner}}
			if _, err := f.kube.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.refresh()
		},
		writes: []string{"delete statefulsets ci", "delete services ci-headless", "update jenkinsservices/status ci"},
		check: func(t *testing.T, f *fixture) {
			if r := ready(f.js("ci")); r.Reason != ReasonDenied {
				t.Errorf("Ready = %+v, want Denied", r)
			}
		},
	}, {
		name: "approved: no reads from the API server beyond the listers",
		js:   jenkins("ci", 1, metav1.ConditionTrue),
		before: func(t *testing.T, f *fixture) {
			f.kube.PrependReactor("get", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
				t.Errorf("unexpected %s %s", a.GetVerb(), a.GetResource().Resource)
				return false, nil, nil
			})
		},
		writes: []string{
			"patch statefulsets ci", "patch services ci-headless", "patch services ci",
			"update jenkinsservices/status ci",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.js)
			name := "ci"
			if tt.js != nil {
				name = tt.js.Name
			}
			if tt.before != nil {
				tt.before(t, f)
			}
			got := describe(f.sync(name))
			if strings.Join(got, "\n") != strings.Join(tt.writes, "\n") {
				t.Errorf("writes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.writes, "\n  "))
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func checkOwned(t *testing.T, m metav1.ObjectMeta) {
	t.Helper()
	ref := metav1.GetControllerOf(&m)
	if ref == nil || ref.Kind != "JenkinsService" || ref.UID != "uid-ci" || ref.APIVersion != "autobusi.group.cicd/v1beta" {
		t.Errorf("%s: controller reference %+v, want the JenkinsService ci", m.Name, ref)
	}
	for k, v := range cicd.InstanceLabels("ci") {
		if m.Labels[k] != v {
			t.Errorf("%s: labels %v lack %s=%s", m.Name, m.Labels, k, v)
		}
	}
}

func instances(js *v1beta.JenkinsService) []string {
	var out []string
	for _, in := range js.Status.Instances {
		out = append(out, fmt.Sprintf("%s/%s/%t", in.Name, in.CPU.String(), in.Running))
	}
	return out
}

// A failed write is a Warning Event and an error (so the key is retried); the
// status is still written from what is observed.
func TestSyncFailureIsAnEvent(t *testing.T) {
	f := newFixture(t, jenkins("ci", 1, metav1.ConditionTrue))
	f.kube.PrependReactor("patch", "statefulsets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, fmt.Errorf("etcd is on fire")
	})
	err := f.c.sync(context.Background(), ns+"/ci")
	if err == nil || !strings.Contains(err.Error(), "etcd is on fire") {
		t.Fatalf("sync error %v, want the apply's", err)
	}
	if ev := strings.Join(f.events(), "\n"); !strings.Contains(ev, "Warning ApplyFailed StatefulSet ci: etcd is on fire") {
		t.Errorf("events:\n%s", ev)
	}
	if r := ready(f.js("ci")); r.Reason != ReasonProvisioning {
		t.Errorf("Ready = %+v, want Provisioning", r)
	}
}

// An object of a child's name without the controller's label, coming or
// going, enqueues the JenkinsService it would be a child of; the controller's
// own come through the label-filtered informers.
func TestEnqueueNamed(t *testing.T) {
	f := newFixture(t, nil)
	theirs := func(name string, l map[string]string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l}}
	}
	f.c.enqueueNamed(true)(theirs("ci-headless", nil))
	f.c.enqueueNamed(false)(cache.DeletedFinalStateUnknown{Key: ns + "/web", Obj: theirs("web", map[string]string{"app": "x"})})
	f.c.enqueueNamed(false)(theirs("db-headless", nil))
	f.c.enqueueNamed(true)(theirs("ours", cicd.InstanceLabels("ours")))
	got := f.queued()
	want := []string{ns + "/ci", ns + "/ci-headless", ns + "/db-headless", ns + "/web"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("enqueued %v, want %v", got, want)
	}
}

// queued takes every key out of the controller's queue, sorted.
func (f *fixture) queued() []string {
	var got []string
	for f.c.queue.Len() > 0 {
		k, _ := f.c.queue.Get()
		got = append(got, k)
		f.c.queue.Done(k)
	}
	sort.Strings(got)
	return got
}
