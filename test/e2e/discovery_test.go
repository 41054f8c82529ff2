//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const group = "autobusi.group.cicd"

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestRegistration: both APIServices are Available through the Service of
// artifacts/deploy, kubectl sees both versions, and discovery prefers v1beta.
func TestRegistration(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)

	conds, err := apiServiceAvailable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range apiServiceNames {
		if c := conds[name]; c.Status != metav1.ConditionTrue {
			t.Errorf("APIService %s: Available=%s (%s: %s), want True", name, c.Status, c.Reason, c.Message)
		}
	}

	out, err := kubectl(ctx, env.admin, "api-versions")
	if err != nil {
		t.Fatalf("kubectl api-versions: %v\n%s", err, out)
	}
	for _, v := range []string{group + "/v1alpha", group + "/v1beta"} {
		if !containsLine(out, v) {
			t.Errorf("kubectl api-versions does not list %s:\n%s", v, out)
		}
	}

	// Aggregated discovery (what kubectl reads): the group's versions in
	// order of preference, v1beta first.
	body, err := env.kube.Discovery().RESTClient().Get().AbsPath("/apis").
		SetHeader("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").
		Do(ctx).Raw()
	if err != nil {
		t.Fatalf("aggregated discovery: %v", err)
	}
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("aggregated discovery: %v\n%.500s", err, body)
	}
	if list.Kind != "APIGroupDiscoveryList" {
		t.Fatalf("aggregated discovery: got kind %q, want APIGroupDiscoveryList", list.Kind)
	}
	var found *apidiscoveryv2.APIGroupDiscovery
	for i := range list.Items {
		if list.Items[i].Name == group {
			found = &list.Items[i]
		}
	}
	if found == nil {
		t.Fatalf("aggregated discovery does not list %s", group)
	}
	var versions []string
	for _, v := range found.Versions {
		versions = append(versions, v.Version)
		if v.Freshness != apidiscoveryv2.DiscoveryFreshnessCurrent {
			t.Errorf("aggregated discovery: %s/%s freshness %q, want Current", group, v.Version, v.Freshness)
		}
		var js *apidiscoveryv2.APIResourceDiscovery
		for i := range v.Resources {
			if v.Resources[i].Resource == "jenkinsservices" {
				js = &v.Resources[i]
			}
		}
		if js == nil {
			t.Errorf("aggregated discovery: %s/%s has no jenkinsservices", group, v.Version)
			continue
		}
		subs := map[string][]string{}
		for _, s := range js.Subresources {
			subs[s.Subresource] = s.Verbs
		}
		for _, s := range []string{"status", "scale", "approval"} {
			if _, ok := subs[s]; !ok {
				t.Errorf("aggregated discovery: %s/%s jenkinsservices has no subresource %s (has %v)", group, v.Version, s, subs)
			}
		}
	}
	if strings.Join(versions, ",") != "v1beta,v1alpha" {
		t.Errorf("aggregated discovery lists %s versions %v, want [v1beta v1alpha] (v1beta preferred)", group, versions)
	}

	// The legacy discovery document says the same.
	groups, err := env.kube.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		if g.Name == group && g.PreferredVersion.Version != "v1beta" {
			t.Errorf("/apis: %s preferred version %q, want v1beta", group, g.PreferredVersion.Version)
		}
	}

	// kubectl resolves the short name to the preferred version.
	out, err = kubectl(ctx, env.admin, "api-resources", "--api-group="+group, "--no-headers")
	if err != nil {
		t.Fatalf("kubectl api-resources: %v\n%s", err, out)
	}
	if f := strings.Fields(out); len(f) < 5 || f[0] != "jenkinsservices" || f[1] != "js" || f[2] != group+"/v1beta" || f[3] != "true" || f[4] != "JenkinsService" {
		t.Errorf("kubectl api-resources --api-group=%s:\n%s\nwant: jenkinsservices js %s/v1beta true JenkinsService", group, out, group)
	}
}

func containsLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
