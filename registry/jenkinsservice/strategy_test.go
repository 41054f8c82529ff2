package jenkinsservice

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"

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
