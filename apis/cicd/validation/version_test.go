package validation

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

const (
	preservedSpecPath   = "metadata.annotations[autobusi.group.cicd/preserved-spec]"
	preservedStatusPath = "metadata.annotations[autobusi.group.cicd/preserved-status]"
)

func TestForVersionV1alpha(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*cicd.JenkinsService)
		// the single error expected, in v1alpha terms
		typ      field.ErrorType
		path     string
		value    interface{}
		contains string // in Error()
	}{
		{
			name:  "replicas",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 101 },
			typ:   field.ErrorTypeInvalid, path: "spec.instanceamount", value: int32(101),
			contains: "spec.instanceamount: Invalid value: 101: must be between 0 and 100, inclusive",
		},
		{
			name:  "negative replicas",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = -1 },
			typ:   field.ErrorTypeInvalid, path: "spec.instanceamount", value: int32(-1),
		},
		{
			name:  "cpu above 64 in whole cores",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("65") },
			typ:   field.ErrorTypeInvalid, path: "spec.instancecpu", value: int32(65),
			contains: "spec.instancecpu: Invalid value: 65: must be at most 64 cores",
		},
		{
			name:  "fractional cpu above 64 rounded up",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("64001m") },
			typ:   field.ErrorTypeInvalid, path: "spec.instancecpu", value: int32(65),
		},
		{
			name:  "cpu 0",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("0") },
			typ:   field.ErrorTypeInvalid, path: "spec.instancecpu", value: int32(0),
			contains: "spec.instancecpu: Invalid value: 0: must be greater than 0",
		},
		{
			name:  "negative cpu",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("-3") },
			typ:   field.ErrorTypeInvalid, path: "spec.instancecpu", value: int32(-3),
		},
		{
			name:  "memory",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("255Mi") },
			typ:   field.ErrorTypeInvalid, path: preservedSpecPath, value: "255Mi",
			contains: `Invalid value: "255Mi": spec.resources.memory: must be at least 256Mi`,
		},
		{
			name:  "image",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Image = "Not A Valid/Image!!" },
			typ:   field.ErrorTypeInvalid, path: preservedSpecPath, value: "Not A Valid/Image!!",
			contains: "spec.image: must be a valid image reference",
		},
		{
			name:  "image missing",
			tweak: func(js *cicd.JenkinsService) { js.Spec.Image = "" },
			typ:   field.ErrorTypeRequired, path: preservedSpecPath, value: "",
			contains: "Required value: spec.image: a container image reference is required",
		},
		{
			name:  "observedGeneration",
			tweak: func(js *cicd.JenkinsService) { js.Status.ObservedGeneration = -1 },
			typ:   field.ErrorTypeInvalid, path: preservedStatusPath, value: int64(-1),
			contains: "status.observedGeneration: must be greater than or equal to 0",
		},
		{
			name:  "Approved condition status",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = "Maybe" },
			typ:   field.ErrorTypeNotSupported, path: "status.approvalstatus", value: "Maybe",
			contains: `status.approvalstatus: Unsupported value: "Maybe": supported values: "Pending", "Approved", "Denied"`,
		},
		{
			name:  "Approved condition status missing",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = "" },
			typ:   field.ErrorTypeRequired, path: "status.approvalstatus", value: "",
		},
		{
			name:  "Approved condition time",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].LastTransitionTime = metav1.Time{} },
			typ:   field.ErrorTypeRequired, path: "status.approvalstatus", value: "",
			contains: "status.approvalstatus: Required value: the Approved condition's lastTransitionTime",
		},
		{
			name:  "Approved condition reason",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Reason = "not a reason" },
			typ:   field.ErrorTypeInvalid, path: "status.approvalstatus", value: "not a reason",
			contains: "the Approved condition's reason: a condition reason must start",
		},
		{
			name: "Approved condition twice",
			tweak: func(js *cicd.JenkinsService) {
				js.Status.Conditions = append(js.Status.Conditions, condition(cicd.ConditionApproved, metav1.ConditionFalse, "Denied"))
			},
			typ: field.ErrorTypeDuplicate, path: "status.approvalstatus", value: cicd.ConditionApproved,
			contains: "the Approved condition: there may be at most one condition of each type",
		},
		{
			name:  "Ready condition",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Reason = "not a reason" },
			typ:   field.ErrorTypeInvalid, path: preservedStatusPath, value: "not a reason",
			contains: `status.conditions[1].reason: condition "Ready": a condition reason`,
		},
		{
			name:  "condition without type",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Type = "" },
			typ:   field.ErrorTypeRequired, path: preservedStatusPath, value: "",
		},
		{
			name:  "too many conditions",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions = manyConditions(33) },
			typ:   field.ErrorTypeTooMany, path: preservedStatusPath, value: 33,
		},
		{
			name:  "instance name",
			tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].Name = "ci-0" },
			typ:   field.ErrorTypeDuplicate, path: preservedStatusPath, value: "ci-0",
			contains: "status.instances[1].name",
		},
		{
			name:  "instance cpu in whole cores",
			tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].CPU = quantity("-1500m") },
			typ:   field.ErrorTypeInvalid, path: "status.instances[1].cpu", value: int32(-2),
		},
		{
			name:  "too many instances",
			tweak: func(js *cicd.JenkinsService) { js.Status.Instances = make([]cicd.JenkinsServerInstance, 201) },
			typ:   field.ErrorTypeTooMany, path: "status.instances", value: 201,
		},
		{
			name:  "metadata",
			tweak: func(js *cicd.JenkinsService) { js.Name = "Bad_Name" },
			typ:   field.ErrorTypeInvalid, path: "metadata.name", value: "Bad_Name",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js := validService()
			tc.tweak(js)
			hub := ValidateJenkinsService(js)
			if len(hub) != 1 {
				t.Fatalf("want one hub error, got %v", hub)
			}
			saved := *hub[0]

			got := ForVersion(hub, "v1alpha")
			if len(got) != 1 {
				t.Fatalf("want one error, got %v", got)
			}
			e := got[0]
			if e.Type != tc.typ || e.Field != tc.path || !reflect.DeepEqual(e.BadValue, tc.value) {
				t.Errorf("got %s %s %#v, want %s %s %#v (%v)", e.Type, e.Field, e.BadValue, tc.typ, tc.path, tc.value, e)
			}
			if !strings.Contains(e.Error(), tc.contains) {
				t.Errorf("%q does not contain %q", e.Error(), tc.contains)
			}
			if e == hub[0] || !reflect.DeepEqual(*hub[0], saved) {
				t.Errorf("ForVersion modified its argument: %#v", hub[0])
			}
			// The same with the group in the version.
			if again := ForVersion(hub, "autobusi.group.cicd/v1alpha"); !reflect.DeepEqual(again, got) {
				t.Errorf("group/version: got %v, want %v", again, got)
			}
		})
	}
}

