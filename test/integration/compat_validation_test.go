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

	// An approvalstatus that is none of the words is refused where it would
	// be applied, the approval subresource, with a 422 at status.approvalstatus
	// that shows the value sent and the supported ones (a condition status
	// such as True is no approval word either); the main resource and the
	// status subresource ignore it, as they ignore the approval.
	for _, word := range []v1alpha.ApprovalStatus{"approved", "Maybe", "True", "not sure"} {
		a, err := alpha.Get(ctx, "v", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a.Status.ApprovalStatus = word
		_, err = alpha.UpdateApproval(ctx, "v", a, metav1.UpdateOptions{})
		checkInvalid(t, "v1alpha approval "+string(word), err, "status.approvalstatus", true)
		if err != nil && (!strings.Contains(err.Error(), `"`+string(word)+`"`) || !strings.Contains(err.Error(), `"Pending", "Approved", "Denied"`) ||
			strings.Contains(err.Error(), "unsupported approvalstatus")) {
			t.Errorf("v1alpha approval %s: %v, want the value as sent and the supported values", word, err)
		}
		if _, err := alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
			t.Errorf("v1alpha status write with approvalstatus %s: %v, want it ignored", word, err)
		}
		if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
			t.Errorf("v1alpha update with approvalstatus %s: %v, want it ignored", word, err)
		}
	}
	created, err := alpha.Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "created"},
		Status: v1alpha.JenkinsServiceStatus{ApprovalStatus: "Maybe"}}, metav1.CreateOptions{})
	if err != nil || created.Status.ApprovalStatus != v1alpha.ApprovalPending {
		t.Errorf("v1alpha create with approvalstatus Maybe: %v, %+v; want it ignored (Pending)", err, created)
	}

	after, err := beta.Get(ctx, "v", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("refused writes changed the object: %s", asJSON(after))
	}
}
