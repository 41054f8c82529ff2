package integration

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Durability: what the local server acknowledged is in its data dir (the
// embedded etcd) after a graceful restart and after a SIGKILL. These tests
// start servers of their own.

// snapshot reads every JenkinsService of ns through both versions, by name.
func snapshot(ctx context.Context, t *testing.T, c versioned.Interface, ns string) (map[string]v1beta.JenkinsService, map[string]v1alpha.JenkinsService) {
	t.Helper()
	betas, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alphas, err := c.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, a := map[string]v1beta.JenkinsService{}, map[string]v1alpha.JenkinsService{}
	for _, js := range betas.Items {
		b[js.Name] = js
	}
	for _, js := range alphas.Items {
		a[js.Name] = js
	}
	return b, a
}

func TestDurabilityRestart(t *testing.T) {
	ctx := testContext(t)
	s := framework.StartLocal(t, framework.Options{})
	c := s.Clientset(t, framework.Protobuf)
	const ns = "durable"
	betas := c.CicdV1beta().JenkinsServices(ns)

	// Everything the hub holds, written through v1beta.
	full, err := betas.Create(ctx, &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "full", Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"note": "kept"}},
		Spec: v1beta.JenkinsServiceSpec{Replicas: ptr.To[int32](2), Image: "jenkins/jenkins:2.462.3-lts",
			Resources: v1beta.JenkinsServiceResources{CPU: ptr.To(resource.MustParse("1500m")), Memory: ptr.To(resource.MustParse("4Gi"))}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	full.Status = v1beta.JenkinsServiceStatus{
		ObservedGeneration: 1,
		Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse, Reason: "Provisioning", Message: "1 of 2 instances running",
			LastTransitionTime: metav1.NewTime(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)), ObservedGeneration: 1}},
		Instances: []v1beta.JenkinsServerInstance{{Name: "full-0", CPU: resource.MustParse("1500m"), Running: true}, {Name: "full-1", CPU: resource.MustParse("1500m")}},
	}
	if full, err = betas.UpdateStatus(ctx, full, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	full.Status.Conditions = append(full.Status.Conditions, metav1.Condition{Type: "Approved", Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", Message: "approved for the release train"})
	if _, err = betas.UpdateApproval(ctx, "full", full, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Written through v1alpha, then scaled to zero.
	if _, err := c.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "alpha"}, Spec: v1alpha.JenkinsServiceSpec{InstanceAmount: 3, InstanceCpu: 2},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := betas.Patch(ctx, "alpha", "application/merge-patch+json", []byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	// Created and deleted: stays deleted.
	if _, err := betas.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "gone"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := betas.Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Another namespace.
	if _, err := c.CicdV1beta().JenkinsServices("other").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	beforeBeta, beforeAlpha := snapshot(ctx, t, c, ns)
	if len(beforeBeta) != 2 {
		t.Fatalf("before the restart: %d objects, want 2", len(beforeBeta))
	}
	if cond := beforeBeta["full"].Status.Conditions; len(cond) != 2 {
		t.Fatalf("before the restart: conditions %+v, want Ready and Approved", cond)
	}

	if err := s.Restart(); err != nil {
		t.Fatalf("restart: %v\n%s", err, s.Output())
	}
	c = s.Clientset(t, framework.Protobuf)

	afterBeta, afterAlpha := snapshot(ctx, t, c, ns)
	if !reflect.DeepEqual(beforeBeta, afterBeta) {
		t.Errorf("v1beta objects changed across the restart:\nbefore %s\nafter  %s", asJSONText(beforeBeta), asJSONText(afterBeta))
	}
	if !reflect.DeepEqual(beforeAlpha, afterAlpha) {
		t.Errorf("v1alpha objects changed across the restart:\nbefore %s\nafter  %s", asJSONText(beforeAlpha), asJSONText(afterAlpha))
	}
	if _, err := c.CicdV1beta().JenkinsServices("other").Get(ctx, "elsewhere", metav1.GetOptions{}); err != nil {
		t.Errorf("the object in the other namespace after the restart: %v", err)
	}

	// The server goes on: a new object gets a newer resourceVersion, and the
	// old ones can still be updated.
	created, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "new"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, js := range beforeBeta {
		if rvNumber(t, created.ResourceVersion) <= rvNumber(t, js.ResourceVersion) {
			t.Errorf("resourceVersion %s of a new object is not after %s of %s", created.ResourceVersion, js.ResourceVersion, name)
		}
	}
	if _, err := c.CicdV1beta().JenkinsServices(ns).Patch(ctx, "full", "application/merge-patch+json", []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}); err != nil {
		t.Errorf("updating an old object after the restart: %v", err)
	}
}

func rvNumber(t *testing.T, rv string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscan(rv, &n); err != nil {
		t.Fatalf("resourceVersion %q: %v", rv, err)
	}
	return n
}

func TestDurabilitySIGKILL(t *testing.T) {
	ctx := testContext(t)
	s := framework.StartLocal(t, framework.Options{})
	const (
		ns      = "crash"
		writers = 4
		// The server is killed once this many creates were acknowledged.
		killAfter = 200
	)

	var (
		killed   atomic.Bool
		acked    sync.Map // name → replicas
		attempts sync.Map // name → struct{}
		nAcked   atomic.Int64
		wg       sync.WaitGroup
		enough   = make(chan struct{})
		once     sync.Once
	)
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		enc := framework.JSON
		if w%2 == 1 {
			enc = framework.Protobuf
		}
		cfg := s.RESTConfig(enc)
		cfg.Timeout = 20 * time.Second
		c, err := versioned.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d-%d", w, i)
				replicas := int32(i % 7)
				attempts.Store(name, struct{}{})
				_, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec:       v1beta.JenkinsServiceSpec{Replicas: ptr.To(replicas)},
				}, metav1.CreateOptions{})
				if err != nil {
					if !killed.Load() {
						errs <- fmt.Errorf("create %s before the kill: %v", name, err)
					}
					return
				}
				acked.Store(name, replicas)
				if nAcked.Add(1) >= killAfter {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}

	select {
	case <-enough:
	case err := <-errs:
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatalf("only %d creates acknowledged before the deadline", nAcked.Load())
	}
	killed.Store(true)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !s.Exited() {
		t.Fatal("the server process is still running after SIGKILL")
	}

	if err := s.Start(); err != nil {
		t.Fatalf("starting again after SIGKILL: %v\n%s", err, s.Output())
	}
	c := s.Clientset(t, framework.JSON)
	list, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int32{}
	for _, js := range list.Items {
		stored[js.Name] = *js.Spec.Replicas
	}
	var missing, wrong, unknown []string
	total := 0
	acked.Range(func(k, v any) bool {
		total++
		got, ok := stored[k.(string)]
		switch {
		case !ok:
			missing = append(missing, k.(string))
		case got != v.(int32):
			wrong = append(wrong, fmt.Sprintf("%s: replicas %d, want %d", k, got, v))
		}
		return true
	})
	for name := range stored {
		if _, ok := attempts.Load(name); !ok {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(missing)
	t.Logf("%d creates acknowledged before SIGKILL, %d objects after the restart (%d in flight at the kill)", total, len(stored), len(stored)-total+len(missing))
	if len(missing) > 0 {
		t.Errorf("%d acknowledged creates are missing after SIGKILL and restart: %v", len(missing), missing)
	}
	if len(wrong) > 0 {
		t.Errorf("objects differ from what was acknowledged: %v", wrong)
	}
	if len(unknown) > 0 {
		t.Errorf("objects nobody created: %v", unknown)
	}
	if total < killAfter {
		t.Errorf("only %d acknowledged creates", total)
	}

	// And the server works: a create with a name that was in flight (or
	// not) either exists or can be made now.
	if _, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "after-crash"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("a create after the crash: %v", err)
	}
}
