package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/kubernetes"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/cicdtest"
)

// Our DeleteCollection on a real etcd, beside the generic one: each case runs
// on a storage deleting straight through etcd and on one without the etcd
// client (the generic store's DeleteCollection), and both must end alike.

// dcStorage is a storage on its own etcd; direct says whether its
// DeleteCollection has the etcd client.
func dcStorage(t *testing.T, direct bool, workers int) (*Storage, *kubernetes.Client) {
	t.Helper()
	s, _, client := newTestStorageWithEtcd(t, workers)
	s.JenkinsService.EnableGarbageCollection = true // as the server's (propagation policies add finalizers)
	if direct {
		s.JenkinsService.DeleteWithEtcd(client.Client)
	}
	return s, client
}

func nsCtx(ns string) context.Context {
	return genericapirequest.WithNamespace(context.Background(), ns)
}

// createIn stores an object named name in ns with labels and finalizers.
func createIn(t *testing.T, s *Storage, ns, name string, lbls map[string]string, finalizers ...string) *cicd.JenkinsService {
	t.Helper()
	js := cicdtest.Service(name, t0)
	js.Namespace, js.Labels, js.Finalizers = ns, lbls, finalizers
	js.ResourceVersion, js.UID = "", ""
	rest.FillObjectMetaSystemFields(js)
	out, err := s.JenkinsService.Create(nsCtx(ns), js, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating %s/%s: %v", ns, name, err)
	}
	return out.(*cicd.JenkinsService)
}

// stored is what is left in ns: name → object.
func storedIn(t *testing.T, s *Storage, ns string) map[string]*cicd.JenkinsService {
	t.Helper()
	out, err := s.JenkinsService.List(nsCtx(ns), &metainternalversion.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*cicd.JenkinsService{}
	for i := range out.(*cicd.JenkinsServiceList).Items {
		js := &out.(*cicd.JenkinsServiceList).Items[i]
		m[js.Name] = js
	}
	return m
}

func listedNames(t *testing.T, list runtime.Object) []string {
	t.Helper()
	items, err := meta.ExtractList(list)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range items {
		out = append(out, o.(*cicd.JenkinsService).Name)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Selectors and namespaces: only the matching objects go, the result lists
// them, an object with a finalizer stays with a deletionTimestamp; the same
// both ways.
func TestDeleteCollectionSelects(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			s, client := dcStorage(t, direct, 4)
			for i := range 250 {
				createIn(t, s, "team-a", fmt.Sprintf("a-%03d", i), map[string]string{"batch": "x"})
			}
			createIn(t, s, "team-a", "kept", map[string]string{"batch": "x"}, "example.com/keep")
			createIn(t, s, "team-a", "other-label", map[string]string{"batch": "y"})
			createIn(t, s, "team-b", "a-000", map[string]string{"batch": "x"})
			// A field selector leaves out one more, whose replicas differ.
			odd := createIn(t, s, "team-a", "more-replicas", map[string]string{"batch": "x"})
			odd.Spec.Replicas = 3
			if _, _, err := s.JenkinsService.Update(nsCtx("team-a"), odd.Name, rest.DefaultUpdatedObjectInfo(odd), nil, nil, false, &metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}

			before := etcdRevision(t, client)
			out, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc, &metav1.DeleteOptions{},
				&metainternalversion.ListOptions{
					LabelSelector: labels.SelectorFromSet(labels.Set{"batch": "x"}),
					FieldSelector: fields.OneTermEqualSelector("spec.replicas", "2"),
				})
			if err != nil {
				t.Fatal(err)
			}
			// One etcd write per deletion, each at a revision of its own (the
			// watch cache needs that), and the finalized object's update.
			if writes := etcdRevision(t, client) - before; writes != 251 {
				t.Errorf("%d etcd writes, want 251", writes)
			}
			got := listedNames(t, out)
			if len(got) != 251 || got[250] != "kept" {
				t.Errorf("result lists %d objects (last %q), want the 250 deleted and the finalized", len(got), got[len(got)-1])
			}
			left := storedIn(t, s, "team-a")
			if diff := cmp.Diff([]string{"kept", "more-replicas", "other-label"}, sortedKeys(left)); diff != "" {
				t.Errorf("left in team-a (-want +got):\n%s", diff)
			}
			if left["kept"].DeletionTimestamp == nil || left["more-replicas"].DeletionTimestamp != nil || left["other-label"].DeletionTimestamp != nil {
				t.Errorf("deletionTimestamps: kept %v, more-replicas %v, other-label %v", left["kept"].DeletionTimestamp,
					left["more-replicas"].DeletionTimestamp, left["other-label"].DeletionTimestamp)
			}
			if len(storedIn(t, s, "team-b")) != 1 {
				t.Error("team-b's object was deleted")
			}
		})
	}
}

