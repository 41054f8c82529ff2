package integration

import (
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// API.md, Subresources, status: a status write changes only the status (not
// the spec, the labels or the Approved condition); a write of the main
// resource ignores the status. Both versions.
func TestAPIStatusSubresource(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			orig := createFull(ctx, t, beta, "st")

			// A status write with a changed spec, labels and Approved condition.
			req := orig.DeepCopy()
			req.Spec.Replicas = i32(7)
			req.Spec.Image = "jenkins/jenkins:other"
			req.Labels = map[string]string{"via": "status"}
			req.Status.ObservedGeneration = 1
			req.Status.Conditions = []metav1.Condition{
				{Type: conditionApproved, Status: metav1.ConditionFalse, Reason: "Sneaky", Message: "denied through status"},
				{Type: conditionReady, Status: metav1.ConditionTrue, Reason: "AllRunning", Message: "2 of 2 instances running"},
			}
			req.Status.Instances = []v1beta.JenkinsServerInstance{
				{Name: "st-0", CPU: resource.MustParse("1500m"), Running: true},
				{Name: "st-1", CPU: resource.MustParse("1500m"), Running: true},
			}
			answer, err := beta.UpdateStatus(ctx, req, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := beta.Get(ctx, "st", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, js := range []*v1beta.JenkinsService{answer, got} {
				sameV1betaSpec(t, "status write", orig, js)
				if len(js.Labels) != 0 {
					t.Errorf("status write set labels %v", js.Labels)
				}
				if js.Generation != orig.Generation {
					t.Errorf("status write moved generation %d -> %d", orig.Generation, js.Generation)
				}
				approved := findCondition(js.Status.Conditions, conditionApproved)
				if approved == nil || approved.Status != metav1.ConditionTrue || approved.Reason != "ApprovedByAdmin" || approved.Message != releaseTrainMessage {
					t.Errorf("status write changed the Approved condition: %+v", approved)
				}
				ready := findCondition(js.Status.Conditions, conditionReady)
				if ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != "AllRunning" || ready.LastTransitionTime.IsZero() {
					t.Errorf("status write did not set the Ready condition (with a transition time): %+v", ready)
				}
				if len(js.Status.Instances) != 2 || !js.Status.Instances[1].Running {
					t.Errorf("status write did not set the instances: %s", asJSON(js.Status.Instances))
				}
			}

			// A status write that drops the Approved condition does not remove it.
			req = got.DeepCopy()
			req.Status.Conditions = []metav1.Condition{*findCondition(got.Status.Conditions, conditionReady)}
			if got, err = beta.UpdateStatus(ctx, req, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			if a := findCondition(got.Status.Conditions, conditionApproved); a == nil || a.Status != metav1.ConditionTrue {
				t.Errorf("a status write without the Approved condition removed it: %s", asJSON(got.Status.Conditions))
			}

			// v1alpha: a status write with approvalstatus Denied and a new
			// instanceamount changes neither.
			a, err := alpha.Get(ctx, "st", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Status.ApprovalStatus = v1alpha.ApprovalDenied
			a.Spec.InstanceAmount = 9
			a.Status.Instances = append(a.Status.Instances, v1alpha.JenkinsServerInstance{Cpu: 2, Running: false})
			aAnswer, err := alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if aAnswer.Status.ApprovalStatus != v1alpha.ApprovalApproved || aAnswer.Spec.InstanceAmount != 0 || len(aAnswer.Status.Instances) != 3 {
				t.Errorf("v1alpha status write answered approvalstatus %q, instanceamount %d, %d instances; want Approved, 0, 3",
					aAnswer.Status.ApprovalStatus, aAnswer.Spec.InstanceAmount, len(aAnswer.Status.Instances))
			}

			// A main-resource write ignores the status, in both versions.
			before, err := beta.Get(ctx, "st", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			req = before.DeepCopy()
			req.Status = v1beta.JenkinsServiceStatus{ObservedGeneration: 42, Conditions: []metav1.Condition{
				{Type: conditionReady, Status: metav1.ConditionUnknown, Reason: "Main", Message: "from the main resource", LastTransitionTime: metav1.Now()},
			}}
			req.Labels = map[string]string{"via": "main"}
			answer, err = beta.Update(ctx, req, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !sameStatus(before.Status, answer.Status) {
				t.Errorf("v1beta main write changed the status:\nbefore %s\nafter  %s", asJSON(before.Status), asJSON(answer.Status))
			}
			if answer.Labels["via"] != "main" {
				t.Errorf("v1beta main write did not apply the labels: %v", answer.Labels)
			}
			a, err = alpha.Get(ctx, "st", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Status.ApprovalStatus = v1alpha.ApprovalDenied
			a.Status.Instances = nil
			if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err = beta.Get(ctx, "st", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !sameStatus(before.Status, got.Status) {
				t.Errorf("v1alpha main write changed the status:\nbefore %s\nafter  %s", asJSON(before.Status), asJSON(got.Status))
			}
			// The status on create is ignored as well.
			created, err := beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "st-create"},
				Status: v1beta.JenkinsServiceStatus{ObservedGeneration: 3, Conditions: []metav1.Condition{
					{Type: conditionApproved, Status: metav1.ConditionTrue, Reason: "Self", Message: "self-approved", LastTransitionTime: metav1.Now()},
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(created.Status.Conditions) != 0 || created.Status.ObservedGeneration != 0 {
				t.Errorf("create kept a status: %s", asJSON(created.Status))
			}
		})
	}
}

func sameV1betaSpec(t *testing.T, step string, want, got *v1beta.JenkinsService) {
	t.Helper()
	if asJSON(want.Spec) != asJSON(got.Spec) {
		t.Errorf("%s changed the spec:\nbefore %s\nafter  %s", step, asJSON(want.Spec), asJSON(got.Spec))
	}
}

// API.md, Subresources, approval: the body is the whole object; only its
// Approved condition (v1alpha: approvalstatus) is applied, with reason and
// message as sent, nothing else.
func TestAPIApprovalSubresource(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			orig := createFull(ctx, t, beta, "ap")

			// Deny through v1beta; everything else in the request is ignored.
			req := orig.DeepCopy()
			req.Spec.Replicas = i32(5)
			req.Labels = map[string]string{"via": "approval"}
			req.Annotations["example.com/x"] = "y"
			req.Status.ObservedGeneration = 99
			req.Status.Instances = nil
			req.Status.Conditions = []metav1.Condition{
				{Type: conditionReady, Status: metav1.ConditionTrue, Reason: "Faked", Message: "through approval"},
				{Type: conditionApproved, Status: metav1.ConditionFalse, Reason: "BudgetExceeded", Message: "no budget left this quarter", ObservedGeneration: 1},
			}
			answer, err := beta.UpdateApproval(ctx, "ap", req, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := beta.Get(ctx, "ap", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, js := range []*v1beta.JenkinsService{answer, got} {
				sameV1betaSpec(t, "approval", orig, js)
				if len(js.Labels) != 0 || js.Annotations["example.com/x"] != "" {
					t.Errorf("approval changed metadata: labels %v, annotations %v", js.Labels, js.Annotations)
				}
				if js.Generation != orig.Generation || js.Status.ObservedGeneration != orig.Status.ObservedGeneration {
					t.Errorf("approval changed generation/observedGeneration: %d/%d", js.Generation, js.Status.ObservedGeneration)
				}
				if asJSON(js.Status.Instances) != asJSON(orig.Status.Instances) {
					t.Errorf("approval changed the instances: %s", asJSON(js.Status.Instances))
				}
				if r := findCondition(js.Status.Conditions, conditionReady); r == nil || asJSON(r) != asJSON(findCondition(orig.Status.Conditions, conditionReady)) {
					t.Errorf("approval changed the Ready condition: %+v", r)
				}
				ap := findCondition(js.Status.Conditions, conditionApproved)
				if ap == nil || ap.Status != metav1.ConditionFalse || ap.Reason != "BudgetExceeded" || ap.Message != "no budget left this quarter" || ap.LastTransitionTime.IsZero() {
					t.Errorf("Approved condition after a v1beta denial: %+v", ap)
				}
			}
			a, err := alpha.Get(ctx, "ap", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status.ApprovalStatus != v1alpha.ApprovalDenied {
				t.Errorf("v1alpha approvalstatus %q after a denial, want Denied", a.Status.ApprovalStatus)
			}

			// Approve through v1alpha: approvalstatus is applied, nothing else.
			a.Status.ApprovalStatus = v1alpha.ApprovalApproved
			a.Spec.InstanceCpu = 7
			a.Labels = map[string]string{"via": "alpha-approval"}
			aAnswer, err := alpha.UpdateApproval(ctx, "ap", a, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if aAnswer.Status.ApprovalStatus != v1alpha.ApprovalApproved || aAnswer.Spec.InstanceCpu != 2 || len(aAnswer.Labels) != 0 {
				t.Errorf("v1alpha approval answered approvalstatus %q, instancecpu %d, labels %v; want Approved, 2, none",
					aAnswer.Status.ApprovalStatus, aAnswer.Spec.InstanceCpu, aAnswer.Labels)
			}
			got, err = beta.Get(ctx, "ap", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameV1betaSpec(t, "v1alpha approval", orig, got)
			if ap := findCondition(got.Status.Conditions, conditionApproved); ap == nil || ap.Status != metav1.ConditionTrue {
				t.Errorf("v1beta Approved condition after a v1alpha approval: %+v", ap)
			}
			if r := findCondition(got.Status.Conditions, conditionReady); r == nil || r.Reason != "Provisioning" {
				t.Errorf("v1alpha approval changed the Ready condition: %+v", r)
			}
			if asJSON(got.Status.Instances) != asJSON(orig.Status.Instances) {
				t.Errorf("v1alpha approval changed the instances: %s", asJSON(got.Status.Instances))
			}
			noPreservation(t, "v1beta get", got.Annotations)

			// v1alpha Pending: the service is pending again.
			a, err = alpha.Get(ctx, "ap", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Status.ApprovalStatus = v1alpha.ApprovalPending
			if _, err := alpha.UpdateApproval(ctx, "ap", a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err = beta.Get(ctx, "ap", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ap := findCondition(got.Status.Conditions, conditionApproved); ap != nil && ap.Status != metav1.ConditionUnknown {
				t.Errorf("v1beta Approved condition after v1alpha Pending: %+v, want absent or Unknown", ap)
			}
			if a, err = alpha.Get(ctx, "ap", metav1.GetOptions{}); err != nil || a.Status.ApprovalStatus != v1alpha.ApprovalPending {
				t.Errorf("v1alpha approvalstatus after Pending: %q, %v", a.Status.ApprovalStatus, err)
			}

			// An approval of a missing object is 404, and does not create it.
			missing := orig.DeepCopy()
			missing.Name, missing.ResourceVersion, missing.UID = "missing", "", ""
			if _, err := beta.UpdateApproval(ctx, "missing", missing, metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("approval of a missing object: %v, want 404", err)
			}
		})
	}
}

// API.md, Subresources, scale: autoscaling/v1 Scale through the generated
// GetScale/UpdateScale in both versions; spec.replicas is spec.replicas,
// status.replicas the running instances, status.selector the instances' Pods.
func TestAPIScaleSubresource(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			js, err := beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "sc"},
				Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(3), Resources: v1beta.JenkinsServiceResources{CPU: qty("1500m")}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			js.Status.Instances = []v1beta.JenkinsServerInstance{
				{Name: "sc-0", CPU: resource.MustParse("1500m"), Running: true},
				{Name: "sc-1", CPU: resource.MustParse("1500m"), Running: false},
				{Name: "sc-2", CPU: resource.MustParse("1500m"), Running: true},
			}
			if _, err = beta.UpdateStatus(ctx, js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}

			for _, version := range []string{"v1beta", "v1alpha"} {
				get, update := beta.GetScale, beta.UpdateScale
				if version == "v1alpha" {
					get, update = alpha.GetScale, alpha.UpdateScale
				}
				scale, err := get(ctx, "sc", metav1.GetOptions{})
				if err != nil {
					t.Fatalf("%s GetScale: %v", version, err)
				}
				cur, err := beta.Get(ctx, "sc", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if scale.Kind != "" && scale.Kind != "Scale" {
					t.Errorf("%s scale kind %q", version, scale.Kind)
				}
				if scale.Name != "sc" || scale.Namespace != ns || scale.UID != cur.UID || scale.ResourceVersion != cur.ResourceVersion {
					t.Errorf("%s scale metadata %+v, object uid %s rv %s", version, scale.ObjectMeta, cur.UID, cur.ResourceVersion)
				}
				if scale.Spec.Replicas != *cur.Spec.Replicas || scale.Status.Replicas != 2 {
					t.Errorf("%s scale spec.replicas %d (object %d), status.replicas %d (want 2 running)", version, scale.Spec.Replicas, *cur.Spec.Replicas, scale.Status.Replicas)
				}
				// The instances' Pods, as the controller labels them: what an HPA selects.
				if want := "app.kubernetes.io/instance=sc,app.kubernetes.io/name=jenkins"; scale.Status.Selector != want {
					t.Errorf("%s scale status.selector %q, want %q", version, scale.Status.Selector, want)
				}

				scale.Spec.Replicas = *cur.Spec.Replicas + 1
				updated, err := update(ctx, "sc", scale, metav1.UpdateOptions{})
				if err != nil {
					t.Fatalf("%s UpdateScale: %v", version, err)
				}
				if updated.Spec.Replicas != *cur.Spec.Replicas+1 || updated.Status.Replicas != 2 {
					t.Errorf("%s UpdateScale answered %+v", version, updated)
				}
				after, err := beta.Get(ctx, "sc", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if *after.Spec.Replicas != *cur.Spec.Replicas+1 || after.Generation != cur.Generation+1 {
					t.Errorf("%s UpdateScale: replicas %d generation %d, want %d and %d", version, *after.Spec.Replicas, after.Generation, *cur.Spec.Replicas+1, cur.Generation+1)
				}
				if after.Spec.Resources.CPU.String() != "1500m" || asJSON(after.Status) != asJSON(cur.Status) {
					t.Errorf("%s UpdateScale changed more than replicas: %s %s", version, asJSON(after.Spec), asJSON(after.Status))
				}

				// A stale resourceVersion is 409; 101 replicas is 422.
				if _, err := update(ctx, "sc", scale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
					t.Errorf("%s UpdateScale with a stale resourceVersion: %v, want 409", version, err)
				}
				tooMany := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "sc", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 101}}
				if _, err := update(ctx, "sc", tooMany, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
					t.Errorf("%s UpdateScale to 101: %v, want 422", version, err)
				}
				if _, err := get(ctx, "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("%s GetScale of a missing object: %v, want 404", version, err)
				}
			}

			// Scale to zero through v1alpha's scale: v1beta 0, v1alpha instanceamount 0.
			zero := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "sc", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 0}}
			if _, err := alpha.UpdateScale(ctx, "sc", zero, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err := beta.Get(ctx, "sc", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *got.Spec.Replicas != 0 {
				t.Errorf("v1beta replicas %d after scaling to 0", *got.Spec.Replicas)
			}
			a, err := alpha.Get(ctx, "sc", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 0 {
				t.Errorf("v1alpha instanceamount %d after scaling to 0", a.Spec.InstanceAmount)
			}
			if s, err := alpha.GetScale(ctx, "sc", metav1.GetOptions{}); err != nil || s.Spec.Replicas != 0 {
				t.Errorf("v1alpha GetScale after scaling to 0: %+v, %v", s, err)
			}
		})
	}
}
