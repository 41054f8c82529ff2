package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

const v1alphaOff = "autobusi.group.cicd/v1alpha=false"

// apply sends a server-side apply of manifest (YAML) through version.
func apply(ctx context.Context, c versioned.Interface, version, ns, name, manager, manifest string, force bool) error {
	opts := metav1.PatchOptions{FieldManager: manager}
	if force {
		opts.Force = &force
	}
	var err error
	if version == "v1alpha" {
		_, err = c.CicdV1alpha().JenkinsServices(ns).Patch(ctx, name, types.ApplyPatchType, []byte(manifest), opts)
	} else {
		_, err = c.CicdV1beta().JenkinsServices(ns).Patch(ctx, name, types.ApplyPatchType, []byte(manifest), opts)
	}
	return err
}

// API.md, Compatibility: --runtime-config turns v1alpha off. Objects and
// server-side-apply history written through v1alpha (by this server and by
// the original one) stay usable through v1beta: it serves every object and
// applies to them succeed; v1alpha paths are 404; discovery and OpenAPI show
// v1beta alone. A configuration without the storage version does not start.
func TestRetireVersion(t *testing.T) {
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	ctx := testContext(t)
	fixtures := putFixtures(ctx, t, etcd)
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})
	c := s.Clientset(t, framework.JSON)
	const ns = "retire"
	alphaManifest := `{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"ci","labels":{"owner":"alpha"}},"spec":{"instanceamount":2,"instancecpu":2}}`
	if err := apply(ctx, c, "v1alpha", ns, "ci", "alpha-applier", alphaManifest, false); err != nil {
		t.Fatalf("apply through v1alpha: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s = framework.StartLocal(t, framework.Options{EtcdServers: etcdURL, Args: []string{"--runtime-config", v1alphaOff}})
	c = s.Clientset(t, framework.JSON)
	hc := s.AdminHTTPClient(t)

	t.Run("v1alpha-404", func(t *testing.T) {
		for _, path := range []string{
			"/apis/autobusi.group.cicd/v1alpha",
			"/apis/autobusi.group.cicd/v1alpha/jenkinsservices",
			"/apis/autobusi.group.cicd/v1alpha/namespaces/" + ns + "/jenkinsservices/ci",
		} {
			if code, _, body := s.Get(t, hc, path, "application/json"); code != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404: %s", path, code, body)
			}
		}
		if _, err := c.CicdV1alpha().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("v1alpha client get: %v, want NotFound", err)
		}
	})

	t.Run("discovery-and-openapi", func(t *testing.T) {
		groups, err := c.Discovery().ServerGroups()
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups.Groups {
			if g.Name != group {
				continue
			}
			if len(g.Versions) != 1 || g.Versions[0].Version != "v1beta" || g.PreferredVersion.Version != "v1beta" {
				t.Errorf("discovery of %s: %+v, want v1beta alone", group, g)
			}
		}
		for path, absent := range map[string]string{
			"/apis/autobusi.group.cicd": `"v1alpha"`,
			"/openapi/v2":               "autobusi.group.cicd/v1alpha/",
			"/openapi/v3":               "apis/autobusi.group.cicd/v1alpha",
		} {
			code, _, body := s.Get(t, hc, path, "application/json")
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			if strings.Contains(string(body), absent) {
				t.Errorf("GET %s names %s", path, absent)
			}
		}
		if code, _, _ := s.Get(t, hc, "/openapi/v3/apis/autobusi.group.cicd/v1beta", "application/json"); code != http.StatusOK {
			t.Errorf("OpenAPI v3 of v1beta: %d", code)
		}
		// Aggregated discovery, what kubectl reads.
		code, _, body := s.Get(t, hc, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		if code != http.StatusOK || strings.Contains(string(body), `"v1alpha"`) || !strings.Contains(string(body), `"v1beta"`) {
			t.Errorf("aggregated discovery: %d, want v1beta alone: %s", code, body)
		}
	})

	t.Run("v1beta-serves-everything", func(t *testing.T) {
		list, err := c.CicdV1beta().JenkinsServices("").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != len(fixtures)+1 {
			t.Errorf("v1beta lists %d objects, want %d", len(list.Items), len(fixtures)+1)
		}
	})

	t.Run("apply-through-v1beta", func(t *testing.T) {
		// The managedFields that name v1alpha read as v1beta ones: who owns
		// what through v1alpha still counts.
		got, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOwner(t, "after the restart", got.ManagedFields, "alpha-applier", `"f:replicas"`)

		// Another manager's apply of a field the v1alpha applier owns conflicts;
		// the v1alpha applier's own apply through v1beta succeeds.
		other := `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci"},"spec":{"replicas":5}}`
		if err := apply(ctx, c, "v1beta", ns, "ci", "beta-applier", other, false); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "alpha-applier") {
			t.Errorf("apply of replicas by another manager: %v, want a conflict with alpha-applier", err)
		}
		beta := `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci","labels":{"owner":"beta"}},"spec":{"replicas":3,"resources":{"cpu":"2"}}}`
		if err := apply(ctx, c, "v1beta", ns, "ci", "alpha-applier", beta, false); err != nil {
			t.Fatalf("apply through v1beta by the v1alpha applier: %v", err)
		}
		if got, err = c.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if *got.Spec.Replicas != 3 || got.Labels["owner"] != "beta" {
			t.Errorf("after the v1beta apply: replicas %d, labels %v", *got.Spec.Replicas, got.Labels)
		}
		checkOwner(t, "after the v1beta apply", got.ManagedFields, "alpha-applier", `"f:replicas"`)
		if err := apply(ctx, c, "v1beta", ns, "ci", "beta-applier", other, true); err != nil {
			t.Errorf("forced apply by another manager: %v", err)
		}

		// The original server's object: kubectl applied its spec through
		// v1alpha, an approver set approvalstatus.
		legacy, err := c.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkOwner(t, "original server's object", legacy.ManagedFields, "kubectl", `"f:replicas"`)
		checkOwner(t, "original server's object", legacy.ManagedFields, "approver", `"k:{\"type\":\"Approved\"}"`)
		if err := apply(ctx, c, "v1beta", "team-a", "ci", "someone-else", `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci"},"spec":{"replicas":7}}`, false); !apierrors.IsConflict(err) {
			t.Errorf("apply of the original server's kubectl-owned replicas by another manager: %v, want a conflict", err)
		}
		if err := apply(ctx, c, "v1beta", "team-a", "ci", "kubectl", `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci","labels":{"team":"a"}},"spec":{"replicas":4}}`, false); err != nil {
			t.Fatalf("apply through v1beta to the original server's object: %v", err)
		}
		if legacy, err = c.CicdV1beta().JenkinsServices("team-a").Get(ctx, "ci", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if *legacy.Spec.Replicas != 4 {
			t.Errorf("legacy object after the v1beta apply: replicas %d", *legacy.Spec.Replicas)
		}
		for _, mf := range legacy.ManagedFields {
			if mf.APIVersion != group+"/v1beta" {
				t.Errorf("managedFields entry %s %s still names %s", mf.Manager, mf.Operation, mf.APIVersion)
			}
		}
	})
}

