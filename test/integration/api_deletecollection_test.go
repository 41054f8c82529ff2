package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Delete-collection with the server's parallel workers (issue 14: the
// default --delete-collection-workers is 64): every object is still deleted
// one by one, in an etcd transaction of its own, so an object with a finalizer
// only gets its deletionTimestamp, every other one is gone, and a watcher sees
// exactly one event per object, a DELETED for the deleted and a MODIFIED for
// the finalized; objects outside the selector stay untouched.
func TestAPIDeleteCollectionParallel(t *testing.T) {
	const (
		total     = 120
		finalized = 12 // every tenth object
		finalizer = "example.com/keep"
	)
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.Protobuf).CicdV1beta().JenkinsServices(ns)
	name := func(i int) string { return fmt.Sprintf("dc-%03d", i) }

	var wg sync.WaitGroup
	errs := make(chan error, total+1)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += 8 {
				o := &v1beta.JenkinsService{
					ObjectMeta: metav1.ObjectMeta{Name: name(i), Labels: map[string]string{"batch": "a"}},
					Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(1), Resources: v1beta.JenkinsServiceResources{CPU: qty("1"), Memory: qty("1Gi")}},
				}
				if i%10 == 0 {
					o.Finalizers = []string{finalizer}
				}
				if _, err := c.Create(ctx, o, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	if _, err := c.Create(ctx, &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "outside", Labels: map[string]string{"batch": "b"}},
		Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(1), Resources: v1beta.JenkinsServiceResources{CPU: qty("1"), Memory: qty("1Gi")}},
	}, metav1.CreateOptions{}); err != nil {
		errs <- err
	}
	close(errs)
	for err := range errs {
		t.Fatalf("create: %v", err)
	}

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, LabelSelector: "batch=a"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	if err := c.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "batch=a"}); err != nil {
		t.Fatalf("delete-collection: %v", err)
	}

	// One event per object.
	events := map[string]watch.EventType{}
	timeout := time.After(time.Minute)
	for len(events) < total {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed after %d events", len(events))
			}
			o, isJS := ev.Object.(*v1beta.JenkinsService)
			if !isJS {
				t.Fatalf("watch event %s with %T", ev.Type, ev.Object)
			}
			if prev, seen := events[o.Name]; seen {
				t.Fatalf("%s: a second event %s after %s", o.Name, ev.Type, prev)
			}
			events[o.Name] = ev.Type
		case <-timeout:
			t.Fatalf("%d of %d watch events within a minute", len(events), total)
		}
	}
	for i := 0; i < total; i++ {
		want := watch.Deleted
		if i%10 == 0 {
			want = watch.Modified
		}
		if events[name(i)] != want {
			t.Errorf("%s: watch event %s, want %s", name(i), events[name(i)], want)
		}
	}

	left, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, o := range left.Items {
		switch {
		case o.Name == "outside":
			if o.DeletionTimestamp != nil {
				t.Errorf("outside the selector and yet deleting: %v", o.DeletionTimestamp)
			}
		case o.DeletionTimestamp == nil || len(o.Finalizers) != 1:
			t.Errorf("%s left without deletionTimestamp or its finalizer: %v %v", o.Name, o.DeletionTimestamp, o.Finalizers)
		default:
			kept++
		}
	}
	if kept != finalized || len(left.Items) != finalized+1 {
		t.Fatalf("left %d objects, %d finalized; want %d finalized and the one outside", len(left.Items), kept, finalized)
	}

	// Removing the finalizers ends the deletions.
	for _, o := range left.Items {
		if o.Name == "outside" {
			continue
		}
		o.Finalizers = nil
		if _, err := c.Update(ctx, &o, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("%s: removing the finalizer: %v", o.Name, err)
		}
	}
	if err := waitList(ctx, func() (int, error) {
		l, err := c.List(ctx, metav1.ListOptions{LabelSelector: "batch=a"})
		if err != nil {
			return 0, err
		}
		return len(l.Items), nil
	}); err != nil {
		t.Fatal(err)
	}
}

// waitList waits until count returns 0.
func waitList(ctx context.Context, count func() (int, error)) error {
	for {
		n, err := count()
		if err == nil && n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d left, last error %v: %w", n, err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
