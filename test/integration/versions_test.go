package integration

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Create through v1alpha, read through v1beta, in both wire formats.
func TestCreateV1alphaReadV1beta(t *testing.T) {
	for _, enc := range []framework.Encoding{framework.JSON, framework.Protobuf} {
		t.Run(string(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			created, err := c.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "ci"},
				Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 3},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if created.Status.ApprovalStatus != v1alpha.ApprovalPending {
				t.Errorf("new object's approvalstatus %q, want Pending", created.Status.ApprovalStatus)
			}
			got, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.Replicas == nil || *got.Spec.Replicas != 2 || got.Spec.Resources.CPU.Cmp(resource.MustParse("3")) != 0 ||
				got.Spec.Resources.Memory.Cmp(resource.MustParse("2Gi")) != 0 || got.Spec.Image != "jenkins/jenkins:lts" {
				t.Errorf("v1beta spec %+v", got.Spec)
			}
			if got.Generation != 1 {
				t.Errorf("generation %d, want 1", got.Generation)
			}
		})
	}
}
