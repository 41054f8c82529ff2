package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
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

// oddShape is a value the original server could have left in etcd: v1alpha
// JSON of a shape testdata/legacy does not show (fields left out, JSON nulls,
// fields this server does not know, approvalstatus in another letter case),
// and what it reads as through both versions.
type oddShape struct {
	name  string
	value string // NAME, NS and UID are replaced per object
	view  legacyView
}

const (
	oddHead = `{"kind":"JenkinsService","apiVersion":"autobusi.group.cicd/v1alpha",`
	oddMeta = `"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":"2024-01-02T03:04:05Z"}`
)

var oddShapes = []oddShape{
	{"nospec", oddHead + oddMeta + "}\n",
		legacyView{replicas: 1, cpu: 1, approval: v1alpha.ApprovalPending}},
	{"nullspec", oddHead + oddMeta + `,"spec":null,"status":null}` + "\n",
		legacyView{replicas: 1, cpu: 1, approval: v1alpha.ApprovalPending}},
	{"nullfields", oddHead + `"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":"2024-01-02T03:04:05Z",` +
		`"labels":null,"annotations":null,"finalizers":null,"managedFields":null},` +
		`"spec":{"instanceamount":null,"instancecpu":null},"status":{"approvalstatus":null,"instances":null}}` + "\n",
		legacyView{replicas: 1, cpu: 1, approval: v1alpha.ApprovalPending}},
	{"nullinstances", oddHead + oddMeta + `,"spec":{"instanceamount":2,"instancecpu":2},` +
		`"status":{"approvalstatus":"Approved","instances":[null,{"cpu":null,"running":null},{"cpu":3,"running":true}]}}` + "\n",
		legacyView{replicas: 2, cpu: 2, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue, instances: 3}},
	{"emptyinstances", oddHead + oddMeta + `,"spec":{"instanceamount":2,"instancecpu":3},"status":{"approvalstatus":"Denied","instances":[]}}` + "\n",
		legacyView{replicas: 2, cpu: 3, approval: v1alpha.ApprovalDenied, condition: metav1.ConditionFalse}},
	{"unknownfields", `{"kind":"JenkinsService","apiVersion":"autobusi.group.cicd/v1alpha","extra":{"a":[1,2]},` +
		`"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":"2024-01-02T03:04:05Z","selfLink":"/apis/x","unknownMeta":true},` +
		`"spec":{"instanceamount":3,"instancecpu":2,"instancememory":"4Gi"},` +
		`"status":{"approvalstatus":"Approved","phase":"Running","instances":[{"cpu":2,"running":true,"host":"node-1"}]}}` + "\n",
		legacyView{replicas: 3, cpu: 2, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue, instances: 1}},
	{"lowercase", oddHead + oddMeta + `,"spec":{"instanceamount":1,"instancecpu":2},"status":{"approvalstatus":"approved"}}` + "\n",
		legacyView{replicas: 1, cpu: 2, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue}},
	{"uppercase", oddHead + oddMeta + `,"spec":{"instanceamount":1,"instancecpu":2},"status":{"approvalstatus":"DENIED"}}` + "\n",
		legacyView{replicas: 1, cpu: 2, approval: v1alpha.ApprovalDenied, condition: metav1.ConditionFalse}},
	{"mixedcase", oddHead + oddMeta + `,"spec":{"instanceamount":1,"instancecpu":2},"status":{"approvalstatus":"pEnDiNg"}}` + "\n",
		legacyView{replicas: 1, cpu: 2, approval: v1alpha.ApprovalPending}},
	{"emptyapproval", oddHead + oddMeta + `,"spec":{"instanceamount":4},"status":{"approvalstatus":""}}` + "\n",
		legacyView{replicas: 4, cpu: 1, approval: v1alpha.ApprovalPending}},
	{"pretty", "\n{\n  \"kind\": \"JenkinsService\",\n  \"apiVersion\": \"autobusi.group.cicd/v1alpha\",\n  " + oddMeta +
		",\n  \"spec\": {\n    \"instanceamount\": 2\n  },\n  \"status\": {\n    \"approvalstatus\": \"Approved\",\n" +
		"    \"instances\": [\n      {\n        \"cpu\": 1,\n        \"running\": true\n      }\n    ]\n  }\n}\n",
		legacyView{replicas: 2, cpu: 1, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue, instances: 1}},
	{"nullcreation", oddHead + `"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":null},` +
		`"spec":{"instanceamount":2,"instancecpu":2},"status":{"approvalstatus":"Approved","instances":[{"cpu":2,"running":true}]}}` + "\n",
		legacyView{replicas: 2, cpu: 2, approval: v1alpha.ApprovalApproved, condition: metav1.ConditionTrue, instances: 1}},
	{"storedmeta", oddHead + `"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":"2024-01-02T03:04:05Z",` +
		`"resourceVersion":"1","generation":7,"labels":{"team":"z"},"annotations":{"note":"x"}},"spec":{"instanceamount":1,"instancecpu":1},"status":{}}` + "\n",
		legacyView{replicas: 1, cpu: 1, approval: v1alpha.ApprovalPending}},
}