// Pages: the deletions go page by page and the result lists every page; a
// limit asked for deletes one page and returns it with its continue token.
func TestDeleteCollectionPages(t *testing.T) {
	defer func(size int64) { deleteCollectionPageSize = size }(deleteCollectionPageSize)
	deleteCollectionPageSize = 7
	s, _ := dcStorage(t, true, 4)
	for i := range 40 {
		createIn(t, s, "team-a", fmt.Sprintf("a-%02d", i), nil)
	}
	out, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc, &metav1.DeleteOptions{},
		&metainternalversion.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := listedNames(t, out); len(got) != 10 || got[0] != "a-00" || got[9] != "a-09" || out.(*cicd.JenkinsServiceList).Continue == "" {
		t.Errorf("limit 10 listed %v, continue %q", got, out.(*cicd.JenkinsServiceList).Continue)
	}
	if n := len(storedIn(t, s, "team-a")); n != 30 {
		t.Fatalf("limit 10 left %d of 40", n)
	}
	out, err = s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc, &metav1.DeleteOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := listedNames(t, out); len(got) != 30 || got[0] != "a-10" || got[29] != "a-39" {
		t.Errorf("pages of 7 listed %d: %v", len(got), got)
	}
	if n := len(storedIn(t, s, "team-a")); n != 0 {
		t.Errorf("pages of 7 left %d", n)
	}
}

// A dry-run deletes nothing; orphan propagation adds the orphan finalizer and
// deletes nothing (both the generic way).
func TestDeleteCollectionDryRunAndOrphan(t *testing.T) {
	s, _ := dcStorage(t, true, 4)
	for i := range 10 {
		createIn(t, s, "team-a", fmt.Sprintf("a-%d", i), nil)
	}
	out, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc,
		&metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(listedNames(t, out)); n != 10 {
		t.Errorf("dry-run lists %d objects, want 10", n)
	}
	if n := len(storedIn(t, s, "team-a")); n != 10 {
		t.Fatalf("a dry-run left %d of 10", n)
	}

	orphan := metav1.DeletePropagationOrphan
	if _, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc,
		&metav1.DeleteOptions{PropagationPolicy: &orphan}, nil); err != nil {
		t.Fatal(err)
	}
	left := storedIn(t, s, "team-a")
	if len(left) != 10 {
		t.Fatalf("orphan propagation left %d of 10", len(left))
	}
	for _, js := range left {
		if js.DeletionTimestamp == nil || len(js.Finalizers) != 1 || js.Finalizers[0] != metav1.FinalizerOrphanDependents {
			t.Errorf("%s: deletionTimestamp %v, finalizers %v", js.Name, js.DeletionTimestamp, js.Finalizers)
		}
	}
}

