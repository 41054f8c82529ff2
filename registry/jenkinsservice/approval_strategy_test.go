package jenkinsservice

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func TestApprovalPrepareForUpdate(t *testing.T) {
	tests := []struct {
		name     string
		old, req func(*cicd.JenkinsService)
		// wantApproved is the Approved condition of the result (nil: absent).
		wantApproved *metav1.Condition
	}{
		{
			name: "deny: status changes, time stamped now, reason and message as sent",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[0] = metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionFalse, Reason: "DeniedByAdmin", Message: "no budget", ObservedGeneration: 3, LastTransitionTime: t0}
			},
			wantApproved: &metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionFalse, Reason: "DeniedByAdmin", Message: "no budget", ObservedGeneration: 3, LastTransitionTime: tNow},
		},
		{
			name: "same status, new reason and message: time kept",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions[0] = metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "Reapproved", Message: "still fine", ObservedGeneration: 4, LastTransitionTime: tNow}
			},
			wantApproved: &metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "Reapproved", Message: "still fine", ObservedGeneration: 4, LastTransitionTime: t0},
		},
		{
			name: "first approval: time stamped even when the request sends none",
			old: func(js *cicd.JenkinsService) {
				js.Status.Conditions = js.Status.Conditions[1:]
			},
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin"})
			},
			wantApproved: &metav1.Condition{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", LastTransitionTime: tNow},
		},
		{
			name: "no Approved condition in the request: pending again",
			req: func(js *cicd.JenkinsService) {
				js.Status.Conditions = js.Status.Conditions[1:]
			},
			wantApproved: nil,
		},
		{
			name: "everything else in the request is ignored",
			req: func(js *cicd.JenkinsService) {
				js.Spec.Replicas = 99
				js.Spec.Image = "evil/jenkins:1"
				js.Labels = map[string]string{"x": "y"}
				js.Annotations = map[string]string{"x": "y"}
				js.Status.ObservedGeneration = 1
				js.Status.Instances = nil
				js.Status.Conditions[1] = metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionTrue, Reason: "Lie", LastTransitionTime: tNow}
				js.Status.Conditions = append(js.Status.Conditions, metav1.Condition{Type: "Extra", Status: metav1.ConditionTrue, Reason: "Extra", LastTransitionTime: tNow})
			},
			wantApproved: &stored().Status.Conditions[0],
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, approval := testStrategies()
			old := stored()
			if tc.old != nil {
				tc.old(old)
			}
			obj := old.DeepCopy()
			tc.req(obj)
			oldCopy := old.DeepCopy()

			approval.PrepareForUpdate(ctxFor("v1beta"), obj, old)

			// Everything but the Approved condition is the stored object's.
			want := old.DeepCopy()
			want.Status.Conditions = nil
			for _, c := range old.Status.Conditions {
				if c.Type != cicd.ConditionApproved {
					want.Status.Conditions = append(want.Status.Conditions, c)
				}
			}
			got := obj.DeepCopy()
			var gotApproved *metav1.Condition
			got.Status.Conditions = nil
			for _, c := range obj.Status.Conditions {
				if c.Type == cicd.ConditionApproved {
					gotApproved = c.DeepCopy()
					continue
				}
				got.Status.Conditions = append(got.Status.Conditions, c)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("more than the Approved condition changed (-stored +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantApproved, gotApproved); diff != "" {
				t.Errorf("Approved condition (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(oldCopy, old); diff != "" {
				t.Errorf("old object modified:\n%s", diff)
			}
			if errs := approval.ValidateUpdate(ctxFor("v1beta"), obj, old); len(errs) > 0 {
				t.Errorf("approval rejected: %v", errs)
			}
		})
	}
}

// fromV1alpha is what a v1alpha client that read old, changed it with change and
// wrote it back sends, converted to the hub as the server decodes it.
func fromV1alpha(t *testing.T, old *cicd.JenkinsService, change func(map[string]interface{})) *cicd.JenkinsService {
	t.Helper()
	external := &v1alpha.JenkinsService{}
	if err := testScheme.Convert(old, external, nil); err != nil {
		t.Fatal(err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(external)
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(u)
	}
	raw, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	external = &v1alpha.JenkinsService{}
	if err := json.Unmarshal(raw, external); err != nil {
		t.Fatal(err)
	}
	testScheme.Default(external)
	hub := &cicd.JenkinsService{}
	if err := testScheme.Convert(external, hub, nil); err != nil {
		t.Fatal(err)
	}
	return hub
}

func TestApprovalFromV1alpha(t *testing.T) {
	tests := []struct {
		name string
		old  func(*cicd.JenkinsService)
		// set is the approvalstatus the v1alpha client writes back.
		set        string
		wantStatus metav1.ConditionStatus
		wantReason string
		wantTime   metav1.Time
	}{
		{name: "approve a pending service", old: func(js *cicd.JenkinsService) { js.Status.Conditions = js.Status.Conditions[1:] },
			set: "Approved", wantStatus: metav1.ConditionTrue, wantReason: "Approved", wantTime: tNow},
		{name: "deny an approved service", set: "Denied", wantStatus: metav1.ConditionFalse, wantReason: "Denied", wantTime: tNow},
		{name: "unchanged write-back keeps the condition and its time", set: "Approved",
			wantStatus: metav1.ConditionTrue, wantReason: "ApprovedByAdmin", wantTime: t0},
		{name: "pending again", set: "Pending", wantStatus: metav1.ConditionUnknown, wantReason: "Pending", wantTime: tNow},
		{name: "a service with no other condition, approved from scratch", old: func(js *cicd.JenkinsService) { js.Status = cicd.JenkinsServiceStatus{} },
			set: "Approved", wantStatus: metav1.ConditionTrue, wantReason: "Approved", wantTime: tNow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, approval := testStrategies()
			old := stored()
			if tc.old != nil {
				tc.old(old)
			}
			obj := fromV1alpha(t, old, func(u map[string]interface{}) {
				st, _ := u["status"].(map[string]interface{})
				if st == nil {
					st = map[string]interface{}{}
					u["status"] = st
				}
				st["approvalstatus"] = tc.set
				u["spec"].(map[string]interface{})["instanceamount"] = int64(7) // ignored
			})

			approval.PrepareForUpdate(ctxFor("v1alpha"), obj, old)

			c := condition(t, obj, cicd.ConditionApproved)
			if c == nil {
				t.Fatalf("no Approved condition: %+v", obj.Status.Conditions)
			}
			if c.Status != tc.wantStatus || c.Reason != tc.wantReason || !c.LastTransitionTime.Equal(&tc.wantTime) {
				t.Errorf("Approved = %+v, want status %s, reason %s, time %v", c, tc.wantStatus, tc.wantReason, tc.wantTime)
			}
			if obj.Spec.Replicas != old.Spec.Replicas {
				t.Errorf("replicas changed through the approval: %d", obj.Spec.Replicas)
			}
			if ready, oldReady := condition(t, obj, cicd.ConditionReady), condition(t, old, cicd.ConditionReady); !cmp.Equal(ready, oldReady) {
				t.Errorf("Ready changed: %+v, was %+v", ready, oldReady)
			}
			if errs := approval.ValidateUpdate(ctxFor("v1alpha"), obj, old); len(errs) > 0 {
				t.Errorf("approval rejected: %v", errs)
			}
		})
	}
}
