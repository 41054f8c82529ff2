package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// A delete-collection in either version through the server: its plain
// deletions go straight to etcd (the store's etcd delete counter does not
// move; an object with a finalizer still goes through the store and is only
// marked), the response is a list in the version asked for, in that
// version's shape, and only the selected objects of the namespace go.
func TestAPIDeleteCollectionBothVersions(t *testing.T) {
	const total = 30
	for _, version := range []string{"v1alpha", "v1beta"} {
		t.Run(version, func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, framework.Protobuf).CicdV1beta().JenkinsServices(ns)
			mk := func(name string, lbls map[string]string, finalizers ...string) {
				t.Helper()
				if _, err := c.Create(ctx, &v1beta.JenkinsService{
					ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls, Finalizers: finalizers},
					Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(2), Resources: v1beta.JenkinsServiceResources{CPU: qty("1500m"), Memory: qty("1Gi")}},
				}, metav1.CreateOptions{}); err != nil {
					t.Fatalf("create %s: %v", name, err)
				}
			}
			for i := range total {
				mk(fmt.Sprintf("dc-%02d", i), map[string]string{"sel": "yes"})
			}
			mk("finalized", map[string]string{"sel": "yes"}, "example.com/keep")
			mk("outside", map[string]string{"sel": "no"})

			before := etcdDeletes(t)
			code, body := deleteCollectionJSON(t, fmt.Sprintf("/apis/autobusi.group.cicd/%s/namespaces/%s/jenkinsservices?labelSelector=sel%%3Dyes", version, ns))
			if code != http.StatusOK {
				t.Fatalf("delete-collection: %d: %s", code, body)
			}
			if d := etcdDeletes(t) - before; d != 0 {
				t.Errorf("%v deletions through the store, want none (all straight to etcd)", d)
			}

			var list struct {
				APIVersion string           `json:"apiVersion"`
				Kind       string           `json:"kind"`
				Items      []map[string]any `json:"items"`
			}
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if list.APIVersion != "autobusi.group.cicd/"+version || list.Kind != "JenkinsServiceList" {
				t.Errorf("response %s %s", list.APIVersion, list.Kind)
			}
			var listed []string
			for _, item := range list.Items {
				m := item["metadata"].(map[string]any)
				listed = append(listed, m["name"].(string))
				spec := item["spec"].(map[string]any)
				switch version {
				case "v1alpha": // 1500m shows as 2 whole cores
					if spec["instanceamount"] != float64(2) || spec["instancecpu"] != float64(2) || spec["replicas"] != nil {
						t.Errorf("%s: v1alpha spec %v", m["name"], spec)
					}
				case "v1beta":
					if spec["replicas"] != float64(2) || spec["instanceamount"] != nil {
						t.Errorf("%s: v1beta spec %v", m["name"], spec)
					}
				}
			}
			sort.Strings(listed)
			if len(listed) != total+1 || listed[0] != "dc-00" || listed[total] != "finalized" {
				t.Errorf("response lists %d: %v", len(listed), listed)
			}

			left, err := c.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range left.Items {
				names = append(names, o.Name)
				if (o.Name == "finalized") != (o.DeletionTimestamp != nil) {
					t.Errorf("%s: deletionTimestamp %v", o.Name, o.DeletionTimestamp)
				}
			}
			sort.Strings(names)
			if fmt.Sprint(names) != "[finalized outside]" {
				t.Errorf("left %v, want [finalized outside]", names)
			}
			o, err := c.Get(ctx, "finalized", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			o.Finalizers = nil
			if _, err := c.Update(ctx, o, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("removing the finalizer: %v", err)
			}
		})
	}
}

// etcdDeletes is the server's count of deletions of jenkinsservices through
// its storage (etcd_requests_total, operation delete).
func etcdDeletes(t *testing.T) float64 {
	t.Helper()
	sum := 0.0
	for _, s := range framework.FindSamples(shared.Metrics(t), "etcd_requests_total",
		map[string]string{"operation": "delete", "resource": "jenkinsservices"}) {
		sum += s.Value
	}
	return sum
}

// deleteCollectionJSON sends DELETE path as the admin, accepting JSON.
func deleteCollectionJSON(t *testing.T, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, shared.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := shared.AdminHTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("DELETE %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}