// Preconditions that do not hold for an object end the call with a 409, as
// the generic store's do; one that holds deletes.
func TestDeleteCollectionPreconditions(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			s, _ := dcStorage(t, direct, 4)
			js := createIn(t, s, "team-a", "only", nil)
			for _, pre := range []*metav1.Preconditions{
				{UID: ptrTo(types.UID("another-uid"))},
				{ResourceVersion: ptrTo("1")},
			} {
				_, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc,
					&metav1.DeleteOptions{Preconditions: pre}, nil)
				if !apierrors.IsConflict(err) {
					t.Errorf("precondition %+v: %v, want a conflict", pre, err)
				}
				if len(storedIn(t, s, "team-a")) != 1 {
					t.Fatalf("precondition %+v did not hold and yet the object is gone", pre)
				}
			}
			if _, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), rest.ValidateAllObjectFunc,
				&metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &js.UID, ResourceVersion: &js.ResourceVersion}}, nil); err != nil {
				t.Fatal(err)
			}
			if n := len(storedIn(t, s, "team-a")); n != 0 {
				t.Errorf("a precondition that holds left %d objects", n)
			}
		})
	}
}

// Admission denying one object ends the call with its error, as the generic
// store's does; the denied object stays.
func TestDeleteCollectionAdmissionDenies(t *testing.T) {
	denied := errors.New("denied by the test")
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			s, _ := dcStorage(t, direct, 1)
			for i := range 30 {
				createIn(t, s, "team-a", fmt.Sprintf("a-%02d", i), nil)
			}
			validate := func(_ context.Context, obj runtime.Object) error {
				if obj.(*cicd.JenkinsService).Name == "a-17" {
					return apierrors.NewForbidden(cicd.Resource("jenkinsservices"), "a-17", denied)
				}
				return nil
			}
			_, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), validate, &metav1.DeleteOptions{}, nil)
			if !apierrors.IsForbidden(err) {
				t.Fatalf("delete-collection: %v, want the admission's 403", err)
			}
			if _, ok := storedIn(t, s, "team-a")["a-17"]; !ok {
				t.Error("the denied object is gone")
			}
		})
	}
}

