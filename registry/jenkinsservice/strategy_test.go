package jenkinsservice

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func TestPrepareForCreate(t *testing.T) {
	strategy, _, _ := testStrategies()
	in := stored()
	in.Generation = 7
	in.Annotations[cicd.AnnotationPreservedSpec] = `{"memory":"4Gi"}`

	strategy.PrepareForCreate(ctxFor("v1beta"), in)

	if !apiequality.Semantic.DeepEqual(in.Status, cicd.JenkinsServiceStatus{}) {
		t.Errorf("status not reset: %+v", in.Status)
	}
	if in.Generation != 1 {
		t.Errorf("generation = %d, want 1", in.Generation)
	}
	if _, ok := in.Annotations[cicd.AnnotationPreservedSpec]; ok {
		t.Errorf("round-trip annotation kept: %v", in.Annotations)
	}
	if in.Annotations[cicd.AnnotationRequestedBy] != "alice" {
		t.Errorf("ordinary annotation lost: %v", in.Annotations)
	}
	if !apiequality.Semantic.DeepEqual(in.Spec, stored().Spec) {
		t.Errorf("spec changed: %+v", in.Spec)
	}
	if got := v1alpha.ApprovalOf(in.Status.Conditions); got != v1alpha.ApprovalPending {
		t.Errorf("a new object reads %s, want Pending", got)
	}
	if errs := strategy.Validate(ctxFor("v1beta"), in); len(errs) > 0 {
		t.Errorf("valid object rejected: %v", errs)
	}
}

func TestPrepareForUpdate(t *testing.T) {
	tests := []struct {
		name           string
		change         func(js *cicd.JenkinsService)
		wantGeneration int64
	}{
		{"nothing", func(*cicd.JenkinsService) {}, 3},
		{"labels only", func(js *cicd.JenkinsService) { js.Labels = map[string]string{"team": "b", "tier": "gold"} }, 3},
		{"annotations only", func(js *cicd.JenkinsService) { js.Annotations["note"] = "x" }, 3},
		{"status only", func(js *cicd.JenkinsService) {
			js.Status = cicd.JenkinsServiceStatus{ObservedGeneration: 9}
		}, 3},
		{"same CPU written differently", func(js *cicd.JenkinsService) {
			js.Spec.Resources.CPU = resource.MustParse("1.5")
		}, 3},
		{"replicas", func(js *cicd.JenkinsService) { js.Spec.Replicas = 3 }, 4},
		{"scaled to zero", func(js *cicd.JenkinsService) { js.Spec.Replicas = 0 }, 4},
		{"cpu", func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = resource.MustParse("2") }, 4},
		{"memory", func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = resource.MustParse("8Gi") }, 4},
		{"image", func(js *cicd.JenkinsService) { js.Spec.Image = "jenkins/jenkins:2.470" }, 4},
		{"spec and status", func(js *cicd.JenkinsService) {
			js.Spec.Replicas = 5
			js.Status.Conditions = nil
		}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			strategy, _, _ := testStrategies()
			old := stored()
			obj := stored()
			tc.change(obj)
			want := obj.DeepCopy()

			strategy.PrepareForUpdate(ctxFor("v1beta"), obj, old)

			if obj.Generation != tc.wantGeneration {
				t.Errorf("generation = %d, want %d", obj.Generation, tc.wantGeneration)
			}
			if diff := cmp.Diff(stored().Status, obj.Status); diff != "" {
				t.Errorf("status not kept (-stored +got):\n%s", diff)
			}
			if !apiequality.Semantic.DeepEqual(want.Spec, obj.Spec) {
				t.Errorf("spec = %+v, want as written %+v", obj.Spec, want.Spec)
			}
			if diff := cmp.Diff(want.Labels, obj.Labels); diff != "" {
				t.Errorf("labels not as written:\n%s", diff)
			}
			if !apiequality.Semantic.DeepEqual(old, stored()) {
				t.Errorf("old object modified")
			}
			if errs := strategy.ValidateUpdate(ctxFor("v1beta"), obj, old); len(errs) > 0 {
				t.Errorf("valid update rejected: %v", errs)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	strategy, _, _ := testStrategies()
	tests := []struct {
		name    string
		version string
		change  func(*cicd.JenkinsService)
		create  []string // substrings, one per expected warning
		update  []string
	}{
		{"none", "v1beta", func(*cicd.JenkinsService) {}, nil, nil},
		{"default image", "v1beta", func(js *cicd.JenkinsService) { js.Spec.Image = cicd.DefaultImage }, nil, nil},
		{"digest", "v1beta", func(js *cicd.JenkinsService) {
			js.Spec.Image = "registry:5000/team/jenkins@sha256:" + strings.Repeat("a", 64)
		}, nil, nil},
		{"registry port, no tag", "v1beta", func(js *cicd.JenkinsService) { js.Spec.Image = "registry:5000/team/jenkins" },
			[]string{"has no tag"}, []string{"has no tag"}},
		{"latest", "v1beta", func(js *cicd.JenkinsService) { js.Spec.Image = "jenkins/jenkins:latest" },
			[]string{":latest"}, []string{":latest"}},
		{"no tag", "v1beta", func(js *cicd.JenkinsService) { js.Spec.Image = "jenkins" },
			[]string{`spec.image: "jenkins" has no tag`}, []string{"has no tag"}},
		{"latest pinned by a digest", "v1beta", func(js *cicd.JenkinsService) {
			js.Spec.Image = "registry:5000/jenkins:latest@sha256:" + strings.Repeat("a", 64)
		}, nil, nil},
		{"zero replicas", "v1beta", func(js *cicd.JenkinsService) { js.Spec.Replicas = 0 },
			[]string{"spec.replicas: 0"}, []string{"spec.replicas: 0"}},
		{"zero replicas via v1alpha", "v1alpha", func(js *cicd.JenkinsService) { js.Spec.Replicas = 0 },
			[]string{"spec.instanceamount: 0"}, []string{"spec.instanceamount: 0"}},
	}
	scaleCtx := requestCtx("v1alpha", "scale")
	zero := stored()
	zero.Spec.Replicas = 0
	if w := strategy.WarningsOnUpdate(scaleCtx, zero, stored()); len(w) != 1 || !strings.HasPrefix(w[0], "spec.replicas: 0") {
		t.Errorf("scale through v1alpha warns %q, want about the Scale's spec.replicas", w)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := stored()
			tc.change(obj)
			check := func(what string, got, want []string) {
				t.Helper()
				if len(got) != len(want) {
					t.Fatalf("%s warnings = %q, want %d matching %q", what, got, len(want), want)
				}
				for i := range want {
					if !strings.Contains(got[i], want[i]) {
						t.Errorf("%s warning %q does not contain %q", what, got[i], want[i])
					}
				}
			}
			check("create", strategy.WarningsOnCreate(ctxFor(tc.version), obj), tc.create)
			check("update", strategy.WarningsOnUpdate(ctxFor(tc.version), obj, stored()), tc.update)
			// A write-back that does not change the field is not warned again.
			check("unchanged update", strategy.WarningsOnUpdate(ctxFor(tc.version), obj, obj.DeepCopy()), nil)
		})
	}
}