// oddValue is shape's stored value for ns/name.
func oddValue(shape oddShape, ns, name string, n int) string {
	return strings.NewReplacer("NAME", name, "NS", ns, "UID", fmt.Sprintf("00000000-0000-4000-8000-%012d", n)).Replace(shape.value)
}

// oddOp is one operation on a legacy object, in one version. check compares
// the v1beta views before and after it.
type oddOp struct {
	name  string
	do    func(ctx context.Context, t *testing.T, s *framework.Server, c versioned.Interface, ns, name string)
	check func(t *testing.T, step string, before, after *v1beta.JenkinsService)
}

// labelled checks that only the label probe=want was added.
func labelled(want string) func(t *testing.T, step string, before, after *v1beta.JenkinsService) {
	return func(t *testing.T, step string, before, after *v1beta.JenkinsService) {
		t.Helper()
		sameV1betaView(t, step, before, after, false)
		if after.Labels["probe"] != want {
			t.Errorf("%s: labels %v, want probe=%s", step, after.Labels, want)
		}
	}
}

// patchOp patches ns/name with body (VERSION replaced) through version.
func patchOp(version string, pt types.PatchType, body string) func(ctx context.Context, t *testing.T, s *framework.Server, c versioned.Interface, ns, name string) {
	return func(ctx context.Context, t *testing.T, s *framework.Server, c versioned.Interface, ns, name string) {
		t.Helper()
		body := strings.NewReplacer("VERSION", version, "NAME", name).Replace(body)
		opts := metav1.PatchOptions{}
		if pt == types.ApplyPatchType {
			opts.FieldManager = "probe"
		}
		var err error
		if version == "v1alpha" {
			_, err = c.CicdV1alpha().JenkinsServices(ns).Patch(ctx, name, pt, []byte(body), opts)
		} else {
			_, err = c.CicdV1beta().JenkinsServices(ns).Patch(ctx, name, pt, []byte(body), opts)
		}
		if err != nil {
			t.Errorf("%s %s patch: %v", version, pt, err)
		}
	}
}

