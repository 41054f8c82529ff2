package integration

import (
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	v1alphaapply "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// API.md, Validation: 422 with the paths of the version the client used for
// every way of writing, not only create and update: patches, server-side
// apply, the status and scale subresources.
func TestCompatValidationEveryWrite(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.JSON)
	beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
	if _, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before, err := beta.Get(ctx, "v", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	_, err = alpha.Patch(ctx, "v", types.MergePatchType, []byte(`{"spec":{"instancecpu":65}}`), metav1.PatchOptions{})
	checkInvalid(t, "v1alpha merge patch instancecpu 65", err, "spec.instancecpu", true)
	_, err = alpha.Patch(ctx, "v", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/instanceamount","value":101}]`), metav1.PatchOptions{})
	checkInvalid(t, "v1alpha JSON patch instanceamount 101", err, "spec.instanceamount", true)
	_, err = alpha.Patch(ctx, "v", types.StrategicMergePatchType, []byte(`{"spec":{"instancecpu":-2}}`), metav1.PatchOptions{})
	checkInvalid(t, "v1alpha strategic patch instancecpu -2", err, "spec.instancecpu", true)
	_, err = alpha.Apply(ctx, v1alphaapply.JenkinsService("v", ns).WithSpec(v1alphaapply.JenkinsServiceSpec().WithInstanceAmount(101)),
		metav1.ApplyOptions{FieldManager: "probe", Force: true})
	checkInvalid(t, "v1alpha apply instanceamount 101", err, "spec.instanceamount", true)
	_, err = beta.Patch(ctx, "v", types.MergePatchType, []byte(`{"spec":{"resources":{"cpu":"0"}}}`), metav1.PatchOptions{})
	checkInvalid(t, "v1beta merge patch cpu 0", err, "spec.resources.cpu", false)

	a, err := alpha.Get(ctx, "v", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Status.Instances = []v1alpha.JenkinsServerInstance{{Cpu: 1, Running: true}, {Cpu: -1}}
	_, err = alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{})
	checkInvalid(t, "v1alpha status instance cpu -1", err, "status.instances[1].cpu", true)

	for _, version := range []string{"v1alpha", "v1beta"} {
		update := beta.UpdateScale
		if version == "v1alpha" {
			update = alpha.UpdateScale
		}
		_, err = update(ctx, "v", &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "v", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 101}}, metav1.UpdateOptions{})
		checkInvalid(t, version+" scale replicas 101", err, "spec.replicas", false)
	}

	// approvalstatus in another letter case is a client's mistake: a 4xx that
	// names the field and the supported values.
	a, err = alpha.Get(ctx, "v", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Status.ApprovalStatus = "approved"
	_, err = alpha.UpdateApproval(ctx, "v", a, metav1.UpdateOptions{})
	if code := statusCode(err); code < 400 || code >= 500 || !strings.Contains(err.Error(), "status.approvalstatus") || !strings.Contains(err.Error(), `"Approved"`) {
		t.Errorf("v1alpha approval with approvalstatus approved: %v (code %d), want a 4xx naming status.approvalstatus", err, code)
	}

	after, err := beta.Get(ctx, "v", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("refused writes changed the object: %s", asJSON(after))
	}
}
