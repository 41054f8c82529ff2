package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alphaapply "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1alpha"
	v1betaapply "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// API.md, Compatibility and round-trip rules: server-side-apply history
// written through one version stays usable through the other. One manager
// applies through v1beta, then the same intent through v1alpha, and back;
// another manager's apply of what the first owns conflicts in either version.
func TestCompatApplyManagerSwitchesVersion(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			owner := metav1.ApplyOptions{FieldManager: "owner"}
			other := metav1.ApplyOptions{FieldManager: "other"}

			// v1beta first, with what v1alpha cannot show.
			betaCfg := v1betaapply.JenkinsService("b2a", ns).WithLabels(map[string]string{"team": "a"}).
				WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(2).WithImage(digestImage).
					WithResources(v1betaapply.JenkinsServiceResources().WithCPU(resource.MustParse("1500m")).WithMemory(resource.MustParse("4Gi"))))
			if _, err := beta.Apply(ctx, betaCfg, owner); err != nil {
				t.Fatalf("v1beta apply: %v", err)
			}
			// The same manager, through v1alpha, with what v1alpha shows.
			alphaCfg := v1alphaapply.JenkinsService("b2a", ns).WithLabels(map[string]string{"team": "a"}).
				WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(2).WithInstanceCpu(2))
			a, err := alpha.Apply(ctx, alphaCfg, owner)
			if err != nil {
				t.Fatalf("v1alpha apply by the same manager: %v", err)
			}
			if a.Spec.InstanceAmount != 2 || a.Spec.InstanceCpu != 2 {
				t.Errorf("v1alpha apply: %s", asJSON(a.Spec))
			}
			got, err := beta.Get(ctx, "b2a", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// What v1alpha cannot express stays (rule 2): the v1alpha apply
			// leaves memory, image and the fractional CPU as they were.
			if *got.Spec.Replicas != 2 || got.Spec.Resources.CPU.String() != "1500m" || got.Spec.Resources.Memory.String() != "4Gi" || got.Spec.Image != digestImage {
				t.Errorf("after the v1alpha apply by the same manager: %s", asJSON(got.Spec))
			}
			noPreservation(t, "after the v1alpha apply", got.Annotations)
			// Another manager's apply of replicas conflicts, in either version.
			if _, err := beta.Apply(ctx, v1betaapply.JenkinsService("b2a", ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(5)), other); !apierrors.IsConflict(err) {
				t.Errorf("v1beta apply of replicas by another manager: %v, want a conflict", err)
			}
			if _, err := alpha.Apply(ctx, v1alphaapply.JenkinsService("b2a", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(5)), other); !apierrors.IsConflict(err) {
				t.Errorf("v1alpha apply of instanceamount by another manager: %v, want a conflict", err)
			}
			// The owner leaves instancecpu out of its v1alpha configuration: it
			// owned the CPU (as resources.cpu, through v1beta), so the default
			// comes back, as it does for an applier that stays in one version.
			noCPU, err := alpha.Apply(ctx, v1alphaapply.JenkinsService("b2a", ns).WithLabels(map[string]string{"team": "a"}).
				WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(2)), owner)
			if err != nil {
				t.Fatalf("v1alpha apply without instancecpu: %v", err)
			}
			if noCPU.Spec.InstanceCpu != 1 {
				t.Errorf("after leaving instancecpu out: %s", asJSON(noCPU.Spec))
			}
			// Back to v1beta: the first configuration again.
			back, err := beta.Apply(ctx, betaCfg, owner)
			if err != nil {
				t.Fatalf("v1beta apply again: %v", err)
			}
			if *back.Spec.Replicas != 2 || back.Spec.Resources.CPU.String() != "1500m" || back.Spec.Resources.Memory.String() != "4Gi" || back.Spec.Image != digestImage {
				t.Errorf("after applying the v1beta configuration again: %s", asJSON(back.Spec))
			}

			// v1alpha first, then the same intent through v1beta.
			aCfg := v1alphaapply.JenkinsService("a2b", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(3).WithInstanceCpu(2))
			first, err := alpha.Apply(ctx, aCfg, owner)
			if err != nil {
				t.Fatalf("v1alpha apply: %v", err)
			}
			bCfg := v1betaapply.JenkinsService("a2b", ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(3).
				WithResources(v1betaapply.JenkinsServiceResources().WithCPU(resource.MustParse("2"))))
			b, err := beta.Apply(ctx, bCfg, owner)
			if err != nil {
				t.Fatalf("v1beta apply by the same manager: %v", err)
			}
			if *b.Spec.Replicas != 3 || b.Spec.Resources.CPU.String() != "2" || b.Generation != first.Generation {
				t.Errorf("v1beta apply of the same intent: %s generation %d (was %d)", asJSON(b.Spec), b.Generation, first.Generation)
			}
			// (The conflict names the field as the owner's version does, as
			// Kubernetes reports conflicts: .spec.replicas.)
			if _, err := alpha.Apply(ctx, v1alphaapply.JenkinsService("a2b", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(4)), other); !apierrors.IsConflict(err) ||
				!strings.Contains(err.Error(), `"owner"`) {
				t.Errorf("v1alpha apply of instanceamount by another manager: %v, want a conflict with the owner", err)
			}
			// The owner drops resources.cpu from its v1beta configuration: the
			// default comes back, as for any applied field nobody else owns.
			dropped, err := beta.Apply(ctx, v1betaapply.JenkinsService("a2b", ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(3)), owner)
			if err != nil {
				t.Fatalf("v1beta apply without cpu: %v", err)
			}
			if dropped.Spec.Resources.CPU.String() != "1" {
				t.Errorf("after dropping cpu from the configuration: %s", asJSON(dropped.Spec))
			}
			// The same after a switch from v1alpha: instancecpu applied through
			// v1alpha, then a v1beta configuration without resources.cpu.
			if _, err := alpha.Apply(ctx, v1alphaapply.JenkinsService("a2b-drop", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(3).WithInstanceCpu(3)), owner); err != nil {
				t.Fatal(err)
			}
			switched, err := beta.Apply(ctx, v1betaapply.JenkinsService("a2b-drop", ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(3)), owner)
			if err != nil {
				t.Fatalf("v1beta apply without cpu after v1alpha: %v", err)
			}
			if *switched.Spec.Replicas != 3 || switched.Spec.Resources.CPU.String() != "1" {
				t.Errorf("after leaving resources.cpu out of a v1beta apply that follows a v1alpha one: %s", asJSON(switched.Spec))
			}
		})
	}
}