func oddOps() []oddOp {
	var ops []oddOp
	for _, version := range []string{"v1alpha", "v1beta"} {
		ops = append(ops,
			oddOp{"put-" + version, func(ctx context.Context, t *testing.T, _ *framework.Server, c versioned.Interface, ns, name string) {
				if version == "v1alpha" {
					js, err := c.CicdV1alpha().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					metav1.SetMetaDataLabel(&js.ObjectMeta, "probe", "put")
					if _, err := c.CicdV1alpha().JenkinsServices(ns).Update(ctx, js, metav1.UpdateOptions{}); err != nil {
						t.Errorf("v1alpha update: %v", err)
					}
					return
				}
				js, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				metav1.SetMetaDataLabel(&js.ObjectMeta, "probe", "put")
				if _, err := c.CicdV1beta().JenkinsServices(ns).Update(ctx, js, metav1.UpdateOptions{}); err != nil {
					t.Errorf("v1beta update: %v", err)
				}
			}, labelled("put")},
			oddOp{"merge-" + version, patchOp(version, types.MergePatchType, `{"metadata":{"labels":{"probe":"merge"}}}`), labelled("merge")},
			oddOp{"json-" + version, patchOp(version, types.JSONPatchType, `[{"op":"add","path":"/metadata/labels","value":{"probe":"json"}}]`), labelled("json")},
			oddOp{"smp-" + version, patchOp(version, types.StrategicMergePatchType, `{"metadata":{"labels":{"probe":"smp"}}}`), labelled("smp")},
			oddOp{"apply-" + version, patchOp(version, types.ApplyPatchType,
				`{"apiVersion":"autobusi.group.cicd/VERSION","kind":"JenkinsService","metadata":{"name":"NAME","labels":{"probe":"apply"}}}`), labelled("apply")},
			oddOp{"status-" + version, func(ctx context.Context, t *testing.T, _ *framework.Server, c versioned.Interface, ns, name string) {
				if version == "v1alpha" {
					js, err := c.CicdV1alpha().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					js.Status.Instances = []v1alpha.JenkinsServerInstance{{Cpu: 5, Running: true}}
					if _, err := c.CicdV1alpha().JenkinsServices(ns).UpdateStatus(ctx, js, metav1.UpdateOptions{}); err != nil {
						t.Errorf("v1alpha status update: %v", err)
					}
					return
				}
				js, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				js.Status.Instances = []v1beta.JenkinsServerInstance{{Name: name + "-0", CPU: resource.MustParse("5"), Running: true}}
				if _, err := c.CicdV1beta().JenkinsServices(ns).UpdateStatus(ctx, js, metav1.UpdateOptions{}); err != nil {
					t.Errorf("v1beta status update: %v", err)
				}
			}, func(t *testing.T, step string, before, after *v1beta.JenkinsService) {
				if len(after.Status.Instances) != 1 || after.Status.Instances[0].CPU.String() != "5" || !after.Status.Instances[0].Running {
					t.Errorf("%s: instances %s, want one of 5 cores, running", step, asJSON(after.Status.Instances))
				}
				want := before.DeepCopy()
				want.Status.Instances = after.Status.Instances
				sameV1betaView(t, step, want, after, true)
			}},
			oddOp{"scale-" + version, func(ctx context.Context, t *testing.T, _ *framework.Server, c versioned.Interface, ns, name string) {
				get, update := c.CicdV1beta().JenkinsServices(ns).GetScale, c.CicdV1beta().JenkinsServices(ns).UpdateScale
				if version == "v1alpha" {
					get, update = c.CicdV1alpha().JenkinsServices(ns).GetScale, c.CicdV1alpha().JenkinsServices(ns).UpdateScale
				}
				scale, err := get(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("%s get scale: %v", version, err)
				}
				scale.Spec.Replicas = 7
				if _, err := update(ctx, name, scale, metav1.UpdateOptions{}); err != nil {
					t.Errorf("%s update scale: %v", version, err)
				}
			}, func(t *testing.T, step string, before, after *v1beta.JenkinsService) {
				want := before.DeepCopy()
				want.Spec.Replicas = i32(7)
				want.Generation++
				sameV1betaView(t, step, want, after, true)
			}},
			oddOp{"approval-" + version, func(ctx context.Context, t *testing.T, _ *framework.Server, c versioned.Interface, ns, name string) {
				if version == "v1alpha" {
					js, err := c.CicdV1alpha().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					js.Status.ApprovalStatus = v1alpha.ApprovalDenied
					if _, err := c.CicdV1alpha().JenkinsServices(ns).UpdateApproval(ctx, name, js, metav1.UpdateOptions{}); err != nil {
						t.Errorf("v1alpha approval: %v", err)
					}
					return
				}
				js, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				js.Status.Conditions = []metav1.Condition{{Type: conditionApproved, Status: metav1.ConditionFalse, Reason: "DeniedByProbe", Message: "no",
					LastTransitionTime: metav1.Now()}}
				if _, err := c.CicdV1beta().JenkinsServices(ns).UpdateApproval(ctx, name, js, metav1.UpdateOptions{}); err != nil {
					t.Errorf("v1beta approval: %v", err)
				}
			}, func(t *testing.T, step string, before, after *v1beta.JenkinsService) {
				c := findCondition(after.Status.Conditions, conditionApproved)
				if c == nil || c.Status != metav1.ConditionFalse || c.Reason == "" {
					t.Errorf("%s: Approved condition %+v, want False", step, c)
				}
				want := before.DeepCopy()
				want.Status.Conditions = after.Status.Conditions
				sameV1betaView(t, step, want, after, true)
			}},
		)
	}
	return ops
}

