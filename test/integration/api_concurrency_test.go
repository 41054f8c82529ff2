package integration

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Optimistic concurrency: a write with a stale resourceVersion is 409
// Conflict, in both versions, for update, status, approval, patch and delete.
func TestAPIConflict(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			stale, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "cf"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			staleAlpha, err := alpha.Get(ctx, "cf", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fresh := stale.DeepCopy()
			fresh.Labels = map[string]string{"n": "1"}
			current, err := beta.Update(ctx, fresh, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if current.ResourceVersion == stale.ResourceVersion {
				t.Fatal("an update did not move the resourceVersion")
			}

			conflict := func(what string, err error) {
				t.Helper()
				if !apierrors.IsConflict(err) || statusCode(err) != 409 {
					t.Errorf("%s with a stale resourceVersion: %v (code %d), want 409 Conflict", what, err, statusCode(err))
				}
			}
			upd := stale.DeepCopy()
			upd.Spec.Replicas = i32(3)
			_, err = beta.Update(ctx, upd, metav1.UpdateOptions{})
			conflict("v1beta update", err)
			staleAlpha.Spec.InstanceAmount = 3
			_, err = alpha.Update(ctx, staleAlpha, metav1.UpdateOptions{})
			conflict("v1alpha update", err)
			_, err = beta.UpdateStatus(ctx, stale, metav1.UpdateOptions{})
			conflict("v1beta status update", err)
			_, err = alpha.UpdateStatus(ctx, staleAlpha, metav1.UpdateOptions{})
			conflict("v1alpha status update", err)
			_, err = beta.UpdateApproval(ctx, "cf", stale, metav1.UpdateOptions{})
			conflict("v1beta approval", err)
			_, err = beta.Patch(ctx, "cf", types.MergePatchType,
				[]byte(fmt.Sprintf(`{"metadata":{"resourceVersion":%q},"spec":{"replicas":4}}`, stale.ResourceVersion)), metav1.PatchOptions{})
			conflict("v1beta merge patch", err)
			err = beta.Delete(ctx, "cf", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &stale.ResourceVersion}})
			conflict("v1beta delete", err)

			got, err := beta.Get(ctx, "cf", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.ResourceVersion != current.ResourceVersion || *got.Spec.Replicas != 1 {
				t.Errorf("refused writes changed the object: rv %s -> %s, replicas %d", current.ResourceVersion, got.ResourceVersion, *got.Spec.Replicas)
			}
		})
	}
}

// No lost update: 8 clients (both versions, both encodings) each increment a
// counter label 25 times with read-modify-write and retry on conflict; the
// counter ends at 200, and the v1alpha writes lose nothing of the v1beta view.
func TestAPIConcurrentIncrements(t *testing.T) {
	const workers, increments = 8, 25
	ctx, ns := testContext(t), namespace(t)
	orig := createFull(ctx, t, shared.Clientset(t, framework.JSON).CicdV1beta().JenkinsServices(ns), "counter")

	clients := map[framework.Encoding]versioned.Interface{}
	for _, enc := range encodings {
		clients[enc] = shared.Clientset(t, enc)
	}
	var conflicts sync.Map
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := clients[encodings[w%2]]
			useAlpha := (w/2)%2 == 1
			n := 0
			for i := 0; i < increments; i++ {
				for {
					err := increment(ctx, c, ns, useAlpha)
					if err == nil {
						break
					}
					if !apierrors.IsConflict(err) {
						errs <- fmt.Errorf("worker %d increment %d: %w", w, i, err)
						return
					}
					n++
				}
			}
			conflicts.Store(w, n)
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	conflicts.Range(func(_, v any) bool { total += v.(int); return true })
	t.Logf("%d conflicts retried", total)

	got, err := clients[framework.JSON].CicdV1beta().JenkinsServices(ns).Get(ctx, "counter", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels["counter"] != strconv.Itoa(workers*increments) {
		t.Errorf("counter %q after %d increments, want %d (lost updates)", got.Labels["counter"], workers*increments, workers*increments)
	}
	sameV1betaView(t, "after concurrent label increments", orig, got, false)
}

// increment reads the object, adds one to its counter label and writes it
// back with the resourceVersion it read.
func increment(ctx context.Context, c versioned.Interface, ns string, useAlpha bool) error {
	bump := func(labels map[string]string) (map[string]string, error) {
		n := 0
		if v, ok := labels["counter"]; ok {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				return nil, err
			}
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels["counter"] = strconv.Itoa(n + 1)
		return labels, nil
	}
	if useAlpha {
		js, err := c.CicdV1alpha().JenkinsServices(ns).Get(ctx, "counter", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if js.Labels, err = bump(js.Labels); err != nil {
			return err
		}
		_, err = c.CicdV1alpha().JenkinsServices(ns).Update(ctx, js, metav1.UpdateOptions{})
		return err
	}
	js, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, "counter", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if js.Labels, err = bump(js.Labels); err != nil {
		return err
	}
	_, err = c.CicdV1beta().JenkinsServices(ns).Update(ctx, js, metav1.UpdateOptions{})
	return err
}