// API.md, kubectl: a client-side kubectl apply of the same manifest twice
// changes nothing the second time, in either version, and kubectl diff then
// finds nothing.
func TestCompatKubectlApplyTwice(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	for _, m := range []struct{ name, manifest string }{
		{"alpha", v1alphaManifest("alpha", "  labels:\n    team: a\n", "  instanceamount: 2\n  instancecpu: 2\n")},
		{"beta", v1betaManifest("beta", "  labels:\n    team: a\n", "  replicas: 2\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n")},
		{"zero", v1betaManifest("zero", "", "  replicas: 0\n")},
	} {
		path := k.manifest(m.name+".yaml", m.manifest)
		k.ok("apply", "-f", path)
		rv1 := k.getV1beta(m.name).ResourceVersion
		if out := k.ok("apply", "-f", path); !strings.Contains(out, "unchanged") {
			t.Errorf("%s: second kubectl apply: %s", m.name, out)
		}
		if rv2 := k.getV1beta(m.name).ResourceVersion; rv2 != rv1 {
			t.Errorf("%s: second kubectl apply moved resourceVersion %s to %s", m.name, rv1, rv2)
		}
		if stdout, stderr, err := k.runEnv(nil, "diff", "-f", path); err != nil {
			t.Errorf("%s: kubectl diff: %v\n%s\n%s", m.name, err, stdout, stderr)
		}
	}
}

// API.md, Subresources, scale: a server-side apply of the Scale, through
// either version, owns the replicas: another manager's apply of them on the
// main resource conflicts, in either version.
func TestCompatScaleApply(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.JSON)
	beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
	for i, version := range []string{"v1alpha", "v1beta"} {
		name := "scaled-" + version
		if _, err := beta.Apply(ctx, v1betaapply.JenkinsService(name, ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(1)),
			metav1.ApplyOptions{FieldManager: "creator"}); err != nil {
			t.Fatal(err)
		}
		replicas := int32(3 + i)
		body := fmt.Sprintf(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":%q,"namespace":%q},"spec":{"replicas":%d}}`, name, ns, replicas)
		got := compatDo(t, shared, http.MethodPatch, jsPath(version, ns)+"/"+name+"/scale?fieldManager=scaler&force=true", "application/apply-patch+yaml", body)
		if got.code != http.StatusOK {
			t.Errorf("%s apply of the Scale: %d %s", version, got.code, got.body)
			continue
		}
		js, err := beta.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *js.Spec.Replicas != replicas {
			t.Errorf("%s apply of the Scale: replicas %d, want %d", version, *js.Spec.Replicas, replicas)
		}
		if _, err := beta.Apply(ctx, v1betaapply.JenkinsService(name, ns).WithSpec(v1betaapply.JenkinsServiceSpec().WithReplicas(9)),
			metav1.ApplyOptions{FieldManager: "other"}); !apierrors.IsConflict(err) {
			t.Errorf("%s: v1beta apply of replicas the Scale's applier owns: %v, want a conflict", version, err)
		}
		if _, err := alpha.Apply(ctx, v1alphaapply.JenkinsService(name, ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(9)),
			metav1.ApplyOptions{FieldManager: "other"}); !apierrors.IsConflict(err) {
			t.Errorf("%s: v1alpha apply of instanceamount the Scale's applier owns: %v, want a conflict", version, err)
		}
	}
}