func TestStrategyFlags(t *testing.T) {
	strategy, status, approval := testStrategies()
	for name, s := range map[string]rest.RESTUpdateStrategy{"main": strategy, "status": status, "approval": approval} {
		if !s.NamespaceScoped() {
			t.Errorf("%s: not namespaced", name)
		}
		if s.AllowCreateOnUpdate(ctxFor("v1beta")) {
			t.Errorf("%s: allows create on update", name)
		}
		if !s.AllowUnconditionalUpdate(ctxFor("v1beta")) {
			t.Errorf("%s: refuses unconditional updates", name)
		}
	}
	// The typer of the strategies knows the hub kind (errors name it).
	kinds, _, err := strategy.ObjectKinds(&cicd.JenkinsService{})
	if err != nil || kinds[0].GroupKind() != cicd.Kind("JenkinsService") {
		t.Errorf("ObjectKinds = %v, %v", kinds, err)
	}
}

// The conditions written on create are dropped even when they look valid.
func TestCreateDropsApproval(t *testing.T) {
	strategy, _, _ := testStrategies()
	in := stored()
	in.Status.Conditions = []metav1.Condition{{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "Self", LastTransitionTime: t0}}
	strategy.PrepareForCreate(ctxFor("v1beta"), in)
	if c := condition(t, in, cicd.ConditionApproved); c != nil {
		t.Errorf("a client approved its own service on create: %+v", c)
	}
}