func TestForVersionV1alphaMany(t *testing.T) {
	js := validService()
	js.Name = ""
	js.Spec = cicd.JenkinsServiceSpec{Replicas: 101, Resources: cicd.JenkinsServiceResources{CPU: resource.MustParse("1500m")}, Image: "UPPER"}
	js.Status.Conditions[0].Status = "Maybe"
	js.Status.Instances[0].Name = "Bad Name"
	got := ForVersion(ValidateJenkinsService(js), "v1alpha")
	assertErrors(t, got,
		required("metadata.name"),
		invalid("spec.instanceamount"),
		invalid(preservedSpecPath), // memory
		invalid(preservedSpecPath), // image
		want{field.ErrorTypeNotSupported, "status.approvalstatus"},
		invalid(preservedStatusPath), // instance name
	)
}

func TestForVersionKeepsOtherVersions(t *testing.T) {
	js := validService()
	js.Spec.Replicas = 101
	js.Spec.Resources.CPU = quantity("64001m")
	js.Spec.Image = "Not A Valid/Image!!"
	js.Status.Conditions[0].Status = "Maybe"
	js.Status.Instances[1].Name = "ci-0"
	errs := ValidateJenkinsService(js)
	if len(errs) != 5 {
		t.Fatalf("want 5 errors, got %v", errs)
	}
	saved := make([]field.Error, len(errs))
	for i := range errs {
		saved[i] = *errs[i]
	}
	for _, version := range []string{"v1beta", "autobusi.group.cicd/v1beta", "__internal", ""} {
		got := ForVersion(errs, version)
		if !reflect.DeepEqual(got, errs) {
			t.Errorf("%q: got %v, want %v", version, got, errs)
		}
	}
	assertErrors(t, ForVersion(errs, "v1beta"),
		invalid("spec.replicas"), invalid("spec.resources.cpu"), invalid("spec.image"),
		want{field.ErrorTypeNotSupported, "status.conditions[0].status"}, duplicate("status.instances[1].name"))
	if errs[1].BadValue != "64001m" {
		t.Errorf("v1beta cpu value: got %#v", errs[1].BadValue)
	}
	for i := range errs {
		if !reflect.DeepEqual(*errs[i], saved[i]) {
			t.Errorf("ForVersion modified error %d: %#v", i, errs[i])
		}
	}
}

func TestForVersionEmpty(t *testing.T) {
	if got := ForVersion(nil, "v1alpha"); len(got) != 0 {
		t.Errorf("got %v", got)
	}
	if got := ForVersion(field.ErrorList{}, "v1alpha"); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}

// TestForVersionForeignErrors checks errors that validation does not make itself
// but that a caller may add (for instance a strategy): paths inside the renamed
// fields, and condition errors without the type in their detail.
func TestForVersionForeignErrors(t *testing.T) {
	errs := field.ErrorList{
		field.Invalid(field.NewPath("spec", "replicas"), int32(3), "x"),
		field.Forbidden(field.NewPath("spec", "resources"), "y"),
		field.Invalid(field.NewPath("spec", "resources", "cpu"), resource.MustParse("2500m"), "z"),
		field.Invalid(field.NewPath("status", "conditions").Index(0), "Approved", "no type in detail"),
		field.Invalid(field.NewPath("status", "instances").Index(0).Child("cpu"), "not a quantity", "w"),
		field.Forbidden(field.NewPath("spec", "replicasX"), "not the replicas field"),
	}
	got := ForVersion(errs, "v1alpha")
	wantPaths := []string{"spec.instanceamount", preservedSpecPath, "spec.instancecpu", preservedStatusPath, "status.instances[0].cpu", "spec.replicasX"}
	wantValues := []interface{}{int32(3), "", int32(3), "Approved", "not a quantity", ""}
	for i := range got {
		if got[i].Field != wantPaths[i] || !reflect.DeepEqual(got[i].BadValue, wantValues[i]) {
			t.Errorf("%d: got %s %#v, want %s %#v", i, got[i].Field, got[i].BadValue, wantPaths[i], wantValues[i])
		}
	}
}
