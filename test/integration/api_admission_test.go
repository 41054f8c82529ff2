package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// API.md, Admission (mutating): requested-by is the user of the client
// certificate, overwritten when sent; an update that changes or removes it
// is refused with a 4xx and the stored value stays.
func TestAPIRequestedBy(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)

			b, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "plain"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Annotations[requestedByKey]; got != adminUser {
				t.Errorf("v1beta create: requested-by %q, want %q", got, adminUser)
			}
			a, err := alpha.Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{
				Name: "forged", Annotations: map[string]string{requestedByKey: "mallory"},
			}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Annotations[requestedByKey]; got != adminUser {
				t.Errorf("v1alpha create with requested-by mallory: answered %q, want %q", got, adminUser)
			}
			if b, err = beta.Get(ctx, "forged", metav1.GetOptions{}); err != nil || b.Annotations[requestedByKey] != adminUser {
				t.Errorf("stored requested-by %q (%v), want %q", b.Annotations[requestedByKey], err, adminUser)
			}

			// Another user (in system:masters, so allowed) is recorded as such.
			alice, err := versioned.NewForConfig(shared.ConfigAs(t, enc, "alice", "system:masters"))
			if err != nil {
				t.Fatal(err)
			}
			b, err = alice.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{
				Name: "by-alice", Annotations: map[string]string{requestedByKey: adminUser},
			}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Annotations[requestedByKey]; got != "alice" {
				t.Errorf("create by alice: requested-by %q, want alice", got)
			}

			// Updates that change or remove it are refused; the value stays.
			refused := func(what string, err error) {
				t.Helper()
				if code := statusCode(err); code < 400 || code >= 500 {
					t.Errorf("%s: got %v (code %d), want a 4xx", what, err, code)
				}
				got, err := beta.Get(ctx, "plain", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got.Annotations[requestedByKey] != adminUser {
					t.Errorf("%s: stored requested-by is now %q", what, got.Annotations[requestedByKey])
				}
			}
			b, err = beta.Get(ctx, "plain", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			changed := b.DeepCopy()
			changed.Annotations[requestedByKey] = "mallory"
			_, err = beta.Update(ctx, changed, metav1.UpdateOptions{})
			refused("v1beta update changing requested-by", err)
			removed := b.DeepCopy()
			delete(removed.Annotations, requestedByKey)
			_, err = beta.Update(ctx, removed, metav1.UpdateOptions{})
			refused("v1beta update removing requested-by", err)
			_, err = beta.Patch(ctx, "plain", types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+requestedByKey+`":null}}}`), metav1.PatchOptions{})
			refused("merge patch removing requested-by", err)
			_, err = beta.Patch(ctx, "plain", types.JSONPatchType, []byte(`[{"op":"replace","path":"/metadata/annotations/autobusi.group.cicd~1requested-by","value":"eve"}]`), metav1.PatchOptions{})
			refused("JSON patch changing requested-by", err)
			a, err = alpha.Get(ctx, "plain", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Annotations[requestedByKey] = "mallory"
			_, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
			refused("v1alpha update changing requested-by", err)
			a.Annotations = nil
			_, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
			refused("v1alpha update removing all annotations", err)

			// An update that leaves it alone is fine, and keeps it.
			b.Labels = map[string]string{"ok": "yes"}
			if b, err = beta.Update(ctx, b, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("update keeping requested-by: %v", err)
			}
			if b.Annotations[requestedByKey] != adminUser {
				t.Errorf("requested-by after an unrelated update: %q", b.Annotations[requestedByKey])
			}
		})
	}
}

// createResult is how one of many parallel creates ended.
type createResult struct {
	name string
	err  error
}

// createInParallel creates n objects at once, object i through clients[i %
// len(clients)], alternating v1beta and v1alpha. A 429 (the limit's record
// was contended) is retried, as a client does.
func createInParallel(ctx context.Context, t *testing.T, clients []versioned.Interface, ns string, n int) []createResult {
	t.Helper()
	results := make([]createResult, n)
	var retried atomic.Int32
	defer func() {
		if r := retried.Load(); r > 0 {
			t.Logf("%d creates were answered 429 and retried", r)
		}
	}()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := clients[i%len(clients)]
			name := fmt.Sprintf("par-%02d", i)
			<-start
			var err error
			for attempt := 0; attempt < 20; attempt++ {
				if i%2 == 0 {
					_, err = c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
				} else {
					_, err = c.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
				}
				if !apierrors.IsTooManyRequests(err) {
					break
				}
				retried.Add(1)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(50*(attempt+1)) * time.Millisecond): // client back-off, not synchronization
				}
			}
			results[i] = createResult{name: name, err: err}
		}(i)
	}
	close(start)
	wg.Wait()
	return results
}

