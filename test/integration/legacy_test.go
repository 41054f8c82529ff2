package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/yaml"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
	"github.com/autobusi/cicd-apiserver/test/internal/legacydata"
)

// legacyView is what each fixture in testdata/legacy must look like through
// both versions: the stored v1alpha fields, defaults for what the original
// server left unset, and approvalstatus as the Approved condition.
type legacyView struct {
	replicas, cpu int32
	approval      v1alpha.ApprovalStatus
	condition     metav1.ConditionStatus // "" when there is no Approved condition
	instances     int
}

var legacyViews = map[string]legacyView{
	"team-a/ci":      {replicas: 2, cpu: 2, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue, instances: 2},
	"team-a/nightly": {replicas: 1, cpu: 4, approval: v1alpha.ApprovalDenied, condition: metav1.ConditionFalse},
	"team-b/build":   {replicas: 3, cpu: 1, approval: v1alpha.ApprovalPending},
	"team-b/fresh":   {replicas: 1, cpu: 1, approval: v1alpha.ApprovalPending},
}

// startWithLegacyData starts etcd, puts the original server's fixtures into it
// and then starts a server on it (unlimited admission).
func startWithLegacyData(t *testing.T, args ...string) (*framework.Server, *clientv3.Client, string, []legacydata.Fixture) {
	t.Helper()
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	fixtures := putFixtures(testContext(t), t, etcd)
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL, Args: args})
	return s, etcd, etcdURL, fixtures
}

// putFixtures puts the original server's fixtures into etcd.
func putFixtures(ctx context.Context, t *testing.T, etcd *clientv3.Client) []legacydata.Fixture {
	t.Helper()
	fixtures, err := legacydata.Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	if err := legacydata.Put(ctx, etcd, fixtures...); err != nil {
		t.Fatal(err)
	}
	return fixtures
}