// API.md, Compatibility with the original server: objects of every valid
// v1alpha shape it may have stored are served in both versions and every
// wire format, and every operation on them works and stores them as v1beta
// protobuf.
func TestCompatLegacyShapes(t *testing.T) {
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	ctx := testContext(t)
	const readNS = "odd-read"
	ops := oddOps()
	n := 0
	put := func(ns, name string, shape oddShape) {
		n++
		if _, err := etcd.Put(ctx, legacydata.Key(ns, name), oddValue(shape, ns, name, n)); err != nil {
			t.Fatal(err)
		}
	}
	for _, shape := range oddShapes {
		put(readNS, shape.name, shape)
		for _, op := range ops {
			put("odd-"+op.name, shape.name, shape)
		}
		put("odd-delete", shape.name, shape)
		put("odd-dc-v1alpha", shape.name, shape)
		put("odd-dc-v1beta", shape.name, shape)
	}
	// An object the original server was deleting when it stopped: it waits
	// for its finalizer.
	finalizing := oddHead + `"metadata":{"name":"NAME","namespace":"NS","uid":"UID","creationTimestamp":"2024-01-02T03:04:05Z",` +
		`"deletionTimestamp":"2024-02-02T03:04:05Z","deletionGracePeriodSeconds":0,"finalizers":["example.com/keep"]},"spec":{"instanceamount":2}}` + "\n"
	put("odd-final", "finalizing", oddShape{value: finalizing})
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})

	t.Run("read", func(t *testing.T) {
		for _, enc := range encodings {
			c := s.Clientset(t, enc)
			for _, shape := range oddShapes {
				step := encName(enc) + " " + shape.name
				b, err := c.CicdV1beta().JenkinsServices(readNS).Get(ctx, shape.name, metav1.GetOptions{})
				if err != nil {
					t.Errorf("%s v1beta get: %v", step, err)
					continue
				}
				checkLegacyV1beta(t, step+" v1beta", withDecisionTime(b), shape.view)
				a, err := c.CicdV1alpha().JenkinsServices(readNS).Get(ctx, shape.name, metav1.GetOptions{})
				if err != nil {
					t.Errorf("%s v1alpha get: %v", step, err)
					continue
				}
				checkLegacyV1alpha(t, step+" v1alpha", a, shape.view)
			}
			bl, err := c.CicdV1beta().JenkinsServices(readNS).List(ctx, metav1.ListOptions{})
			if err != nil || len(bl.Items) != len(oddShapes) {
				t.Errorf("%s v1beta list: %v, %d items", encName(enc), err, itemCount(bl))
			}
			al, err := c.CicdV1alpha().JenkinsServices(readNS).List(ctx, metav1.ListOptions{})
			if err != nil || len(al.Items) != len(oddShapes) {
				t.Errorf("%s v1alpha list: %v", encName(enc), err)
			}
			for _, version := range []string{"v1alpha", "v1beta"} {
				w := startWatch(ctx, t, c, version, readNS)
				for range oddShapes {
					if ev := nextEvent(t, w); ev.Type != watch.Added {
						t.Errorf("%s %s watch: %s %v", encName(enc), version, ev.Type, ev.Object)
						break
					}
				}
				w.Stop()
			}
		}
		hc := s.AdminHTTPClient(t)
		for _, version := range []string{"v1alpha", "v1beta"} {
			for _, shape := range oddShapes {
				code, _, body := s.Get(t, hc, jsPath(version, readNS)+"/"+shape.name, "application/yaml")
				if code != http.StatusOK {
					t.Errorf("%s YAML get %s: %d %s", version, shape.name, code, body)
					continue
				}
				if version == "v1alpha" {
					var a v1alpha.JenkinsService
					if err := yaml.UnmarshalStrict(body, &a); err != nil {
						t.Errorf("v1alpha YAML %s: %v", shape.name, err)
					}
					checkLegacyV1alpha(t, "YAML "+shape.name, &a, shape.view)
				} else {
					var b v1beta.JenkinsService
					if err := yaml.UnmarshalStrict(body, &b); err != nil {
						t.Errorf("v1beta YAML %s: %v", shape.name, err)
					}
					checkLegacyV1beta(t, "YAML "+shape.name, withDecisionTime(&b), shape.view)
				}
			}
			for _, accept := range []string{
				"application/json;as=Table;v=v1;g=meta.k8s.io",
				"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
				"application/yaml",
				"application/vnd.kubernetes.protobuf",
			} {
				if code, _, body := s.Get(t, hc, jsPath(version, readNS), accept); code != http.StatusOK {
					t.Errorf("%s list as %s: %d %s", version, accept, code, body)
				}
			}
		}
	})

	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			ns := "odd-" + op.name
			for _, enc := range []framework.Encoding{framework.JSON} {
				c := s.Clientset(t, enc)
				for _, shape := range oddShapes {
					step := op.name + " " + shape.name
					before, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, shape.name, metav1.GetOptions{})
					if err != nil {
						t.Errorf("%s: get before: %v", step, err)
						continue
					}
					op.do(ctx, t, s, c, ns, shape.name)
					after, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, shape.name, metav1.GetOptions{})
					if err != nil {
						t.Errorf("%s: get after: %v", step, err)
						continue
					}
					op.check(t, step, before, after)
					if form := storedForms(ctx, t, etcd)[legacydata.Key(ns, shape.name)]; form != "v1beta/protobuf" {
						t.Errorf("%s: stored as %s", step, form)
					}
				}
			}
		})
	}

	t.Run("finalizing", func(t *testing.T) {
		c := s.Clientset(t, framework.Protobuf)
		a, err := c.CicdV1alpha().JenkinsServices("odd-final").Get(ctx, "finalizing", metav1.GetOptions{})
		if err != nil || a.DeletionTimestamp == nil || a.Spec.InstanceAmount != 2 {
			t.Fatalf("v1alpha get of an object being deleted: %v %+v", err, a)
		}
		if _, err := c.CicdV1beta().JenkinsServices("odd-final").Patch(ctx, "finalizing", types.MergePatchType,
			[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
			t.Fatalf("removing the finalizer: %v", err)
		}
		if _, err := c.CicdV1beta().JenkinsServices("odd-final").Get(ctx, "finalizing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get after the finalizer went: %v, want 404", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		c := s.Clientset(t, framework.Protobuf)
		for i, shape := range oddShapes {
			var err error
			if i%2 == 0 {
				err = c.CicdV1alpha().JenkinsServices("odd-delete").Delete(ctx, shape.name, metav1.DeleteOptions{})
			} else {
				err = c.CicdV1beta().JenkinsServices("odd-delete").Delete(ctx, shape.name, metav1.DeleteOptions{})
			}
			if err != nil {
				t.Errorf("delete %s: %v", shape.name, err)
			}
			if _, err := c.CicdV1beta().JenkinsServices("odd-delete").Get(ctx, shape.name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("get after delete %s: %v", shape.name, err)
			}
		}
		for _, version := range []string{"v1alpha", "v1beta"} {
			ns := "odd-dc-" + version
			got := compatDo(t, s, http.MethodDelete, jsPath(version, ns), "", "")
			if got.code != http.StatusOK {
				t.Errorf("%s delete-collection: %d %s", version, got.code, got.body)
			}
			if l, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
				t.Errorf("%s after delete-collection: %v, %d left", version, err, itemCount(l))
			}
		}
	})

	t.Run("migrate", func(t *testing.T) { migrateOddShapes(ctx, t, s, etcd) })
}

