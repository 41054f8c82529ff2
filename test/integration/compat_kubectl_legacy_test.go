package integration

import (
	"slices"
	"strings"
	"testing"
)

// API.md, Compatibility and kubectl: kubectl on the original server's objects
// as its users would after the upgrade: the table in both versions, -o wide,
// the manifest they applied with `kubectl apply --server-side` applied again
// (its managedFields were written through v1alpha by the original server)
// through v1alpha and then through v1beta, without conflicts with themselves
// and with the ownership kept against another manager, and kubectl scale.
func TestCompatKubectlLegacy(t *testing.T) {
	s, _, _, _ := startWithLegacyData(t)
	k := newKubectlFor(t, s, "team-a")

	want := map[string][]string{
		"ci":      {"ci", "2", "2", "Approved", "1/2"},
		"nightly": {"nightly", "1", "4", "Denied", "0/1"},
	}
	for _, res := range []string{"js", jsV1alpha} {
		rows := table(k.ok("get", res, "-o", "wide"))
		if len(rows) != 3 || !slices.Equal(rows[0], append(slices.Clone(tableHeader), "IMAGE", "MEMORY")) {
			t.Fatalf("kubectl get %s -o wide: %v", res, rows)
		}
		for name, w := range want {
			r := rowsByName(rows[1:])[name]
			if len(r) != 8 || !slices.Equal(r[:5], w) || r[6] != defaultImage || r[7] != "2Gi" {
				t.Errorf("kubectl get %s -o wide: row %v, want %v ... %s 2Gi", res, r, w, defaultImage)
			}
		}
	}

	// The original manifest of ci (testdata/legacy: kubectl applied labels
	// and both spec fields through v1alpha), applied again as it was.
	alpha := k.manifest("ci-alpha.yaml", v1alphaManifest("ci", "  labels:\n    team: a\n", "  instanceamount: 2\n  instancecpu: 2\n"))
	before := k.getV1beta("ci")
	k.ok("apply", "--server-side", "-f", alpha)
	if got := k.getV1beta("ci"); got.Generation != before.Generation || replicasOf(got) != "2" {
		t.Errorf("re-applying the original v1alpha manifest: generation %d -> %d, replicas %s", before.Generation, got.Generation, replicasOf(got))
	}
	// The same intent through v1beta, by the same manager.
	beta := k.manifest("ci-beta.yaml", v1betaManifest("ci", "  labels:\n    team: a\n", "  replicas: 2\n  resources:\n    cpu: \"2\"\n"))
	k.ok("apply", "--server-side", "-f", beta)
	got := k.getV1beta("ci")
	if got.Generation != before.Generation || replicasOf(got) != "2" || got.Labels["team"] != "a" {
		t.Errorf("applying the same intent through v1beta: generation %d -> %d, replicas %s, labels %v", before.Generation, got.Generation, replicasOf(got), got.Labels)
	}
	// Another manager's change of an applied field conflicts.
	other := k.manifest("ci-other.yaml", v1betaManifest("ci", "", "  replicas: 5\n"))
	if stderr := k.fails("apply", "--server-side", "--field-manager", "other", "-f", other); !strings.Contains(stderr, "conflict") {
		t.Errorf("another manager's apply of replicas: %s", stderr)
	}
	// The manifest without instancecpu: the applier gave it up, the default returns.
	k.ok("apply", "--server-side", "-f", k.manifest("ci-alpha.yaml", v1alphaManifest("ci", "  labels:\n    team: a\n", "  instanceamount: 2\n")))
	if got := k.getV1alpha("ci"); got.Spec.InstanceCpu != 1 || got.Spec.InstanceAmount != 2 {
		t.Errorf("after applying without instancecpu: %+v", got.Spec)
	}

	if out := k.ok("scale", "js", "nightly", "--replicas=3"); !strings.Contains(out, "scaled") {
		t.Errorf("kubectl scale of a legacy object: %s", out)
	}
	if got := k.getV1alpha("nightly"); got.Spec.InstanceAmount != 3 || got.Spec.InstanceCpu != 4 || got.Status.ApprovalStatus != "Denied" {
		t.Errorf("nightly after kubectl scale: %+v %+v", got.Spec, got.Status)
	}
}