// Validation errors carry the paths of the request's version; v1beta's are the
// hub's, and so are those of a request from outside the group.
func TestValidationPathsInRequestVersion(t *testing.T) {
	strategy, status, _ := testStrategies()
	bad := stored()
	bad.Spec.Replicas = 101
	bad.Spec.Resources.CPU = resource.MustParse("64001m")
	badStatus := stored()
	badStatus.Status.Conditions[0].Reason = "not a reason"
	paths := func(errs field.ErrorList) []string {
		var out []string
		for _, e := range errs {
			out = append(out, e.Field)
		}
		return out
	}
	for version, want := range map[string][]string{
		"":        {"spec.replicas", "spec.resources.cpu", "status.conditions[0].reason"},
		"v1beta":  {"spec.replicas", "spec.resources.cpu", "status.conditions[0].reason"},
		"v1alpha": {"spec.instanceamount", "spec.instancecpu", "status.approvalstatus"},
	} {
		ctx := ctxFor(version)
		for what, got := range map[string][]string{
			"create": append(paths(strategy.Validate(ctx, bad)), want[2]),
			"update": append(paths(strategy.ValidateUpdate(ctx, bad, stored())), want[2]),
			"status": append(want[:2:2], paths(status.ValidateUpdate(ctx, badStatus, stored()))...),
		} {
			if !slices.Equal(got, want) {
				t.Errorf("%q %s: paths %q, want %q", version, what, got, want)
			}
		}
	}
}

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

var (
	approvedKey = fieldpath.KeyByFields("type", cicd.ConditionApproved)
	readyKey    = fieldpath.KeyByFields("type", cicd.ConditionReady)
)

// everything is a set as a v1beta (or v1alpha) writer of the whole object owns.
func everything(version fieldpath.APIVersion) *fieldpath.Set {
	common := []fieldpath.Path{
		fieldpath.MakePathOrDie("metadata", "labels", "team"),
		fieldpath.MakePathOrDie("metadata", "annotations", "note"),
		fieldpath.MakePathOrDie("spec", "image"),
		fieldpath.MakePathOrDie("status", "instances"),
	}
	if version == v1alphaVersion {
		return fieldpath.NewSet(append(common,
			fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedSpec),
			fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedStatus),
			fieldpath.MakePathOrDie("spec", "instanceamount"),
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)...)
	}
	return fieldpath.NewSet(append(common,
		fieldpath.MakePathOrDie("spec", "replicas"),
		fieldpath.MakePathOrDie("status", "observedGeneration"),
		fieldpath.MakePathOrDie("status", "conditions", approvedKey),
		fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
		fieldpath.MakePathOrDie("status", "conditions", readyKey),
		fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
	)...)
}

// kept is what a write through an endpoint records as owned: the paths of a full
// write minus the reset fields.
func TestResetFields(t *testing.T) {
	_, status, approval := testStrategies()
	main, _, _ := testStrategies()
	filters := map[string]map[fieldpath.APIVersion]fieldpath.Filter{
		"main":           fieldpath.NewExcludeFilterSetMap(main.GetResetFields()),
		"status":         fieldpath.NewExcludeFilterSetMap(status.GetResetFields()),
		"approval":       approval.GetResetFieldsFilter(),
		"approval (set)": fieldpath.NewExcludeFilterSetMap(approval.GetResetFields()),
	}
	tests := []struct {
		endpoint string
		version  fieldpath.APIVersion
		kept     *fieldpath.Set
	}{
		{"main", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("metadata", "labels", "team"),
			fieldpath.MakePathOrDie("metadata", "annotations", "note"),
			fieldpath.MakePathOrDie("spec", "image"),
			fieldpath.MakePathOrDie("spec", "replicas"),
		)},
		{"main", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("metadata", "labels", "team"),
			fieldpath.MakePathOrDie("metadata", "annotations", "note"),
			fieldpath.MakePathOrDie("spec", "image"),
			fieldpath.MakePathOrDie("spec", "instanceamount"),
		)},
		{"status", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "instances"),
			fieldpath.MakePathOrDie("status", "observedGeneration"),
			fieldpath.MakePathOrDie("status", "conditions", readyKey),
			fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
		)},
		{"status", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "instances"),
		)},
		{"approval", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "conditions", approvedKey),
			fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
		)},
		{"approval", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)},
		// The set is exact in v1alpha, and leaves the other conditions in v1beta.
		{"approval (set)", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)},
		{"approval (set)", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "conditions", approvedKey),
			fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
			fieldpath.MakePathOrDie("status", "conditions", readyKey),
			fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
		)},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint+" "+string(tc.version), func(t *testing.T) {
			filter, ok := filters[tc.endpoint][tc.version]
			if !ok {
				t.Fatalf("no reset fields for %s", tc.version)
			}
			got := filter.Filter(everything(tc.version))
			if !got.Equals(tc.kept) {
				t.Errorf("kept:\n%s\nwant:\n%s", got, tc.kept)
			}
		})
	}
	for name, f := range filters {
		if len(f) != 2 {
			t.Errorf("%s: reset fields for %d versions, want 2", name, len(f))
		}
	}
}
