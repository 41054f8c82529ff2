package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// TestAdmissionInformerInProcess checks that the admission plugin's informer
// sees what a v1beta client sees — created through either version, updated,
// deleted — and that it does so without a watch request to the server.
func TestAdmissionInformerInProcess(t *testing.T) {
	ctx := context.Background()
	s, _ := startLocalForTest(t)

	lister := s.informers.Cicd().V1beta().JenkinsServices().Lister()
	client := versioned.NewForConfigOrDie(s.RESTConfig())
	ns := "team-informer"

	cpu := resource.MustParse("1500m")
	beta, err := client.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "beta"},
		Spec:       v1beta.JenkinsServiceSpec{Replicas: ptr.To[int32](0), Resources: v1beta.JenkinsServiceResources{CPU: &cpu}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "alpha"},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true,
			func(context.Context) (bool, error) { return cond(), nil }); err != nil {
			t.Fatalf("the admission informer never saw %s", what)
		}
	}
	waitFor("both creates", func() bool {
		b, errB := lister.JenkinsServices(ns).Get("beta")
		a, errA := lister.JenkinsServices(ns).Get("alpha")
		return errB == nil && errA == nil && b.ResourceVersion == beta.ResourceVersion &&
			a.Spec.Replicas != nil && *a.Spec.Replicas == 2
	})
	b, _ := lister.JenkinsServices(ns).Get("beta")
	if b.Spec.Replicas == nil || *b.Spec.Replicas != 0 || b.Spec.Resources.CPU == nil || b.Spec.Resources.CPU.String() != "1500m" {
		t.Errorf("informer's beta spec = %+v, want replicas 0 and cpu 1500m as written", b.Spec)
	}
	if b.Annotations[cicd.AnnotationRequestedBy] == "" {
		t.Errorf("informer's beta has no %s annotation: %v", cicd.AnnotationRequestedBy, b.Annotations)
	}
	for k := range b.Annotations {
		if k == cicd.AnnotationPreservedSpec || k == cicd.AnnotationPreservedStatus {
			t.Errorf("informer's v1beta object carries %s", k)
		}
	}

	beta.Spec.Replicas = ptr.To[int32](3)
	updated, err := client.CicdV1beta().JenkinsServices(ns).Update(ctx, beta, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the update", func() bool {
		b, err := lister.JenkinsServices(ns).Get("beta")
		return err == nil && b.ResourceVersion == updated.ResourceVersion && *b.Spec.Replicas == 3
	})
	if err := client.CicdV1beta().JenkinsServices(ns).Delete(ctx, "alpha", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor("the delete", func() bool {
		all, err := lister.List(labels.Everything())
		return err == nil && len(all) == 1 && all[0].Name == "beta"
	})

	// No watch of jenkinsservices is open on the server: the informer reads
	// the storage in process.
	hc, err := rest.HTTPClientFor(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "apiserver_longrunning_requests{") && strings.Contains(line, `resource="jenkinsservices"`) &&
			strings.Contains(line, `verb="WATCH"`) && !strings.HasSuffix(line, " 0") {
			t.Errorf("a watch of jenkinsservices is open on the server: %s", line)
		}
	}
}

// TestInProcessListerWatcherUnbound: before the storage is installed, List
// and Watch fail (the reflector retries) instead of panicking.
func TestInProcessListerWatcherUnbound(t *testing.T) {
	lw := &inProcessListerWatcher{}
	if _, err := lw.List(metav1.ListOptions{}); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("List before bind: err = %v", err)
	}
	if _, err := lw.Watch(metav1.ListOptions{}); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("Watch before bind: err = %v", err)
	}
}

// TestToV1beta: objects are converted, errors pass through, and an object
// that cannot be converted becomes an error event, not a dropped event.
func TestToV1beta(t *testing.T) {
	hub := &cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "7"}}
	hub.Spec.Replicas = 3
	e, ok := toV1beta(watch.Event{Type: watch.Added, Object: hub})
	got, isBeta := e.Object.(*v1beta.JenkinsService)
	if !ok || e.Type != watch.Added || !isBeta || got.Name != "a" || got.ResourceVersion != "7" || got.Spec.Replicas == nil || *got.Spec.Replicas != 3 {
		t.Errorf("converted event = %v %#v", e.Type, e.Object)
	}

	status := &metav1.Status{Status: metav1.StatusFailure, Code: 410}
	if e, ok := toV1beta(watch.Event{Type: watch.Error, Object: status}); !ok || e.Object != status {
		t.Errorf("error event = %#v, want it passed through", e)
	}

	e, ok = toV1beta(watch.Event{Type: watch.Modified, Object: &metav1.Status{}})
	if st, isStatus := e.Object.(*metav1.Status); !ok || e.Type != watch.Error || !isStatus || !strings.Contains(st.Message, "converting") {
		t.Errorf("unconvertible object: event = %v %#v, want an error event", e.Type, e.Object)
	}
}
