package jenkinsservice

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestStatusPrepareForUpdate(t *testing.T) {
	approvedAtT0 := stored().Status.Conditions[0]
	tests := []struct {
		name string
		// old changes the stored object, req the request (a copy of the stored one).
		old, req func(*cicd.JenkinsService)
		// want changes a copy of the (changed) stored object into the result.
		want func(*cicd.JenkinsService)
	}{
		{
			name: "instances and observedGeneration are written",
			req: func(js *cicd.JenkinsService) {
				js.Status.ObservedGeneration = 4
				js.Status.Instances[1].Running = true
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.ObservedGeneration = 4
				js.Status.Instances[1].Running = true
			},
		},
		{
			name: "spec, labels, annotations, finalizers are ignored",
			req: func(js *cicd.JenkinsService) {
				js.Spec.Replicas = 50
				js.Spec.Image = "evil/jenkins:1"
				js.Labels = map[string]string{"x": "y"}
				js.Annotations = nil
				js.Finalizers = []string{"example.com/f"}
				js.Generation = 99
			},
		},
		{
			name: "a changed Approved condition is ignored",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[0] = metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionFalse, Reason: "Nope", LastTransitionTime: tNow}
			},
		},
		{
			name: "a removed Approved condition is kept",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = js.Status.Conditions[1:]
			},
		},
		{
			name: "an added Approved condition is ignored (stays absent)",
			old: func(js *cicd.JenkinsService) {
				js.Status.Conditions = js.Status.Conditions[1:]
			},
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "Self", LastTransitionTime: tNow})
			},
		},
		{
			name: "a condition that changes status without a time is stamped now",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1] = metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllRunning"}
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1] = metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllRunning", LastTransitionTime: tNow}
			},
		},
		{
			name: "a condition that keeps its status without a time keeps the old time",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1].Message = "still provisioning"
				js.Status.Conditions[1].LastTransitionTime = metav1.Time{}
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1].Message = "still provisioning"
			},
		},
		{
			name: "a new condition without a time is stamped now",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{Type: "Degraded", Status: metav1.ConditionFalse, Reason: "Fine"})
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{Type: "Degraded", Status: metav1.ConditionFalse, Reason: "Fine", LastTransitionTime: tNow})
			},
		},
		{
			name: "a time the writer sends is kept",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1] = metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllRunning", LastTransitionTime: metav1.Date(2026, 11, 24, 9, 0, 0, 0, tNow.Location())}
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.Conditions[1] = metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionTrue, Reason: "AllRunning", LastTransitionTime: metav1.Date(2026, 11, 24, 9, 0, 0, 0, tNow.Location())}
			},
		},
		{
			name: "all conditions removed but Approved",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = nil
			},
			want: func(js *cicd.JenkinsService) {
				js.Status.Conditions = []metav1.Condition{approvedAtT0}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, status, _ := testStrategies()
			old := stored()
			if tc.old != nil {
				tc.old(old)
			}
			obj := old.DeepCopy()
			if tc.req != nil {
				tc.req(obj)
			}
			want := old.DeepCopy()
			if tc.want != nil {
				tc.want(want)
			}
			oldCopy := old.DeepCopy()

			status.PrepareForUpdate(ctxFor("v1beta"), obj, old)

			if diff := cmp.Diff(want, obj); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(oldCopy, old); diff != "" {
				t.Errorf("old object modified:\n%s", diff)
			}
			if errs := status.ValidateUpdate(ctxFor("v1beta"), obj, old); len(errs) > 0 {
				t.Errorf("status update rejected: %v", errs)
			}
		})
	}
}

// A status writer through v1alpha sends approvalstatus; the conversion turns it into
// an Approved condition with no time, which the status subresource ignores.
func TestStatusFromV1alphaIgnoresApprovalStatus(t *testing.T) {
	_, status, _ := testStrategies()
	old := stored()
	obj := fromV1alpha(t, old, func(u map[string]interface{}) {
		st := u["status"].(map[string]interface{})
		st["approvalstatus"] = "Denied"
		st["instances"].([]interface{})[1].(map[string]interface{})["running"] = true
	})

	status.PrepareForUpdate(ctxFor("v1alpha"), obj, old)

	if diff := cmp.Diff(old.Status.Conditions, obj.Status.Conditions); diff != "" {
		t.Errorf("conditions changed (-old +new):\n%s", diff)
	}
	if !obj.Status.Instances[1].Running || obj.Status.Instances[1].Name != "ci-1" ||
		!apiequality.Semantic.DeepEqual(obj.Status.Instances[1].CPU, resource.MustParse("1500m")) {
		t.Errorf("instance not written as sent (with its preserved name and CPU): %+v", obj.Status.Instances[1])
	}
	if errs := status.ValidateUpdate(ctxFor("v1alpha"), obj, old); len(errs) > 0 {
		t.Errorf("status update rejected: %v", errs)
	}
}

func TestKeepApprovalOrder(t *testing.T) {
	ready := metav1.Condition{Type: cicd.ConditionReady}
	other := metav1.Condition{Type: "Other"}
	approved := metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue}
	denied := metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionFalse}
	tests := []struct {
		name          string
		req, old, out []metav1.Condition
	}{
		{"in place", []metav1.Condition{ready, denied, other}, []metav1.Condition{approved, ready}, []metav1.Condition{ready, approved, other}},
		{"omitted: where it stood", []metav1.Condition{ready, other}, []metav1.Condition{ready, approved}, []metav1.Condition{ready, approved, other}},
		{"omitted: first", []metav1.Condition{ready, other}, []metav1.Condition{approved, ready}, []metav1.Condition{approved, ready, other}},
		{"none before, none after", []metav1.Condition{denied}, []metav1.Condition{ready}, nil},
		{"duplicates collapse", []metav1.Condition{denied, ready, denied}, []metav1.Condition{approved}, []metav1.Condition{approved, ready}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.out, keepApproval(tc.req, tc.old)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
