package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

const group = "autobusi.group.cicd"

// API.md, Identity and kubectl: discovery lists both versions with v1beta
// preferred, and jenkinsservices with its verbs, short name, categories and
// subresources.
func TestAPIDiscovery(t *testing.T) {
	client := shared.AdminHTTPClient(t)
	getJSON := func(path string, into any) {
		t.Helper()
		code, ct, body := shared.Get(t, client, path, "application/json")
		if code != http.StatusOK || !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("GET %s: %d %s: %s", path, code, ct, body)
		}
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	checkGroup := func(where string, g metav1.APIGroup) {
		t.Helper()
		if g.PreferredVersion.Version != "v1beta" || g.PreferredVersion.GroupVersion != group+"/v1beta" {
			t.Errorf("%s: preferred version %+v, want %s/v1beta", where, g.PreferredVersion, group)
		}
		var versions []string
		for _, v := range g.Versions {
			versions = append(versions, v.GroupVersion)
		}
		if !slices.Equal(versions, []string{group + "/v1beta", group + "/v1alpha"}) {
			t.Errorf("%s: versions %v, want v1beta (preferred, first) and v1alpha", where, versions)
		}
	}

	var groups metav1.APIGroupList
	getJSON("/apis", &groups)
	found := false
	for _, g := range groups.Groups {
		if g.Name == group {
			found = true
			checkGroup("/apis", g)
		}
	}
	if !found {
		t.Fatalf("/apis does not list %s: %+v", group, groups)
	}
	var g metav1.APIGroup
	getJSON("/apis/"+group, &g)
	checkGroup("/apis/"+group, g)

	for _, version := range []string{"v1beta", "v1alpha"} {
		var list metav1.APIResourceList
		getJSON("/apis/"+group+"/"+version, &list)
		checkResources(t, version, list.GroupVersion, list.APIResources)
	}

	// The aggregated discovery client-go and kubectl use agrees.
	dc, err := discovery.NewDiscoveryClientForConfig(shared.RESTConfig(framework.JSON))
	if err != nil {
		t.Fatal(err)
	}
	apiGroups, resourceLists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	found = false
	for _, g := range apiGroups {
		if g.Name == group {
			found = true
			checkGroup("aggregated discovery", *g)
		}
	}
	if !found {
		t.Errorf("aggregated discovery does not list %s", group)
	}
	seen := 0
	for _, l := range resourceLists {
		if strings.HasPrefix(l.GroupVersion, group+"/") {
			seen++
			checkResources(t, "aggregated "+l.GroupVersion, l.GroupVersion, l.APIResources)
		}
	}
	if seen != 2 {
		t.Errorf("aggregated discovery has %d resource lists of %s, want 2", seen, group)
	}
	preferred, err := dc.ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	var preferredIn []string
	for _, l := range preferred {
		for _, r := range l.APIResources {
			if strings.HasPrefix(l.GroupVersion, group+"/") && r.Name == "jenkinsservices" {
				preferredIn = append(preferredIn, l.GroupVersion)
			}
		}
	}
	if !slices.Equal(preferredIn, []string{group + "/v1beta"}) {
		t.Errorf("preferred jenkinsservices in %v, want only %s/v1beta", preferredIn, group)
	}
}

func checkResources(t *testing.T, where, gv string, resources []metav1.APIResource) {
	t.Helper()
	version := gv[strings.LastIndex(gv, "/")+1:]
	if gv != group+"/"+version {
		t.Errorf("%s: groupVersion %q", where, gv)
	}
	byName := map[string]metav1.APIResource{}
	for _, r := range resources {
		byName[r.Name] = r
	}
	sortedVerbs := func(r metav1.APIResource) []string {
		v := slices.Clone([]string(r.Verbs))
		slices.Sort(v)
		return v
	}
	main, ok := byName["jenkinsservices"]
	if !ok {
		t.Fatalf("%s: no jenkinsservices in %+v", where, resources)
	}
	if !main.Namespaced || main.Kind != "JenkinsService" || main.SingularName != "jenkinsservice" {
		t.Errorf("%s: jenkinsservices namespaced=%v kind=%q singular=%q", where, main.Namespaced, main.Kind, main.SingularName)
	}
	if v := sortedVerbs(main); !slices.Equal(v, []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}) {
		t.Errorf("%s: jenkinsservices verbs %v", where, v)
	}
	if !slices.Equal(main.ShortNames, []string{"js"}) {
		t.Errorf("%s: short names %v, want [js]", where, main.ShortNames)
	}
	if c := slices.Sorted(slices.Values(main.Categories)); !slices.Equal(c, []string{"all", "cicd"}) {
		t.Errorf("%s: categories %v, want all, cicd", where, main.Categories)
	}
	for _, sub := range []string{"jenkinsservices/status", "jenkinsservices/scale"} {
		r, ok := byName[sub]
		if !ok {
			t.Errorf("%s: no %s", where, sub)
			continue
		}
		if v := sortedVerbs(r); !slices.Equal(v, []string{"get", "patch", "update"}) {
			t.Errorf("%s: %s verbs %v, want get, patch, update", where, sub, v)
		}
		if !r.Namespaced {
			t.Errorf("%s: %s not namespaced", where, sub)
		}
	}
	if scale := byName["jenkinsservices/scale"]; scale.Kind != "Scale" || scale.Group != "autoscaling" || scale.Version != "v1" {
		t.Errorf("%s: scale is %s/%s %s, want autoscaling/v1 Scale", where, scale.Group, scale.Version, scale.Kind)
	}
	if status := byName["jenkinsservices/status"]; status.Kind != "JenkinsService" {
		t.Errorf("%s: status kind %q", where, status.Kind)
	}
	approval, ok := byName["jenkinsservices/approval"]
	if !ok {
		t.Errorf("%s: no jenkinsservices/approval", where)
	} else if v := sortedVerbs(approval); !slices.Equal(v, []string{"update"}) {
		t.Errorf("%s: approval verbs %v, want only update", where, v)
	}
	if len(byName) != 4 {
		t.Errorf("%s: %d resources, want jenkinsservices and its 3 subresources: %v", where, len(byName), slices.Collect(func(yield func(string) bool) {
			for n := range byName {
				if !yield(n) {
					return
				}
			}
		}))
	}
}

