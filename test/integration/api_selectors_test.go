package integration

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	v1alphaapply "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1alpha"
	v1betaapply "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// API.md, kubectl: label selectors and the field selectors metadata.name,
// metadata.namespace and spec.replicas (v1alpha spec.instanceamount), for
// lists and watches, in both versions and encodings.
func TestAPISelectors(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	admin := shared.Clientset(t, framework.JSON)
	for name, replicas := range map[string]int32{"zero": 0, "one": 1, "two-a": 2, "two-b": 2} {
		if _, err := admin.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"tier": map[bool]string{true: "web", false: "batch"}[replicas == 2]}},
			Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(replicas)},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			c := shared.Clientset(t, enc)
			betaNames := func(opts metav1.ListOptions) []string {
				t.Helper()
				l, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, opts)
				if err != nil {
					t.Fatalf("v1beta list %+v: %v", opts, err)
				}
				var out []string
				for _, it := range l.Items {
					out = append(out, it.Name)
				}
				slices.Sort(out)
				return out
			}
			alphaNames := func(opts metav1.ListOptions) []string {
				t.Helper()
				l, err := c.CicdV1alpha().JenkinsServices(ns).List(ctx, opts)
				if err != nil {
					t.Fatalf("v1alpha list %+v: %v", opts, err)
				}
				var out []string
				for _, it := range l.Items {
					out = append(out, it.Name)
				}
				slices.Sort(out)
				return out
			}
			for _, tc := range []struct {
				version string
				opts    metav1.ListOptions
				want    []string
			}{
				{"v1beta", metav1.ListOptions{FieldSelector: "spec.replicas=2"}, []string{"two-a", "two-b"}},
				{"v1beta", metav1.ListOptions{FieldSelector: "spec.replicas=0"}, []string{"zero"}},
				{"v1beta", metav1.ListOptions{FieldSelector: "spec.replicas!=2"}, []string{"one", "zero"}},
				{"v1beta", metav1.ListOptions{FieldSelector: "metadata.name=one"}, []string{"one"}},
				{"v1beta", metav1.ListOptions{FieldSelector: "metadata.namespace=" + ns + ",spec.replicas=1"}, []string{"one"}},
				{"v1beta", metav1.ListOptions{LabelSelector: "tier=web"}, []string{"two-a", "two-b"}},
				{"v1beta", metav1.ListOptions{LabelSelector: "tier in (batch)", FieldSelector: "spec.replicas=0"}, []string{"zero"}},
				{"v1alpha", metav1.ListOptions{FieldSelector: "spec.instanceamount=2"}, []string{"two-a", "two-b"}},
				{"v1alpha", metav1.ListOptions{FieldSelector: "spec.instanceamount=0"}, []string{"zero"}},
				{"v1alpha", metav1.ListOptions{FieldSelector: "metadata.name=two-b"}, []string{"two-b"}},
				{"v1alpha", metav1.ListOptions{LabelSelector: "tier!=web"}, []string{"one", "zero"}},
			} {
				var got []string
				if tc.version == "v1beta" {
					got = betaNames(tc.opts)
				} else {
					got = alphaNames(tc.opts)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s list %+v: %v, want %v", tc.version, tc.opts, got, tc.want)
				}
			}
			// A replica count that is not an integer is the client's mistake.
			for _, tc := range []struct{ version, selector string }{
				{"v1beta", "spec.replicas=many"}, {"v1beta", "spec.replicas!=1.5"}, {"v1alpha", "spec.instanceamount=99999999999"},
			} {
				var err error
				if tc.version == "v1beta" {
					_, err = c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{FieldSelector: tc.selector})
				} else {
					_, err = c.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{FieldSelector: tc.selector})
				}
				if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "not a 32-bit integer") {
					t.Errorf("%s list by %s: %v, want 400 naming the value", tc.version, tc.selector, err)
				}
			}
			// Each version's field names only.
			if _, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.instanceamount=2"}); !apierrors.IsBadRequest(err) {
				t.Errorf("v1beta list by spec.instanceamount: %v, want 400", err)
			}
			if _, err := c.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.image=x"}); !apierrors.IsBadRequest(err) {
				t.Errorf("v1alpha list by spec.image: %v, want 400", err)
			}
		})
	}

	// A v1alpha watch by spec.instanceamount=3: an object scaled into the
	// selection is ADDED, out of it DELETED.
	w, err := shared.Clientset(t, framework.Protobuf).CicdV1alpha().JenkinsServices(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "spec.instanceamount=3"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, replicas := range []int32{3, 4} {
		scale, err := admin.CicdV1beta().JenkinsServices(ns).GetScale(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale.Spec.Replicas = replicas
		if _, err := admin.CicdV1beta().JenkinsServices(ns).UpdateScale(ctx, "one", scale, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []watch.EventType{watch.Added, watch.Deleted} {
		select {
		case ev := <-w.ResultChan():
			js, ok := ev.Object.(*v1alpha.JenkinsService)
			if !ok || ev.Type != want || js.Name != "one" {
				t.Errorf("selected watch: %s %T, want %s of one", ev.Type, ev.Object, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("selected watch: no %s event after 30s", want)
		}
	}
}

// API.md, kubectl: a server-side apply that changes nothing does not change
// resourceVersion; apply works through both versions (generated Apply).
func TestAPIServerSideApply(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			cfg := v1betaapply.JenkinsService("ssa", ns).
				WithLabels(map[string]string{"app": "ci"}).
				WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(2).WithImage(digestImage).
					WithResources(v1betaapply.JenkinsServiceResources().WithCPU(resource.MustParse("1500m")).WithMemory(resource.MustParse("4Gi"))))
			opts := metav1.ApplyOptions{FieldManager: "api-test", Force: true}
			first, err := beta.Apply(ctx, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			if *first.Spec.Replicas != 2 || first.Spec.Resources.CPU.String() != "1500m" || first.Annotations[requestedByKey] != adminUser {
				t.Errorf("apply created %s, annotations %v", asJSON(first.Spec), first.Annotations)
			}
			again, err := beta.Apply(ctx, cfg, opts)
			if err != nil {
				t.Fatal(err)
			}
			if again.ResourceVersion != first.ResourceVersion || again.Generation != first.Generation {
				t.Errorf("a no-op apply moved resourceVersion %s -> %s, generation %d -> %d",
					first.ResourceVersion, again.ResourceVersion, first.Generation, again.Generation)
			}
			changed, err := beta.Apply(ctx, cfg.WithSpec(cfg.Spec.WithReplicas(3)), opts)
			if err != nil {
				t.Fatal(err)
			}
			if *changed.Spec.Replicas != 3 || changed.Generation != first.Generation+1 || changed.ResourceVersion == first.ResourceVersion {
				t.Errorf("apply of replicas 3: replicas %d generation %d rv %s", *changed.Spec.Replicas, changed.Generation, changed.ResourceVersion)
			}

			// Through v1alpha, by another manager: only instanceamount.
			aCfg := v1alphaapply.JenkinsService("ssa", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(4))
			aOpts := metav1.ApplyOptions{FieldManager: "api-test-alpha", Force: true}
			a, err := alpha.Apply(ctx, aCfg, aOpts)
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 4 {
				t.Errorf("v1alpha apply: instanceamount %d", a.Spec.InstanceAmount)
			}
			a2, err := alpha.Apply(ctx, aCfg, aOpts)
			if err != nil {
				t.Fatal(err)
			}
			if a2.ResourceVersion != a.ResourceVersion {
				t.Errorf("a no-op v1alpha apply moved resourceVersion %s -> %s", a.ResourceVersion, a2.ResourceVersion)
			}
			got, err := beta.Get(ctx, "ssa", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *got.Spec.Replicas != 4 || got.Spec.Resources.Memory.String() != "4Gi" || got.Spec.Image != digestImage {
				t.Errorf("v1beta view after the v1alpha apply: %s", asJSON(got.Spec))
			}
			noPreservation(t, "v1beta get after apply", got.Annotations)
		})
	}
}

// API.md, kubectl: the server-side table has the columns NAME, REPLICAS, CPU,
// APPROVAL, READY, AGE in either version, and IMAGE and MEMORY for -o wide.
func TestAPITable(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	createFull(ctx, t, shared.Clientset(t, framework.JSON).CicdV1beta().JenkinsServices(ns), "tbl")
	client := shared.AdminHTTPClient(t)
	var rows [][]any
	for _, version := range []string{"v1beta", "v1alpha"} {
		code, _, body := shared.Get(t, client, "/apis/"+group+"/"+version+"/namespaces/"+ns+"/jenkinsservices",
			"application/json;as=Table;v=v1;g=meta.k8s.io")
		if code != http.StatusOK {
			t.Fatalf("%s table: %d: %s", version, code, body)
		}
		var table metav1.Table
		if err := json.Unmarshal(body, &table); err != nil {
			t.Fatal(err)
		}
		if table.Kind != "Table" {
			t.Errorf("%s: got kind %q, want Table", version, table.Kind)
		}
		var cols []string
		for _, c := range table.ColumnDefinitions {
			cols = append(cols, strings.ToUpper(c.Name))
		}
		if !slices.Equal(cols, []string{"NAME", "REPLICAS", "CPU", "APPROVAL", "READY", "AGE", "IMAGE", "MEMORY"}) {
			t.Errorf("%s table columns %v", version, cols)
		}
		if len(table.Rows) != 1 {
			t.Fatalf("%s table rows: %d", version, len(table.Rows))
		}
		cells := table.Rows[0].Cells
		if len(cells) != 8 || cells[0] != "tbl" || cells[1] != float64(0) || cells[3] != "Approved" {
			t.Errorf("%s table row %v, want tbl, 0 replicas, Approved", version, cells)
		}
		rows = append(rows, cells[:5])
	}
	if asJSON(rows[0]) != asJSON(rows[1]) {
		t.Errorf("the table differs between versions: %v and %v", rows[0], rows[1])
	}
}

// API.md, kubectl: OpenAPI v2 and v3 are published with both versions' schemas.
func TestAPIOpenAPI(t *testing.T) {
	client := shared.AdminHTTPClient(t)
	code, _, body := shared.Get(t, client, "/openapi/v2", "application/json")
	if code != http.StatusOK {
		t.Fatalf("/openapi/v2: %d", code)
	}
	var v2 struct {
		Definitions map[string]struct {
			Properties map[string]any `json:"properties"`
			GVK        []struct {
				Group, Version, Kind string
			} `json:"x-kubernetes-group-version-kind"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(body, &v2); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	specProps := map[string][]string{}
	for name, d := range v2.Definitions {
		for _, g := range d.GVK {
			if g.Group == group && g.Kind == "JenkinsService" {
				kinds[g.Version] = true
			}
		}
		for _, version := range []string{"v1alpha", "v1beta"} {
			if strings.HasSuffix(name, "."+version+".JenkinsServiceSpec") {
				for p := range d.Properties {
					specProps[version] = append(specProps[version], p)
				}
				slices.Sort(specProps[version])
			}
		}
	}
	if !kinds["v1alpha"] || !kinds["v1beta"] {
		t.Errorf("OpenAPI v2 JenkinsService kinds: %v, want v1alpha and v1beta", kinds)
	}
	if !slices.Equal(specProps["v1alpha"], []string{"instanceamount", "instancecpu"}) ||
		!slices.Equal(specProps["v1beta"], []string{"image", "replicas", "resources"}) {
		t.Errorf("OpenAPI v2 spec properties: %v", specProps)
	}

	for _, version := range []string{"v1beta", "v1alpha"} {
		path := "/openapi/v3/apis/" + group + "/" + version
		code, _, body := shared.Get(t, client, path, "application/json")
		if code != http.StatusOK {
			t.Errorf("%s: %d", path, code)
			continue
		}
		var v3 struct {
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(body, &v3); err != nil {
			t.Fatal(err)
		}
		found := false
		for name := range v3.Components.Schemas {
			if strings.HasSuffix(name, "."+version+".JenkinsService") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no JenkinsService schema", path)
		}
	}
}