// migrateOddShapes: cicd-apiserver migrate rewrites what is left of the odd
// shapes and changes nothing a client sees, also after a restart.
func migrateOddShapes(ctx context.Context, t *testing.T, s *framework.Server, etcd *clientv3.Client) {
	before := servedObjects(ctx, t, s)
	out, err := runMigrate(ctx, t, s)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if got := migrateSummary(t, out); got[4] != 0 || got[1] == 0 {
		t.Errorf("migrate summary %v, want objects rewritten and none failed\n%s", got, out)
	}
	forms, err := legacydata.Forms(ctx, etcd)
	if err != nil {
		t.Fatal(err)
	}
	if len(forms) != 1 || forms["v1beta/protobuf"] == 0 {
		t.Errorf("stored forms after migrate: %v", forms)
	}
	sameSnapshots(t, "after migrate", before, servedObjects(ctx, t, s))
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	sameSnapshots(t, "after a restart", before, servedObjects(ctx, t, s))
}

// withDecisionTime is b as checkLegacyV1beta sees it: that compares the
// Approved condition's time with the creation time, and an object stored
// without one reads with the epoch there.
func withDecisionTime(b *v1beta.JenkinsService) *v1beta.JenkinsService {
	if !b.CreationTimestamp.IsZero() {
		return b
	}
	b = b.DeepCopy()
	b.CreationTimestamp = metav1.NewTime(time.Unix(0, 0).UTC())
	return b
}

func itemCount(l *v1beta.JenkinsServiceList) int {
	if l == nil {
		return -1
	}
	return len(l.Items)
}

// compatResponse is a response's code and body.
type compatResponse struct {
	code int
	body string
}

// compatDo sends method path with body (content type ctype, if any) as the admin.
func compatDo(t *testing.T, s *framework.Server, method, path, ctype, body string) compatResponse {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.AdminHTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return compatResponse{code: resp.StatusCode, body: string(b)}
}
