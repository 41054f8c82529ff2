//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// etcdPrefix is where the server keeps its objects (API.md).
const etcdPrefix = "/registry/cicd-apiserver.autobusi.com/"

// TestNamespaceLifecycle: the server's admission sees namespaces through the
// core API: no JenkinsService in a namespace that does not exist or is being
// deleted; and deleting a namespace removes its JenkinsServices (the
// namespace controller, through the aggregated API, finishes).
func TestNamespaceLifecycle(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)

	t.Run("missing namespace", func(t *testing.T) {
		ns := fmt.Sprintf("e2e-missing-%d", nsCounter.Add(1))
		_, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, "ci", 1), metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
			t.Fatalf("create in the missing namespace %s: got %v, want 404 or 403", ns, err)
		}
		if !strings.Contains(err.Error(), ns) {
			t.Errorf("the refusal does not name the namespace: %v", err)
		}
		if keys := etcdKeys(t, ctx, "/"+ns+"/"); len(keys) != 0 {
			t.Errorf("stored in etcd: %v", keys)
		}
	})

	t.Run("terminating namespace", func(t *testing.T) {
		ns := testNamespace(t)
		// A ConfigMap with a finalizer of ours holds the namespace in
		// Terminating until the test lets go.
		const hold = "e2e.autobusi.group.cicd/hold"
		if _, err := env.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "hold", Finalizers: []string{hold}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		release := func() {
			_, _ = env.kube.CoreV1().ConfigMaps(ns).Patch(context.Background(), "hold", types.JSONPatchType,
				[]byte(`[{"op":"remove","path":"/metadata/finalizers"}]`), metav1.PatchOptions{})
		}
		t.Cleanup(release)
		if err := env.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		got, err := env.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil || got.Status.Phase != corev1.NamespaceTerminating {
			t.Fatalf("namespace %s: %v, phase %v; want Terminating", ns, err, got.Status.Phase)
		}
		// Refused as soon as the server's namespace informer has seen the
		// deletion (NamespaceLifecycle, as in kube-apiserver: a create in the
		// moment before that is admitted, and the namespace controller
		// deletes it with the rest).
		create := func(name string) error {
			_, err := env.js.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: name},
			}, metav1.CreateOptions{})
			return err
		}
		refused := func(err error) bool {
			return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "being terminated")
		}
		var lastErr error
		for i := 0; ; i++ {
			lastErr = create(fmt.Sprintf("late-%d", i))
			if refused(lastErr) {
				t.Logf("refused %s after the namespace was deleted: %v", time.Since(deleted).Round(time.Millisecond), lastErr)
				break
			}
			if lastErr == nil && time.Since(deleted) > 5*time.Second {
				t.Fatalf("created a JenkinsService in the namespace %s %s after it was deleted", ns, time.Since(deleted).Round(time.Millisecond))
			}
			if time.Since(deleted) > 30*time.Second {
				t.Fatalf("create in the terminating namespace %s: got %v, want 403 ... is being terminated", ns, lastErr)
			}
			time.Sleep(100 * time.Millisecond)
		}
		for i := range 5 {
			if err := create(fmt.Sprintf("later-%d", i)); !refused(err) {
				t.Errorf("create in the terminating namespace %s, once refused: got %v, want 403", ns, err)
			}
		}
		release()
		if err := waitNamespaceGone(ctx, ns, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("namespace deletion", func(t *testing.T) {
		ns := testNamespace(t)
		if _, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, "beta", 2), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.js.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
			ObjectMeta: metav1.ObjectMeta{Name: "alpha"},
			Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 1, InstanceCpu: 1},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if keys := etcdKeys(t, ctx, "/"+ns+"/"); len(keys) != 2 {
			t.Fatalf("etcd holds %v, want the two JenkinsServices", keys)
		}
		start := time.Now()
		if err := env.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := waitNamespaceGone(ctx, ns, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		t.Logf("namespace %s with two JenkinsServices deleted in %s", ns, time.Since(start).Round(100*time.Millisecond))
		l, err := env.js.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(l.Items) != 0 {
			t.Errorf("JenkinsServices left in the deleted namespace: %v, %d", err, len(l.Items))
		}
		if keys := etcdKeys(t, ctx, "/"+ns+"/"); len(keys) != 0 {
			t.Errorf("etcd still holds %v", keys)
		}
	})
}

// etcdKeys lists the keys in the server's etcd under its prefix that
// contain part.
func etcdKeys(t *testing.T, ctx context.Context, part string) []string {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{env.cicdEtcdURL}, TLS: env.cicdEtcdTLS, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Get(ctx, etcdPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("etcd: %v", err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		if strings.Contains(string(kv.Key), part) {
			keys = append(keys, string(kv.Key))
		}
	}
	return keys
}
