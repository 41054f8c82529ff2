package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
	"github.com/autobusi/cicd-apiserver/test/internal/labelwriters"
	"github.com/autobusi/cicd-apiserver/test/internal/legacydata"
)

// runMigrate runs `cicd-apiserver migrate --kubeconfig <server's>` with args
// and returns its output.
func runMigrate(ctx context.Context, t *testing.T, s *framework.Server, args ...string) (string, error) {
	t.Helper()
	bin, err := framework.ServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	return framework.Run(ctx, nil, bin, append([]string{"migrate", "--kubeconfig", s.Kubeconfig}, args...)...)
}

var summaryLine = regexp.MustCompile(`(?m)^summary: (\d+) objects seen, (\d+) rewritten, (\d+) already current, (\d+) gone, (\d+) failed$`)

// migrateSummary is seen, rewritten, already current, gone, failed from the
// summary line of a migrate run.
func migrateSummary(t *testing.T, out string) [5]int {
	t.Helper()
	m := summaryLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in the migrate output:\n%s", out)
	}
	var got [5]int
	for i := range got {
		got[i], _ = strconv.Atoi(m[i+1])
	}
	return got
}

// servedObjects is what clients see of every JenkinsService through v1beta, by
// namespace/name, without the resourceVersion.
func servedObjects(ctx context.Context, t *testing.T, s *framework.Server) map[string]v1beta.JenkinsService {
	t.Helper()
	list, err := s.Clientset(t, framework.Protobuf).CicdV1beta().JenkinsServices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1beta.JenkinsService{}
	for _, js := range list.Items {
		js.ResourceVersion = ""
		out[js.Namespace+"/"+js.Name] = js
	}
	return out
}