// checkOwner checks that manager has a v1beta managedFields entry whose
// fields hold the key.
func checkOwner(t *testing.T, step string, entries []metav1.ManagedFieldsEntry, manager, key string) {
	t.Helper()
	for _, mf := range entries {
		if mf.Manager == manager {
			if mf.APIVersion != group+"/v1beta" || mf.FieldsV1 == nil || !strings.Contains(mf.FieldsV1.GetRawString(), key) {
				t.Errorf("%s: %s's entry %s %s, want v1beta with %s", step, manager, mf.APIVersion, mf.FieldsV1, key)
			}
			return
		}
	}
	t.Errorf("%s: no managedFields entry of %s in %v", step, manager, entries)
}

// A --runtime-config that turns off the storage version is refused at start.
func TestRetireStorageVersionRefused(t *testing.T) {
	for _, cfg := range []string{"autobusi.group.cicd/v1beta=false", "api/all=false,autobusi.group.cicd/v1alpha=true"} {
		_, err := framework.Start(framework.Options{DataDir: t.TempDir(), Args: []string{"--runtime-config", cfg}})
		if err == nil || !strings.Contains(err.Error(), "the storage version") {
			t.Errorf("--runtime-config %s: %v, want a refusal naming the storage version", cfg, err)
		}
	}
}