// API.md, Compatibility with the original server: its stored v1alpha JSON is
// served as it is, in both versions, JSON, YAML and protobuf, in lists and
// watches beside new objects; a write stores it as v1beta protobuf; and the
// server counts the legacy decodes in cicd_storage_decodes_total.
func TestLegacyData(t *testing.T) {
	s, etcd, _, fixtures := startWithLegacyData(t)
	ctx := testContext(t)

	t.Run("get", func(t *testing.T) {
		for _, enc := range encodings {
			c := s.Clientset(t, enc)
			for _, f := range fixtures {
				want := legacyViews[f.Namespace+"/"+f.Name]
				b, err := c.CicdV1beta().JenkinsServices(f.Namespace).Get(ctx, f.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("%s v1beta get %s: %v", encName(enc), f.Key(), err)
				}
				checkLegacyV1beta(t, encName(enc)+" "+f.Key(), b, want)
				a, err := c.CicdV1alpha().JenkinsServices(f.Namespace).Get(ctx, f.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("%s v1alpha get %s: %v", encName(enc), f.Key(), err)
				}
				checkLegacyV1alpha(t, encName(enc)+" "+f.Key(), a, want)
			}
		}
	})

	t.Run("yaml", func(t *testing.T) {
		hc := s.AdminHTTPClient(t)
		for _, version := range []string{"v1alpha", "v1beta"} {
			code, ctype, body := s.Get(t, hc, "/apis/autobusi.group.cicd/"+version+"/namespaces/team-a/jenkinsservices/ci", "application/yaml")
			if code != http.StatusOK || !strings.HasPrefix(ctype, "application/yaml") {
				t.Fatalf("%s YAML get: %d %s: %s", version, code, ctype, body)
			}
			if version == "v1alpha" {
				var a v1alpha.JenkinsService
				if err := yaml.UnmarshalStrict(body, &a); err != nil {
					t.Fatalf("v1alpha YAML: %v\n%s", err, body)
				}
				checkLegacyV1alpha(t, "v1alpha YAML", &a, legacyViews["team-a/ci"])
			} else {
				var b v1beta.JenkinsService
				if err := yaml.UnmarshalStrict(body, &b); err != nil {
					t.Fatalf("v1beta YAML: %v\n%s", err, body)
				}
				checkLegacyV1beta(t, "v1beta YAML", &b, legacyViews["team-a/ci"])
			}
		}
	})

	t.Run("list-and-watch", func(t *testing.T) {
		// A new object beside the legacy ones in team-a.
		c := s.Clientset(t, framework.JSON)
		if _, err := c.CicdV1beta().JenkinsServices("team-a").Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "new"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, enc := range encodings {
			c := s.Clientset(t, enc)
			bl, err := c.CicdV1beta().JenkinsServices("").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			al, err := c.CicdV1alpha().JenkinsServices("").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(bl.Items) != len(fixtures)+1 || len(al.Items) != len(fixtures)+1 {
				t.Fatalf("%s lists: %d v1beta, %d v1alpha items, want %d", encName(enc), len(bl.Items), len(al.Items), len(fixtures)+1)
			}
			for i := range bl.Items {
				if want, ok := legacyViews[bl.Items[i].Namespace+"/"+bl.Items[i].Name]; ok {
					checkLegacyV1beta(t, encName(enc)+" v1beta list", &bl.Items[i], want)
					checkLegacyV1alpha(t, encName(enc)+" v1alpha list", &al.Items[i], want)
				}
			}
			// A watch from the start lists the legacy objects as ADDED,
			// then sees a write of one of them.
			for _, version := range []string{"v1beta", "v1alpha"} {
				w := startWatch(ctx, t, c, version, "team-b")
				seen := map[string]bool{}
				for len(seen) < 2 {
					ev := nextEvent(t, w)
					if ev.Type != watch.Added {
						t.Fatalf("%s %s watch: %s before the initial ADDED events", encName(enc), version, ev.Type)
					}
					seen[metaOf(t, ev.Object).GetName()] = true
				}
				label := encName(enc) + "-" + version
				if _, err := c.CicdV1alpha().JenkinsServices("team-b").Patch(ctx, "fresh", "application/merge-patch+json",
					[]byte(`{"metadata":{"labels":{"watched":"`+label+`"}}}`), metav1.PatchOptions{}); err != nil {
					t.Fatal(err)
				}
				ev := nextEvent(t, w)
				if ev.Type != watch.Modified || metaOf(t, ev.Object).GetLabels()["watched"] != label {
					t.Fatalf("%s %s watch: %s %v, want MODIFIED fresh with the label", encName(enc), version, ev.Type, metaOf(t, ev.Object).GetLabels())
				}
				w.Stop()
			}
		}
	})

	t.Run("metric", func(t *testing.T) {
		// The watch cache decoded every fixture when it filled; new objects
		// (v1beta protobuf) are not counted.
		metrics := s.Metrics(t)
		legacy := framework.FindSamples(metrics, "cicd_storage_decodes_total", map[string]string{"stored_version": "v1alpha", "encoding": "json"})
		if len(legacy) != 1 || legacy[0].Value < float64(len(fixtures)) {
			t.Errorf("cicd_storage_decodes_total{v1alpha,json}: %+v, want one series at %d or more", legacy, len(fixtures))
		}
		if current := framework.FindSamples(metrics, "cicd_storage_decodes_total", map[string]string{"stored_version": "v1beta"}); len(current) != 0 {
			t.Errorf("decodes of the current form are counted: %+v", current)
		}
	})

	t.Run("update-stores-v1beta-protobuf", func(t *testing.T) {
		// team-b/fresh was written by the watch subtest through v1alpha.
		c := s.Clientset(t, framework.Protobuf)
		b, err := c.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.Labels["migrated"] = "by-update"
		if _, err := c.CicdV1beta().JenkinsServices("team-a").Update(ctx, b, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("v1beta update of a legacy object: %v", err)
		}
		a, err := c.CicdV1alpha().JenkinsServices("team-a").Get(ctx, "nightly", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a.Spec.InstanceCpu = 3
		if _, err := c.CicdV1alpha().JenkinsServices("team-a").Update(ctx, a, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("v1alpha update of a legacy object: %v", err)
		}
		forms := storedForms(ctx, t, etcd)
		for key, want := range map[string]string{
			legacydata.Key("team-a", "ci"):      "v1beta/protobuf",
			legacydata.Key("team-a", "nightly"): "v1beta/protobuf",
			legacydata.Key("team-b", "fresh"):   "v1beta/protobuf",
			legacydata.Key("team-b", "build"):   "v1alpha/json",
			legacydata.Key("team-a", "new"):     "v1beta/protobuf",
		} {
			if forms[key] != want {
				t.Errorf("%s stored as %s, want %s", key, forms[key], want)
			}
		}
		// What clients see did not change, except what the updates changed.
		got, err := c.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLegacyV1beta(t, "ci after the update", got, legacyViews["team-a/ci"])
		if got.Labels["migrated"] != "by-update" || got.Labels["team"] != "a" {
			t.Errorf("labels after the update: %v", got.Labels)
		}
		nightly := legacyViews["team-a/nightly"]
		nightly.cpu = 3
		gotA, err := c.CicdV1alpha().JenkinsServices("team-a").Get(ctx, "nightly", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLegacyV1alpha(t, "nightly after the update", gotA, nightly)
	})
}

// The other no-op write a migrator may send: a server-side apply of nothing
// but the resourceVersion. A stale one conflicts; the current one rewrites
// the legacy object as v1beta protobuf and changes nothing clients see.
func TestLegacyApplyWithResourceVersion(t *testing.T) {
	s, etcd, _, _ := startWithLegacyData(t)
	ctx := testContext(t)
	c := s.Clientset(t, framework.JSON).CicdV1beta().JenkinsServices("team-b")
	before, err := c.Get(ctx, "build", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body := func(rv string) []byte {
		return []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"build","resourceVersion":"` + rv + `"}}`)
	}
	opts := metav1.PatchOptions{FieldManager: "storage-migrator"}
	if _, err := c.Patch(ctx, "build", types.ApplyPatchType, body("1"), opts); !apierrors.IsConflict(err) {
		t.Errorf("apply with a stale resourceVersion: %v, want a conflict", err)
	}
	after, err := c.Patch(ctx, "build", types.ApplyPatchType, body(before.ResourceVersion), opts)
	if err != nil {
		t.Fatalf("apply with the current resourceVersion: %v", err)
	}
	if after.ResourceVersion == before.ResourceVersion {
		t.Errorf("the legacy object was not stored again (resourceVersion %s)", after.ResourceVersion)
	}
	if got := storedForms(ctx, t, etcd)[legacydata.Key("team-b", "build")]; got != "v1beta/protobuf" {
		t.Errorf("stored as %s after the apply", got)
	}
	checkLegacyV1beta(t, "after the apply", after, legacyViews["team-b/build"])
	if !apiequality.Semantic.DeepEqual(before.Spec, after.Spec) || !apiequality.Semantic.DeepEqual(before.Status, after.Status) ||
		!apiequality.Semantic.DeepEqual(before.Annotations, after.Annotations) || before.Generation != after.Generation {
		t.Errorf("the apply changed the object:\nbefore %s\n after %s", asJSON(before), asJSON(after))
	}
}

// checkLegacyV1beta checks a legacy fixture's v1beta view.
func checkLegacyV1beta(t *testing.T, step string, b *v1beta.JenkinsService, want legacyView) {
	t.Helper()
	if b.Spec.Replicas == nil || *b.Spec.Replicas != want.replicas {
		t.Errorf("%s: replicas %v, want %d", step, b.Spec.Replicas, want.replicas)
	}
	if b.Spec.Resources.CPU == nil || b.Spec.Resources.CPU.Value() != int64(want.cpu) {
		t.Errorf("%s: cpu %v, want %d", step, b.Spec.Resources.CPU, want.cpu)
	}
	if b.Spec.Resources.Memory == nil || b.Spec.Resources.Memory.String() != "2Gi" || b.Spec.Image != defaultImage {
		t.Errorf("%s: memory %v, image %q: want the defaults", step, b.Spec.Resources.Memory, b.Spec.Image)
	}
	noPreservation(t, step, b.Annotations)
	c := findCondition(b.Status.Conditions, conditionApproved)
	switch {
	case want.condition == "" && c != nil:
		t.Errorf("%s: Approved condition %+v, want none", step, c)
	case want.condition != "" && c == nil:
		t.Errorf("%s: no Approved condition, want %s", step, want.condition)
	case c != nil:
		// A valid condition: status, a reason, and a transition time (the
		// object's creation, the one time known for the original decision).
		if c.Status != want.condition || c.Reason == "" || !c.LastTransitionTime.Equal(&b.CreationTimestamp) {
			t.Errorf("%s: Approved condition %+v, want %s with a reason at %v", step, c, want.condition, b.CreationTimestamp)
		}
	}
	if len(b.Status.Instances) != want.instances {
		t.Errorf("%s: %d instances, want %d", step, len(b.Status.Instances), want.instances)
	}
}

// checkLegacyV1alpha checks a legacy fixture's v1alpha view.
func checkLegacyV1alpha(t *testing.T, step string, a *v1alpha.JenkinsService, want legacyView) {
	t.Helper()
	if a.Spec.InstanceAmount != want.replicas || a.Spec.InstanceCpu != want.cpu {
		t.Errorf("%s: spec %+v, want instanceamount %d instancecpu %d", step, a.Spec, want.replicas, want.cpu)
	}
	if a.Status.ApprovalStatus != want.approval || len(a.Status.Instances) != want.instances {
		t.Errorf("%s: status %+v, want approvalstatus %s and %d instances", step, a.Status, want.approval, want.instances)
	}
}

// storedForms maps each jenkinsservices key in etcd to its stored form.
func storedForms(ctx context.Context, t *testing.T, etcd *clientv3.Client) map[string]string {
	t.Helper()
	resp, err := etcd.Get(ctx, legacydata.Prefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = legacydata.StoredForm(kv.Value)
	}
	return out
}

// startWatch watches one namespace from the start (resourceVersion 0: the
// current objects as ADDED events first).
func startWatch(ctx context.Context, t *testing.T, c versioned.Interface, version, ns string) watch.Interface {
	t.Helper()
	opts := metav1.ListOptions{ResourceVersion: "0"}
	var w watch.Interface
	var err error
	if version == "v1beta" {
		w, err = c.CicdV1beta().JenkinsServices(ns).Watch(ctx, opts)
	} else {
		w, err = c.CicdV1alpha().JenkinsServices(ns).Watch(ctx, opts)
	}
	if err != nil {
		t.Fatalf("%s watch: %v", version, err)
	}
	t.Cleanup(w.Stop)
	return w
}

func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no watch event in 30s")
	}
	return watch.Event{}
}

func metaOf(t *testing.T, obj any) metav1.Object {
	t.Helper()
	m, ok := obj.(metav1.Object)
	if !ok {
		t.Fatalf("watch event object %T", obj)
	}
	return m
}
