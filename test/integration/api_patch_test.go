package integration

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// API.md, kubectl patch (merge, JSON and strategic) through the typed
// clients: in both versions, on the main resource and on status, where a
// strategic merge patch merges conditions by type.
func TestAPIPatchTypes(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			orig := createFull(ctx, t, beta, "pt")

			b, err := beta.Patch(ctx, "pt", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"s":"1"}},"spec":{"replicas":2}}`), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("v1beta strategic merge patch: %v", err)
			}
			if *b.Spec.Replicas != 2 || b.Labels["s"] != "1" || b.Spec.Resources.CPU.String() != "1500m" {
				t.Errorf("after a strategic merge patch: %s labels %v", asJSON(b.Spec), b.Labels)
			}
			b, err = beta.Patch(ctx, "pt", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/resources/memory","value":"8Gi"}]`), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("v1beta JSON patch: %v", err)
			}
			if b.Spec.Resources.Memory.String() != "8Gi" {
				t.Errorf("after a JSON patch: memory %s", b.Spec.Resources.Memory.String())
			}

			// v1alpha patches change only what they name; the rest is kept.
			a, err := alpha.Patch(ctx, "pt", types.StrategicMergePatchType, []byte(`{"spec":{"instancecpu":4}}`), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("v1alpha strategic merge patch: %v", err)
			}
			if a.Spec.InstanceCpu != 4 || a.Spec.InstanceAmount != 2 {
				t.Errorf("v1alpha after a strategic merge patch: %+v", a.Spec)
			}
			if _, err := alpha.Patch(ctx, "pt", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/instanceamount","value":3}]`), metav1.PatchOptions{}); err != nil {
				t.Fatalf("v1alpha JSON patch: %v", err)
			}
			if _, err := alpha.Patch(ctx, "pt", types.MergePatchType, []byte(`{"metadata":{"labels":{"m":"2"}}}`), metav1.PatchOptions{}); err != nil {
				t.Fatalf("v1alpha merge patch: %v", err)
			}
			got, err := beta.Get(ctx, "pt", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *got.Spec.Replicas != 3 || got.Spec.Resources.CPU.String() != "4" || got.Spec.Resources.Memory.String() != "8Gi" ||
				got.Spec.Image != digestImage || got.Labels["s"] != "1" || got.Labels["m"] != "2" {
				t.Errorf("v1beta after the v1alpha patches: %s labels %v", asJSON(got.Spec), got.Labels)
			}
			if !sameStatus(orig.Status, got.Status) {
				t.Errorf("the patches changed the status: %s", asJSON(got.Status))
			}
			noPreservation(t, "v1beta get", got.Annotations)

			// Strategic merge of conditions by type through status: Ready is
			// replaced, Approved stays as the approval set it.
			st, err := beta.Patch(ctx, "pt", types.StrategicMergePatchType,
				[]byte(`{"status":{"conditions":[{"type":"Ready","status":"True","reason":"AllRunning","message":"all running","lastTransitionTime":"2026-01-02T03:04:05Z"}]}}`),
				metav1.PatchOptions{}, "status")
			if err != nil {
				t.Fatalf("status strategic merge patch: %v", err)
			}
			ready, approved := findCondition(st.Status.Conditions, conditionReady), findCondition(st.Status.Conditions, conditionApproved)
			if ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != "AllRunning" {
				t.Errorf("Ready after the status patch: %+v", ready)
			}
			if approved == nil || approved.Reason != "ApprovedByAdmin" || len(st.Status.Conditions) != 2 {
				t.Errorf("conditions after a strategic status patch of Ready: %s", asJSON(st.Status.Conditions))
			}
			if len(st.Status.Instances) != 2 {
				t.Errorf("instances after a status patch of conditions: %s", asJSON(st.Status.Instances))
			}
		})
	}
}