// API.md, wire formats: a raw GET with Accept protobuf gets a protobuf list
// (k8s\x00 + Unknown{JenkinsServiceList}) in the requested version; YAML and
// JSON work too.
func TestAPIRawWireFormats(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.JSON)
	for _, name := range []string{"raw-a", "raw-b"} {
		if _, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(2), Resources: v1beta.JenkinsServiceResources{CPU: qty("2500m"), Memory: qty("3Gi")}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	client := shared.AdminHTTPClient(t)
	for _, version := range []string{"v1beta", "v1alpha"} {
		t.Run(version, func(t *testing.T) {
			path := "/apis/" + group + "/" + version + "/namespaces/" + ns + "/jenkinsservices"
			code, ct, body := shared.Get(t, client, path, runtime.ContentTypeProtobuf)
			if code != http.StatusOK {
				t.Fatalf("GET %s as protobuf: %d: %s", path, code, body)
			}
			if ct != runtime.ContentTypeProtobuf {
				t.Errorf("Content-Type %q, want %s", ct, runtime.ContentTypeProtobuf)
			}
			if !bytes.HasPrefix(body, protobufPrefix) {
				t.Fatalf("body does not start with k8s\\x00: %q", body[:min(len(body), 32)])
			}
			var u runtime.Unknown
			if err := u.Unmarshal(body[len(protobufPrefix):]); err != nil {
				t.Fatalf("not a protobuf Unknown: %v", err)
			}
			if u.APIVersion != group+"/"+version || u.Kind != "JenkinsServiceList" {
				t.Errorf("protobuf body holds %s %s, want %s/%s JenkinsServiceList", u.APIVersion, u.Kind, group, version)
			}
			var names []string
			if version == "v1beta" {
				var l v1beta.JenkinsServiceList
				if err := l.Unmarshal(u.Raw); err != nil {
					t.Fatal(err)
				}
				for _, it := range l.Items {
					names = append(names, it.Name)
					if it.Spec.Resources.CPU.String() != "2500m" || it.Spec.Resources.Memory.String() != "3Gi" {
						t.Errorf("protobuf item %s: %s", it.Name, asJSON(it.Spec))
					}
				}
			} else {
				var l v1alpha.JenkinsServiceList
				if err := l.Unmarshal(u.Raw); err != nil {
					t.Fatal(err)
				}
				for _, it := range l.Items {
					names = append(names, it.Name)
					if it.Spec.InstanceCpu != 3 || it.Spec.InstanceAmount != 2 {
						t.Errorf("protobuf item %s: %+v", it.Name, it.Spec)
					}
				}
			}
			if !slices.Equal(names, []string{"raw-a", "raw-b"}) {
				t.Errorf("protobuf list items %v", names)
			}

			// One object as YAML.
			code, ct, body = shared.Get(t, client, path+"/raw-a", "application/yaml")
			if code != http.StatusOK || ct != "application/yaml" {
				t.Fatalf("GET as YAML: %d %s: %s", code, ct, body)
			}
			var m map[string]any
			if err := yaml.Unmarshal(body, &m); err != nil {
				t.Fatalf("YAML: %v: %s", err, body)
			}
			if m["apiVersion"] != group+"/"+version || m["kind"] != "JenkinsService" {
				t.Errorf("YAML object is %v %v", m["apiVersion"], m["kind"])
			}
		})
	}
}
