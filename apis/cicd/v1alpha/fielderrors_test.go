package v1alpha

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/cicdtest"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

const (
	preservedSpecPath   = "metadata.annotations[autobusi.group.cicd/preserved-spec]"
	preservedStatusPath = "metadata.annotations[autobusi.group.cicd/preserved-status]"
)

// validService is a valid hub object: Approved (condition 0), Ready (condition
// 1), two named instances of 1500m.
func validService() *cicd.JenkinsService {
	return cicdtest.Service("ci", metav1.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

func manyConditions(n int) []metav1.Condition {
	out := make([]metav1.Condition, n)
	for i := range out {
		out[i] = metav1.Condition{Type: fmt.Sprintf("Type%d", i), Status: metav1.ConditionTrue, Reason: "Reason", LastTransitionTime: metav1.Now()}
	}
	return out
}

func TestFieldErrorsFromHub(t *testing.T) {
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
			contains: `status.approvalstatus: Required value: status.conditions[0].lastTransitionTime: condition "Approved"`,
		},
		{
			name:  "Approved condition reason",
			tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Reason = "not a reason" },
			typ:   field.ErrorTypeInvalid, path: "status.approvalstatus", value: "not a reason",
			contains: `status.approvalstatus: Invalid value: "not a reason": status.conditions[0].reason: condition "Approved": a condition reason must start`,
		},
		{
			name: "Approved condition twice",
			tweak: func(js *cicd.JenkinsService) {
				denied := js.Status.Conditions[0]
				denied.Status, denied.Reason = metav1.ConditionFalse, "Denied"
				js.Status.Conditions = append(js.Status.Conditions, denied)
			},
			typ: field.ErrorTypeDuplicate, path: "status.approvalstatus", value: cicd.ConditionApproved,
			contains: `status.conditions[2]: condition "Approved": there may be at most one condition of each type`,
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
			hub := validation.ValidateJenkinsService(js)
			if len(hub) != 1 {
				t.Fatalf("want one hub error, got %v", hub)
			}
			saved := *hub[0]

			got := FieldErrorsFromHub(hub, js)
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
				t.Errorf("FieldErrorsFromHub modified its argument: %#v", hub[0])
			}
		})
	}
}

func TestFieldErrorsFromHubMany(t *testing.T) {
	js := validService()
	js.Name = ""
	js.Spec = cicd.JenkinsServiceSpec{Replicas: 101, Resources: cicd.JenkinsServiceResources{CPU: resource.MustParse("1500m")}, Image: "UPPER"}
	js.Status.Conditions[0].Status = "Maybe"
	js.Status.Instances[0].Name = "Bad Name"
	var got []string
	for _, e := range FieldErrorsFromHub(validation.ValidateJenkinsService(js), js) {
		got = append(got, string(e.Type)+" "+e.Field)
	}
	want := []string{
		"FieldValueRequired metadata.name",
		"FieldValueInvalid spec.instanceamount",
		"FieldValueInvalid " + preservedSpecPath, // memory
		"FieldValueInvalid " + preservedSpecPath, // image
		"FieldValueNotSupported status.approvalstatus",
		"FieldValueInvalid " + preservedStatusPath, // instance name
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n  %q\nwant\n  %q", got, want)
	}
}

func TestFieldErrorsFromHubEmpty(t *testing.T) {
	if got := FieldErrorsFromHub(nil, nil); len(got) != 0 {
		t.Errorf("got %v", got)
	}
	if got := FieldErrorsFromHub(field.ErrorList{}, validService()); len(got) != 0 {
		t.Errorf("got %v", got)
	}
}

// TestFieldErrorsFromHubForeignErrors checks errors that validation does not make
// itself but that a caller may add (for instance a strategy): paths inside the
// renamed fields, and an error about a condition the object does not have.
func TestFieldErrorsFromHubForeignErrors(t *testing.T) {
	errs := field.ErrorList{
		field.Invalid(field.NewPath("spec", "replicas"), int32(3), "x"),
		field.Forbidden(field.NewPath("spec", "resources"), "y"),
		field.Invalid(field.NewPath("spec", "resources", "cpu"), resource.MustParse("2500m"), "z"),
		field.Invalid(field.NewPath("status", "conditions").Index(5), "Approved", "no such condition"),
		field.Invalid(field.NewPath("status", "instances").Index(0).Child("cpu"), "not a quantity", "w"),
		field.Forbidden(field.NewPath("spec", "replicasX"), "not the replicas field"),
		field.Invalid(field.NewPath("status", "conditions").Index(0).Child("status"), metav1.ConditionFalse, "v"),
		field.Invalid(field.NewPath("status", "conditions").Index(1).Child("status"), metav1.ConditionFalse, "v"),
	}
	got := FieldErrorsFromHub(errs, validService())
	wantPaths := []string{"spec.instanceamount", preservedSpecPath, "spec.instancecpu", preservedStatusPath, "status.instances[0].cpu", "spec.replicasX",
		"status.approvalstatus", preservedStatusPath}
	wantValues := []interface{}{int32(3), "", int32(3), "Approved", "not a quantity", "", "Denied", metav1.ConditionFalse}
	if len(got) != len(wantPaths) {
		t.Fatalf("got %d errors, want %d: %v", len(got), len(wantPaths), got)
	}
	for i := range got {
		if got[i].Field != wantPaths[i] || !reflect.DeepEqual(got[i].BadValue, wantValues[i]) {
			t.Errorf("%d: got %s %#v, want %s %#v", i, got[i].Field, got[i].BadValue, wantPaths[i], wantValues[i])
		}
	}
}

func TestUnder(t *testing.T) {
	for _, tc := range []struct {
		f, p  string
		index int
		rest  string
		ok    bool
	}{
		{"spec.replicas", "spec.replicas", -1, "", true},
		{"spec.replicas.x", "spec.replicas", -1, ".x", true},
		{"spec.replicasX", "spec.replicas", -1, "", false},
		{"spec", "spec.replicas", -1, "", false},
		{"status.conditions[3]", "status.conditions[*]", 3, "", true},
		{"status.conditions[12].reason", "status.conditions[*]", 12, ".reason", true},
		{"status.conditions[12].reason", "status.conditions[*].reason", 12, "", true},
		{"status.conditions[12].status", "status.conditions[*].reason", -1, "", false},
		{"status.conditions[12].reasonX", "status.conditions[*].reason", -1, "", false},
		{"status.conditions", "status.conditions[*]", -1, "", false},
		{"status.conditions[]", "status.conditions[*]", -1, "", false},
		{"status.conditions[-1]", "status.conditions[*]", -1, "", false},
		{"status.conditions[x]", "status.conditions[*]", -1, "", false},
		{"status.conditions[1]", "status.conditions", -1, "[1]", true},
	} {
		index, rest, ok := under(tc.f, tc.p)
		if index != tc.index || rest != tc.rest || ok != tc.ok {
			t.Errorf("under(%q, %q) = %d %q %v, want %d %q %v", tc.f, tc.p, index, rest, ok, tc.index, tc.rest, tc.ok)
		}
	}
}
