//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	svmv1 "k8s.io/api/storagemigration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/internal/labelwriters"
	"github.com/autobusi/cicd-apiserver/test/internal/legacydata"
)

// TestStorageVersionMigration: kube-controller-manager's StorageVersionMigration
// controller (storagemigration.k8s.io/v1) migrates jenkinsservices through the
// aggregator. The original server's objects (the fixtures of testdata/legacy
// and more of their kind, v1alpha JSON) are put into the server's etcd; a
// StorageVersionMigration for jenkinsservices.autobusi.group.cicd succeeds;
// then every key is v1beta protobuf, every object reads as before through
// both versions, and clients that wrote meanwhile lost nothing.
func TestStorageVersionMigration(t *testing.T) {
	const writers = 4
	synthetic := 150
	if v := os.Getenv("E2E_SVM_OBJECTS"); v != "" {
		// E2E_SVM_OBJECTS=10000 for the measurement in docs/migration.md.
		var err error
		if synthetic, err = strconv.Atoi(v); err != nil || synthetic < writers*10 {
			t.Fatalf("E2E_SVM_OBJECTS=%q: want a number of at least %d", v, writers*10)
		}
	}
	ctx := testContext(t, 20*time.Minute)
	ns := testNamespace(t)
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{env.cicdEtcdURL}, TLS: env.cicdEtcdTLS, DialTimeout: 20 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()

	// The fixtures, moved into the test's namespace, and synthetic objects.
	fixtures, err := legacydata.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		var js v1alpha.JenkinsService
		if err := legacydata.Decode(f.Value, &js); err != nil {
			t.Fatal(err)
		}
		js.Namespace = ns
		b, err := legacydata.Encode(&js)
		if err != nil {
			t.Fatal(err)
		}
		if err := legacydata.Put(ctx, etcd, legacydata.Fixture{Namespace: ns, Name: js.Name, Value: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := legacydata.Seed(ctx, etcd, ns, "js", synthetic); err != nil {
		t.Fatal(err)
	}
	total := len(fixtures) + synthetic
	forms := func() map[string]int {
		t.Helper()
		resp, err := etcd.Get(ctx, legacydata.Prefix+ns+"/", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, kv := range resp.Kvs {
			out[legacydata.StoredForm(kv.Value)]++
		}
		return out
	}
	if got := forms(); got["v1alpha/json"] != total {
		t.Fatalf("seeded: %v, want %d v1alpha/json", got, total)
	}

	// What clients see before, through both versions (the watch caches may
	// need a moment to see the keys put into etcd).
	var beforeBeta *v1beta.JenkinsServiceList
	if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		beforeBeta, err = env.jsPB.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(beforeBeta.Items) == total, nil
	}); err != nil {
		t.Fatalf("listing the seeded objects: %v", err)
	}
	beforeAlpha, err := env.js.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(beforeAlpha.Items) != total {
		t.Fatalf("v1alpha list: %v", err)
	}

	// Writers update a few objects each while the migration runs.
	ws := labelwriters.Start(ctx, env.js.CicdV1beta().JenkinsServices(ns), synthetic, writers, 10, 50*time.Millisecond)
	stopWriters := func() {
		for _, err := range ws.Stop() {
			t.Errorf("writer: %v", err)
		}
	}

	svms := env.kube.StoragemigrationV1().StorageVersionMigrations()
	svm, err := svms.Create(ctx, &svmv1.StorageVersionMigration{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "jenkinsservices-"},
		Spec:       svmv1.StorageVersionMigrationSpec{Resource: metav1.GroupResource{Group: group, Resource: "jenkinsservices"}},
	}, metav1.CreateOptions{})
	if err != nil {
		stopWriters()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svms.Delete(context.Background(), svm.Name, metav1.DeleteOptions{}) })
	start, cpuBefore := time.Now(), migrationCPU()
	var last *svmv1.StorageVersionMigration
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := svms.Get(ctx, svm.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = got
		if meta.IsStatusConditionTrue(got.Status.Conditions, string(svmv1.MigrationFailed)) {
			return false, fmt.Errorf("migration failed: %+v", got.Status.Conditions)
		}
		return meta.IsStatusConditionTrue(got.Status.Conditions, string(svmv1.MigrationSucceeded)), nil
	})
	stopWriters()
	if err != nil {
		var status any
		if last != nil {
			status = last.Status
		}
		t.Fatalf("StorageVersionMigration %s: %v; status %+v\n--- kube-controller-manager:\n%s", svm.Name, err, status, env.controllerManager.tail(40))
	}
	elapsed := time.Since(start)
	cpu := migrationCPU()
	t.Logf("StorageVersionMigration %s succeeded after %s (%d objects, %.0f objects/s): %+v", svm.Name, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds(), last.Status.Conditions)
	for _, name := range []string{"cicd-apiserver-a", "cicd-apiserver-b", "kube-apiserver", "kube-controller-manager"} {
		d := cpu[name] - cpuBefore[name]
		t.Logf("  CPU meanwhile: %s %.1fs (%.2f cores)", name, d, d/elapsed.Seconds())
	}

	if got := forms(); got["v1beta/protobuf"] != total || len(got) != 1 {
		t.Errorf("after the migration: stored forms %v, want %d v1beta/protobuf", got, total)
	}

	// Every object reads as before, through both versions, except for what
	// the writers wrote, all of which is there.
	written := ws.Written()
	afterBeta, err := env.jsPB.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	afterAlpha, err := env.js.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(afterBeta.Items) != total || len(afterAlpha.Items) != total {
		t.Fatalf("after the migration: %d v1beta and %d v1alpha objects, want %d", len(afterBeta.Items), len(afterAlpha.Items), total)
	}
	for i := range afterBeta.Items {
		b, a := afterBeta.Items[i], afterAlpha.Items[i]
		if labels := written[b.Name]; labels != nil {
			for k, v := range labels {
				if b.Labels[k] != v {
					t.Errorf("%s: label %s=%q, want %q (acknowledged)", b.Name, k, b.Labels[k], v)
				}
			}
			continue
		}
		wantB, wantA := beforeBeta.Items[i], beforeAlpha.Items[i]
		for _, o := range []metav1.Object{&b, &a, &wantB, &wantA} {
			o.SetResourceVersion("")
		}
		if !apiequality.Semantic.DeepEqual(wantB, b) {
			t.Errorf("%s changed for v1beta clients:\nbefore %+v\n after %+v", b.Name, wantB, b)
		}
		if !apiequality.Semantic.DeepEqual(wantA, a) {
			t.Errorf("%s changed for v1alpha clients:\nbefore %+v\n after %+v", a.Name, wantA, a)
		}
	}
	t.Logf("%d objects written by %d clients during the migration", len(written), writers)

	// The storage version hash the migrator (and kube-storage-version-migrator)
	// compare: one for both versions, since both are stored as v1beta.
	hashes := map[string]string{}
	for _, version := range []string{"v1beta", "v1alpha"} {
		rl, err := env.kube.Discovery().ServerResourcesForGroupVersion(group + "/" + version)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rl.APIResources {
			if r.Name == "jenkinsservices" {
				hashes[version] = r.StorageVersionHash
			}
		}
	}
	if hashes["v1beta"] == "" || hashes["v1beta"] != hashes["v1alpha"] {
		t.Errorf("storageVersionHash of jenkinsservices: %v, want one non-empty hash for both versions", hashes)
	}
}

// migrationCPU is the user+system CPU seconds so far of the processes a
// migration runs through, by name.
func migrationCPU() map[string]float64 {
	out := map[string]float64{}
	for _, p := range []*proc{cicdProc(0), cicdProc(1), env.apiserver, env.controllerManager} {
		if p == nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", procPID(p)))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		utime, _ := strconv.ParseFloat(fields[11], 64)
		stime, _ := strconv.ParseFloat(fields[12], 64)
		out[p.name] = (utime + stime) / 100 // clock ticks of 1/100 s
	}
	return out
}

func procPID(p *proc) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