// checkLimitOutcome: exactly limit creates succeeded, every other one is a
// 403 Forbidden whose message says the limit is reached.
func checkLimitOutcome(t *testing.T, results []createResult, limit int) map[string]bool {
	t.Helper()
	created := map[string]bool{}
	forbidden := 0
	for _, r := range results {
		switch {
		case r.err == nil:
			created[r.name] = true
		case apierrors.IsForbidden(r.err):
			forbidden++
			msg := r.err.Error()
			if !strings.Contains(msg, "limit") || !strings.Contains(msg, fmt.Sprint(limit)) {
				t.Errorf("%s: the 403 does not clearly say the limit of %d is reached: %q", r.name, limit, msg)
			}
		default:
			t.Errorf("%s: unexpected error %v (code %d)", r.name, r.err, statusCode(r.err))
		}
	}
	if len(created) != limit || forbidden != len(results)-limit {
		t.Errorf("%d parallel creates against a limit of %d: %d created, %d forbidden; want %d and %d",
			len(results), limit, len(created), forbidden, limit, len(results)-limit)
	}
	return created
}

// countAll lists the JenkinsServices of every namespace through c.
func countAll(ctx context.Context, t *testing.T, c versioned.Interface) int {
	t.Helper()
	list, err := c.CicdV1beta().JenkinsServices(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// API.md, Admission (validating): a server with --max-jenkinsservices 10
// takes exactly 10 of 50 parallel creates and refuses the rest with 403 and
// a clear message; a delete frees a slot.
func TestAPIAdmissionLimit(t *testing.T) {
	s := framework.StartLocal(t, framework.Options{MaxJenkinsServices: 10})
	ctx := testContext(t)
	c := s.Clientset(t, framework.JSON)
	p := s.Clientset(t, framework.Protobuf)

	created := checkLimitOutcome(t, createInParallel(ctx, t, []versioned.Interface{c, p}, "team-a", 50), 10)
	if n := countAll(ctx, t, c); n != 10 {
		t.Fatalf("%d objects stored, want exactly 10", n)
	}

	// Full: one more is refused, in another namespace and version too.
	_, err := c.CicdV1alpha().JenkinsServices("team-b").Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "eleventh"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("11th create: %v, want 403", err)
	}
	// A dry run beyond the limit is refused too, and stores nothing.
	_, err = c.CicdV1beta().JenkinsServices("team-b").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if !apierrors.IsForbidden(err) {
		t.Errorf("dry-run create beyond the limit: %v, want 403", err)
	}

	// A delete frees a slot at once; the slot is taken by one create only.
	var victim string
	for name := range created {
		victim = name
		break
	}
	if err := c.CicdV1beta().JenkinsServices("team-a").Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CicdV1beta().JenkinsServices("team-b").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "after-delete"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create after a delete: %v", err)
	}
	_, err = c.CicdV1beta().JenkinsServices("team-b").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "one-too-many"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("create after the freed slot was taken: %v, want 403", err)
	}
	if n := countAll(ctx, t, c); n != 10 {
		t.Errorf("%d objects stored, want 10", n)
	}
	// Updates are not creates: they pass at the limit.
	js, err := c.CicdV1beta().JenkinsServices("team-b").Get(ctx, "after-delete", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	js.Spec.Replicas = i32(2)
	if _, err := c.CicdV1beta().JenkinsServices("team-b").Update(ctx, js, metav1.UpdateOptions{}); err != nil {
		t.Errorf("update at the limit: %v", err)
	}
}

// API.md, Admission: the limit holds across two servers sharing one etcd:
// 50 parallel creates split across both leave exactly 10 objects.
func TestAPIAdmissionLimitTwoServers(t *testing.T) {
	etcd := framework.StartEtcd(t)
	s1 := framework.StartLocal(t, framework.Options{MaxJenkinsServices: 10, EtcdServers: etcd})
	s2 := framework.StartLocal(t, framework.Options{MaxJenkinsServices: 10, EtcdServers: etcd})
	ctx := testContext(t)
	// Each server has its own CA in its data dir: each is talked to with its own clients.
	c1, c2 := s1.Clientset(t, framework.JSON), s2.Clientset(t, framework.Protobuf)

	created := checkLimitOutcome(t, createInParallel(ctx, t, []versioned.Interface{c1, c2}, "shared", 50), 10)
	for i, c := range []versioned.Interface{c1, c2} {
		if n := countAll(ctx, t, c); n != 10 {
			t.Errorf("server %d lists %d objects, want exactly 10", i+1, n)
		}
	}

	// A delete through one server frees a slot for a create through the other.
	var victim string
	for name := range created {
		victim = name
		break
	}
	if err := c1.CicdV1beta().JenkinsServices("shared").Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.CicdV1alpha().JenkinsServices("other").Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "after-delete"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create through server 2 after a delete through server 1: %v", err)
	}
	if _, err := c1.CicdV1beta().JenkinsServices("other").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "one-too-many"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("create through server 1 at the limit: %v, want 403", err)
	}
	if n := countAll(ctx, t, c1); n != 10 {
		t.Errorf("%d objects stored, want 10", n)
	}
}