// An object written between the list and its deletion makes the guarded
// transaction fail; Store.Delete then deletes it in its new version: the
// write was acknowledged before the deletion and nothing is left. A watcher
// sees one DELETED per object.
// watchFromNow watches ns from the resourceVersion of a list of it.
func watchFromNow(t *testing.T, s *Storage, ns string) watch.Interface {
	t.Helper()
	list, err := s.JenkinsService.List(nsCtx(ns), &metainternalversion.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.JenkinsService.Watch(nsCtx(ns), &metainternalversion.ListOptions{
		ResourceVersion: list.(*cicd.JenkinsServiceList).ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDeleteCollectionRaceFallsBack(t *testing.T) {
	s, client := dcStorage(t, true, 2)
	const total = 150
	for i := range total {
		createIn(t, s, "team-a", fmt.Sprintf("a-%03d", i), nil)
	}
	w := watchFromNow(t, s, "team-a")
	defer w.Stop()

	// On the first check of a-042 (in the list), a client updates it.
	var updated atomic.Bool
	var validations atomic.Int32
	var updateRV string
	validate := func(ctx context.Context, obj runtime.Object) error {
		validations.Add(1)
		js := obj.(*cicd.JenkinsService)
		if js.Name != "a-042" || !updated.CompareAndSwap(false, true) {
			return nil
		}
		fresh := js.DeepCopy()
		fresh.Labels = map[string]string{"written": "meanwhile"}
		out, _, err := s.JenkinsService.Update(nsCtx("team-a"), fresh.Name, rest.DefaultUpdatedObjectInfo(fresh), nil, nil, false, &metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("the racing update: %w", err)
		}
		updateRV = out.(*cicd.JenkinsService).ResourceVersion
		return nil
	}
	if _, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), validate, &metav1.DeleteOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if !updated.Load() {
		t.Fatal("the racing update did not run")
	}
	if n := len(storedIn(t, s, "team-a")); n != 0 {
		t.Errorf("%d objects left", n)
	}
	// a-042 was checked again by Store.Delete, in its new version.
	if v := validations.Load(); v != total+1 {
		t.Errorf("%d admission checks; want %d and a-042's again", v, total)
	}
	resp, err := client.Client.Get(context.Background(), "/registry/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || resp.Count != 0 {
		t.Errorf("etcd holds %d keys (%v)", resp.Count, err)
	}

	// One MODIFIED (the racing update) and one DELETED per object; a-042's
	// deletion follows its update.
	deleted := map[string]string{}
	modified := 0
	timeout := time.After(30 * time.Second)
	for len(deleted) < total {
		select {
		case ev := <-w.ResultChan():
			js := ev.Object.(*cicd.JenkinsService)
			switch ev.Type {
			case watch.Deleted:
				if _, seen := deleted[js.Name]; seen {
					t.Fatalf("%s deleted twice", js.Name)
				}
				deleted[js.Name] = js.Labels["written"]
			case watch.Modified:
				modified++
				if js.Name != "a-042" || js.ResourceVersion != updateRV {
					t.Errorf("MODIFIED %s at %s", js.Name, js.ResourceVersion)
				}
			default:
				t.Fatalf("event %s for %s", ev.Type, js.Name)
			}
		case <-timeout:
			t.Fatalf("%d of %d DELETED events", len(deleted), total)
		}
	}
	if modified != 1 || deleted["a-042"] != "meanwhile" {
		t.Errorf("%d MODIFIED; a-042 deleted with label %q, want the racing update's", modified, deleted["a-042"])
	}
}

// Parallel deletions with writes racing them: every object ends deleted,
// and the version deleted is one that admission checked: a write acknowledged
// after the check makes the deletion check the object again.
func TestDeleteCollectionConcurrentWrites(t *testing.T) {
	s, _ := dcStorage(t, true, 8)
	const total = 800
	for i := range total {
		createIn(t, s, "team-a", fmt.Sprintf("a-%03d", i), map[string]string{"w": "created"})
	}
	w := watchFromNow(t, s, "team-a")
	defer w.Stop()

	var mu sync.Mutex
	checked := map[string]map[string]bool{} // name → the versions (labels) admission allowed
	validate := func(_ context.Context, obj runtime.Object) error {
		js := obj.(*cicd.JenkinsService)
		mu.Lock()
		defer mu.Unlock()
		if checked[js.Name] == nil {
			checked[js.Name] = map[string]bool{}
		}
		checked[js.Name][js.Labels["w"]] = true
		return nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writes atomic.Int32
	for wr := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				name := fmt.Sprintf("a-%03d", (n*4+wr)%total)
				cur, err := s.JenkinsService.Get(nsCtx("team-a"), name, &metav1.GetOptions{})
				if err != nil {
					continue
				}
				js := cur.(*cicd.JenkinsService).DeepCopy()
				js.Labels = map[string]string{"w": fmt.Sprintf("w%d-%d", wr, n)}
				if _, _, err := s.JenkinsService.Update(nsCtx("team-a"), name, rest.DefaultUpdatedObjectInfo(js), nil, nil, false, &metav1.UpdateOptions{}); err == nil {
					writes.Add(1)
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	_, err := s.JenkinsService.DeleteCollection(nsCtx("team-a"), validate, &metav1.DeleteOptions{}, nil)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(storedIn(t, s, "team-a")); n != 0 {
		t.Fatalf("%d objects left", n)
	}
	t.Logf("%d updates acknowledged during the call", writes.Load())
	gone := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(gone) < total {
		select {
		case ev := <-w.ResultChan():
			js := ev.Object.(*cicd.JenkinsService)
			if gone[js.Name] {
				t.Fatalf("%s: %s after its deletion", js.Name, ev.Type)
			}
			if ev.Type != watch.Deleted {
				continue
			}
			gone[js.Name] = true
			if !checked[js.Name][js.Labels["w"]] {
				t.Errorf("%s deleted in version %q, which admission never saw", js.Name, js.Labels["w"])
			}
		case <-timeout:
			t.Fatalf("%d of %d DELETED events", len(gone), total)
		}
	}
}

// etcdRevision is the etcd's revision: one more for every write transaction.
func etcdRevision(t *testing.T, client *kubernetes.Client) int64 {
	t.Helper()
	resp, err := client.Client.Get(context.Background(), "/", clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

func ptrTo[T any](v T) *T { return &v }