func sameSnapshots(t *testing.T, step string, want, got map[string]v1beta.JenkinsService) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d objects, want %d", step, len(got), len(want))
	}
	diffs := 0
	for k, w := range want {
		g := got[k]
		if !apiequality.Semantic.DeepEqual(w, g) {
			if diffs++; diffs <= 3 {
				t.Errorf("%s: %s changed:\nbefore %s\n after %s", step, k, asJSON(w), asJSON(g))
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%s: %d objects changed", step, diffs)
	}
}

// `cicd-apiserver migrate` (API.md, Compatibility): --dry-run counts and
// stores nothing; migrate rewrites every legacy object as v1beta protobuf and
// changes nothing a client sees; a second run rewrites nothing; and after a
// restart the server decodes no legacy object any more.
func TestMigrate(t *testing.T) {
	const legacyObjects, newObjects = 250, 20
	s, etcd, _, fixtures := startWithLegacyData(t)
	ctx := testContext(t)
	if _, err := legacydata.Seed(ctx, etcd, "legacy", "js", legacyObjects); err != nil {
		t.Fatal(err)
	}
	c := s.Clientset(t, framework.JSON)
	for i := range newObjects {
		if _, err := c.CicdV1beta().JenkinsServices("current").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("new-%d", i)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	legacy, total := legacyObjects+len(fixtures), legacyObjects+len(fixtures)+newObjects
	checkForms := func(step string, json, protobuf int) {
		t.Helper()
		forms, err := legacydata.Forms(ctx, etcd)
		if err != nil {
			t.Fatal(err)
		}
		if forms["v1alpha/json"] != json || forms["v1beta/protobuf"] != protobuf || len(forms) > 2 {
			t.Fatalf("%s: stored forms %v, want %d v1alpha/json and %d v1beta/protobuf", step, forms, json, protobuf)
		}
	}
	checkForms("before", legacy, newObjects)
	before := servedObjects(ctx, t, s)
	if len(before) != total {
		t.Fatalf("%d objects served, want %d", len(before), total)
	}

	out, err := runMigrate(ctx, t, s, "--dry-run", "--chunk-size", "50")
	if err != nil {
		t.Fatalf("migrate --dry-run: %v\n%s", err, out)
	}
	want := fmt.Sprintf("summary: dry run: %d objects seen, %d writes accepted, 0 gone, 0 failed, nothing stored", total, total)
	if !strings.Contains(out, want) {
		t.Errorf("migrate --dry-run output:\n%s\nwant the line %q", out, want)
	}
	if pages := strings.Count(out, "dry run: "); pages < total/50 {
		t.Errorf("migrate --dry-run printed %d progress lines for %d objects in pages of 50:\n%s", pages, total, out)
	}
	checkForms("after the dry run", legacy, newObjects)

	out, err = runMigrate(ctx, t, s, "--chunk-size", "50")
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if got := migrateSummary(t, out); got != [5]int{total, legacy, newObjects, 0, 0} {
		t.Errorf("migrate summary %v, want [seen rewritten current gone failed] = %v\n%s", got, [5]int{total, legacy, newObjects, 0, 0}, out)
	}
	checkForms("after migrate", 0, total)
	sameSnapshots(t, "after migrate", before, servedObjects(ctx, t, s))

	out, err = runMigrate(ctx, t, s)
	if err != nil {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	if got := migrateSummary(t, out); got != [5]int{total, 0, total, 0, 0} {
		t.Errorf("second migrate summary %v, want nothing rewritten\n%s", got, out)
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	sameSnapshots(t, "after a restart", before, servedObjects(ctx, t, s))
	if got := framework.FindSamples(s.Metrics(t), "cicd_storage_decodes_total", nil); len(got) != 0 {
		t.Errorf("legacy decodes after the migration and a restart: %+v", got)
	}
}

// A migration interrupted half-way (the process killed) and run again
// finishes: the second run rewrites exactly what the first left.
func TestMigrateInterrupted(t *testing.T) {
	const n = 600
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	ctx := testContext(t)
	if _, err := legacydata.Seed(ctx, etcd, "legacy", "js", n); err != nil {
		t.Fatal(err)
	}
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})

	bin, err := framework.ServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "migrate", "--kubeconfig", s.Kubeconfig, "--chunk-size", "50", "--workers", "1", "--qps", "100")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for lines := 0; lines < 3 && sc.Scan(); lines++ {
		t.Logf("first run: %s", sc.Text())
	}
	_ = cmd.Process.Kill()
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	_ = cmd.Wait()

	forms, err := legacydata.Forms(ctx, etcd)
	if err != nil {
		t.Fatal(err)
	}
	left := forms["v1alpha/json"]
	if left == 0 || left >= n-100 {
		t.Fatalf("after the interruption: %v; want the run stopped part-way (more than 100 rewritten, some left)", forms)
	}
	out, err := runMigrate(ctx, t, s)
	if err != nil {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	if got := migrateSummary(t, out); got != [5]int{n, left, n - left, 0, 0} {
		t.Errorf("second run %v, want [seen rewritten current gone failed] = %v\n%s", got, [5]int{n, left, n - left, 0, 0}, out)
	}
	if forms, err = legacydata.Forms(ctx, etcd); err != nil || forms["v1beta/protobuf"] != n {
		t.Errorf("after the second run: %v %v, want %d v1beta/protobuf", forms, err, n)
	}
}

// Eight clients update legacy objects while migrate runs: every update a
// client was told succeeded is in the final object, and every object ends up
// v1beta protobuf.
func TestMigrateConcurrentWriters(t *testing.T) {
	const n, clients = 800, 8
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	ctx := testContext(t)
	if _, err := legacydata.Seed(ctx, etcd, "legacy", "js", n); err != nil {
		t.Fatal(err)
	}
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})

	ws := labelwriters.Start(ctx, s.Clientset(t, framework.Protobuf).CicdV1beta().JenkinsServices("legacy"), n, clients, 7, 0)
	time.Sleep(300 * time.Millisecond)
	out, err := runMigrate(ctx, t, s, "--chunk-size", "100")
	for _, err := range ws.Stop() {
		t.Errorf("writer: %v", err)
	}
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	got := migrateSummary(t, out)
	t.Logf("migrate during %d writers: %v (seen rewritten current gone failed)", clients, got)
	if got[0] != n || got[1]+got[2] != n || got[4] != 0 {
		t.Errorf("migrate summary %v, want %d seen, all rewritten or current, none failed\n%s", got, n, out)
	}
	if got[2] == 0 {
		t.Errorf("no object was written by the clients during the migration (no conflict, none current): the test did not race")
	}
	final := servedObjects(ctx, t, s)
	written := ws.Written()
	for name, labels := range written {
		for label, v := range labels {
			if got := final["legacy/"+name].Labels[label]; got != v {
				t.Errorf("%s: %s=%q, want %q (acknowledged)", name, label, got, v)
			}
		}
	}
	t.Logf("%d objects updated by %d clients during the migration", len(written), clients)
	forms, err := legacydata.Forms(ctx, etcd)
	if err != nil || forms["v1beta/protobuf"] != n {
		t.Errorf("after the migration: %v %v, want %d v1beta/protobuf", forms, err, n)
	}
}
