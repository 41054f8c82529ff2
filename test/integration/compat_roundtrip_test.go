package integration

import (
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// API.md, round trips, the other way: every field of a v1alpha object
// survives a v1beta client's read and unchanged write-back of the main
// resource, its status and its approval, in JSON and protobuf.
func TestCompatV1alphaThroughV1beta(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			created, err := alpha.Create(ctx, &v1alpha.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "rt", Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"note": "x"}},
				Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 3, InstanceCpu: 5},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			created.Status.Instances = []v1alpha.JenkinsServerInstance{{Cpu: 5, Running: true}, {Cpu: 5}}
			withStatus, err := alpha.UpdateStatus(ctx, created, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			withStatus.Status.ApprovalStatus = v1alpha.ApprovalDenied
			if _, err := alpha.UpdateApproval(ctx, "rt", withStatus, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			want, err := alpha.Get(ctx, "rt", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want.Status.ApprovalStatus != v1alpha.ApprovalDenied || len(want.Status.Instances) != 2 {
				t.Fatalf("set-up: %s", asJSON(want))
			}

			b, err := beta.Get(ctx, "rt", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if b, err = beta.Update(ctx, b, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1beta write-back: %v", err)
			}
			if b, err = beta.UpdateStatus(ctx, b, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1beta status write-back: %v", err)
			}
			if _, err = beta.UpdateApproval(ctx, "rt", b, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1beta approval write-back: %v", err)
			}
			got, err := alpha.Get(ctx, "rt", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !apiequality.Semantic.DeepEqual(want.Spec, got.Spec) || !apiequality.Semantic.DeepEqual(want.Status, got.Status) ||
				!apiequality.Semantic.DeepEqual(want.Labels, got.Labels) || !apiequality.Semantic.DeepEqual(want.Annotations, got.Annotations) ||
				want.Generation != got.Generation || want.ResourceVersion != got.ResourceVersion {
				t.Errorf("v1alpha view changed by v1beta write-backs:\nbefore %s\nafter  %s", asJSON(want), asJSON(got))
			}
		})
	}
}
