package validation

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

const digest64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var transitionTime = metav1.NewTime(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))

// validService is the v1beta example of API.md as a hub object.
func validService() *cicd.JenkinsService {
	return &cicd.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "team-a", ResourceVersion: "7", Generation: 3},
		Spec: cicd.JenkinsServiceSpec{
			Replicas: 2,
			Resources: cicd.JenkinsServiceResources{
				CPU:    resource.MustParse("1500m"),
				Memory: resource.MustParse("4Gi"),
			},
			Image: "jenkins/jenkins:2.462.3-lts",
		},
		Status: cicd.JenkinsServiceStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{
				condition(cicd.ConditionApproved, metav1.ConditionTrue, "ApprovedByAdmin"),
				condition(cicd.ConditionReady, metav1.ConditionFalse, "Provisioning"),
			},
			Instances: []cicd.JenkinsServerInstance{
				{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true},
				{Name: "ci-1", CPU: resource.MustParse("1500m")},
			},
		},
	}
}

func condition(t string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{
		Type:               t,
		Status:             status,
		Reason:             reason,
		Message:            "some message",
		LastTransitionTime: transitionTime,
		ObservedGeneration: 3,
	}
}

// want is an expected error: its type and field path.
type want struct {
	typ  field.ErrorType
	path string
}

func (w want) String() string { return fmt.Sprintf("%s %s", w.typ, w.path) }

func invalid(path string) want   { return want{field.ErrorTypeInvalid, path} }
func required(path string) want  { return want{field.ErrorTypeRequired, path} }
func duplicate(path string) want { return want{field.ErrorTypeDuplicate, path} }

func assertErrors(t *testing.T, errs field.ErrorList, wants ...want) {
	t.Helper()
	got := make([]string, 0, len(errs))
	for _, e := range errs {
		got = append(got, want{e.Type, e.Field}.String())
	}
	exp := make([]string, 0, len(wants))
	for _, w := range wants {
		exp = append(exp, w.String())
	}
	sort.Strings(got)
	sort.Strings(exp)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("errors:\n  got  %q\n  want %q\nfull errors: %v", got, exp, errs)
	}
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }

func TestValidateJenkinsService(t *testing.T) {
	tests := []struct {
		name   string
		tweak  func(*cicd.JenkinsService)
		expect []want
	}{
		{name: "valid", tweak: func(*cicd.JenkinsService) {}},
		{name: "minimal", tweak: func(js *cicd.JenkinsService) {
			js.Spec = cicd.JenkinsServiceSpec{Replicas: 1, Resources: cicd.JenkinsServiceResources{CPU: cicd.DefaultCPU(), Memory: cicd.DefaultMemory()}, Image: cicd.DefaultImage}
			js.Status = cicd.JenkinsServiceStatus{}
		}},

		// metadata
		{name: "name missing", tweak: func(js *cicd.JenkinsService) { js.Name = "" }, expect: []want{required("metadata.name")}},
		{name: "name not a DNS subdomain", tweak: func(js *cicd.JenkinsService) { js.Name = "Bad_Name" }, expect: []want{invalid("metadata.name")}},
		{name: "name a DNS subdomain", tweak: func(js *cicd.JenkinsService) { js.Name = "ci.team-a.example" }},
		{name: "name of 253 characters", tweak: func(js *cicd.JenkinsService) { js.Name = strings.Repeat("a", 253) }},
		{name: "name of 254 characters", tweak: func(js *cicd.JenkinsService) { js.Name = strings.Repeat("a", 254) }, expect: []want{invalid("metadata.name")}},
		{name: "namespace missing", tweak: func(js *cicd.JenkinsService) { js.Namespace = "" }, expect: []want{required("metadata.namespace")}},
		{name: "namespace invalid", tweak: func(js *cicd.JenkinsService) { js.Namespace = "team.a" }, expect: []want{invalid("metadata.namespace")}},
		{name: "invalid label", tweak: func(js *cicd.JenkinsService) { js.Labels = map[string]string{"a b": "c"} }, expect: []want{invalid("metadata.labels")}},

		// spec.replicas: 0 to 100
		{name: "replicas -1", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = -1 }, expect: []want{invalid("spec.replicas")}},
		{name: "replicas 0", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 0 }},
		{name: "replicas 100", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 100 }},
		{name: "replicas 101", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 101 }, expect: []want{invalid("spec.replicas")}},

		// spec.resources.cpu: more than 0, at most 64 cores
		{name: "cpu -1", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("-1") }, expect: []want{invalid("spec.resources.cpu")}},
		{name: "cpu 0", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("0") }, expect: []want{invalid("spec.resources.cpu")}},
		{name: "cpu unset", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = resource.Quantity{} }, expect: []want{invalid("spec.resources.cpu")}},
		{name: "cpu 1m", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("1m") }},
		{name: "cpu 0.5", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("0.5") }},
		{name: "cpu 64", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("64") }},
		{name: "cpu 64000m", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("64000m") }},
		{name: "cpu 64001m", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("64001m") }, expect: []want{invalid("spec.resources.cpu")}},
		{name: "cpu 65", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.CPU = quantity("65") }, expect: []want{invalid("spec.resources.cpu")}},

		// spec.resources.memory: 256Mi to 256Gi
		{name: "memory 255Mi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("255Mi") }, expect: []want{invalid("spec.resources.memory")}},
		{name: "memory one byte below 256Mi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("268435455") }, expect: []want{invalid("spec.resources.memory")}},
		{name: "memory 256Mi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("256Mi") }},
		{name: "memory 256Mi in bytes", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("268435456") }},
		{name: "memory 0.5Gi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("0.5Gi") }},
		{name: "memory 256Gi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("256Gi") }},
		{name: "memory 257Gi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("257Gi") }, expect: []want{invalid("spec.resources.memory")}},
		{name: "memory 1Ti", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("1Ti") }, expect: []want{invalid("spec.resources.memory")}},
		{name: "memory unset", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = resource.Quantity{} }, expect: []want{invalid("spec.resources.memory")}},

		// spec.image
		{name: "image empty", tweak: func(js *cicd.JenkinsService) { js.Spec.Image = "" }, expect: []want{required("spec.image")}},
		{name: "image invalid", tweak: func(js *cicd.JenkinsService) { js.Spec.Image = "Not A Valid/Image!!" }, expect: []want{invalid("spec.image")}},
		{name: "image with registry and digest", tweak: func(js *cicd.JenkinsService) {
			js.Spec.Image = "registry:5000/team/jenkins@sha256:" + digest64
		}},

		// status.observedGeneration
		{name: "observedGeneration -1", tweak: func(js *cicd.JenkinsService) { js.Status.ObservedGeneration = -1 }, expect: []want{invalid("status.observedGeneration")}},
		{name: "observedGeneration 0", tweak: func(js *cicd.JenkinsService) { js.Status.ObservedGeneration = 0 }},

		// status.conditions
		{name: "no conditions", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions = nil }},
		{name: "approved unknown", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = metav1.ConditionUnknown }},
		{name: "denied", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = metav1.ConditionFalse }},
		{name: "condition type missing", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Type = "" },
			expect: []want{required("status.conditions[1].type")}},
		{name: "condition type invalid", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Type = "not a type" },
			expect: []want{invalid("status.conditions[1].type")}},
		{name: "condition status missing", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = "" },
			expect: []want{required("status.conditions[0].status")}},
		{name: "condition status not supported", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].Status = "Maybe" },
			expect: []want{{field.ErrorTypeNotSupported, "status.conditions[0].status"}}},
		{name: "condition reason missing", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Reason = "" },
			expect: []want{required("status.conditions[1].reason")}},
		{name: "condition reason invalid", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Reason = "not a reason" },
			expect: []want{invalid("status.conditions[1].reason")}},
		{name: "condition message too long", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].Message = strings.Repeat("x", 32*1024+1) },
			expect: []want{{field.ErrorTypeTooLong, "status.conditions[1].message"}}},
		{name: "condition without lastTransitionTime", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].LastTransitionTime = metav1.Time{} },
			expect: []want{required("status.conditions[0].lastTransitionTime")}},
		{name: "condition observedGeneration -1", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[1].ObservedGeneration = -1 },
			expect: []want{invalid("status.conditions[1].observedGeneration")}},
		{name: "two Approved conditions", tweak: func(js *cicd.JenkinsService) {
			js.Status.Conditions = append(js.Status.Conditions, condition(cicd.ConditionApproved, metav1.ConditionFalse, "DeniedByAdmin"))
		}, expect: []want{duplicate("status.conditions[2]")}},
		{name: "three Ready conditions", tweak: func(js *cicd.JenkinsService) {
			ready := js.Status.Conditions[1]
			js.Status.Conditions = append(js.Status.Conditions, ready, ready)
		}, expect: []want{duplicate("status.conditions[2]"), duplicate("status.conditions[3]")}},
		{name: "32 conditions", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions = manyConditions(32) }},
		{name: "33 conditions", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions = manyConditions(33) },
			expect: []want{{field.ErrorTypeTooMany, "status.conditions"}}},

		// status.instances
		{name: "no instances", tweak: func(js *cicd.JenkinsService) { js.Status.Instances = nil }},
		{name: "instance cpu -1", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].CPU = quantity("-1") },
			expect: []want{invalid("status.instances[1].cpu")}},
		{name: "instance cpu 0", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].CPU = quantity("0") }},
		{name: "instance cpu 250m", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].CPU = quantity("250m") }},
		{name: "instance names empty", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[0].Name, js.Status.Instances[1].Name = "", "" }},
		{name: "instance name a subdomain", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[0].Name = "ci-0.team-a" }},
		{name: "instance name invalid", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].Name = "Instance 1" },
			expect: []want{invalid("status.instances[1].name")}},
		{name: "instance names duplicate", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].Name = "ci-0" },
			expect: []want{duplicate("status.instances[1].name")}},
		{name: "200 instances", tweak: func(js *cicd.JenkinsService) { js.Status.Instances = make([]cicd.JenkinsServerInstance, 200) }},
		{name: "201 instances", tweak: func(js *cicd.JenkinsService) { js.Status.Instances = make([]cicd.JenkinsServerInstance, 201) },
			expect: []want{{field.ErrorTypeTooMany, "status.instances"}}},

		{name: "everything wrong at once", tweak: func(js *cicd.JenkinsService) {
			js.Name = ""
			js.Spec = cicd.JenkinsServiceSpec{Replicas: 101, Image: "UPPER"}
			js.Status.ObservedGeneration = -1
		}, expect: []want{
			required("metadata.name"), invalid("spec.replicas"), invalid("spec.resources.cpu"),
			invalid("spec.resources.memory"), invalid("spec.image"), invalid("status.observedGeneration"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js := validService()
			tc.tweak(js)
			before := js.DeepCopy()
			assertErrors(t, ValidateJenkinsService(js), tc.expect...)
			if !reflect.DeepEqual(before, js) {
				t.Errorf("validation modified the object")
			}
		})
	}
}

func manyConditions(n int) []metav1.Condition {
	out := make([]metav1.Condition, n)
	for i := range out {
		out[i] = condition(fmt.Sprintf("Type%d", i), metav1.ConditionTrue, "Reason")
	}
	return out
}

func TestValidateImageReference(t *testing.T) {
	valid := []string{
		"jenkins",
		"jenkins/jenkins",
		"jenkins/jenkins:lts",
		"jenkins/jenkins:2.462.3-lts",
		"jenkins/jenkins:LTS_jdk21",
		"jenkins/jenkins:_",
		"jenkins/jenkins:" + strings.Repeat("a", 128),
		"registry:5000/team/jenkins@sha256:" + digest64,
		"registry:5000/team/jenkins:2.462.3-lts@sha256:" + digest64,
		"registry.example.com/team/ci/jenkins",
		"docker.io/library/jenkins:latest",
		"localhost/jenkins",
		"localhost:5000/jenkins:lts",
		"10.0.0.1:5000/ci/jenkins",
		"[::1]:5000/ci/jenkins:lts",
		"[fe80::1]/jenkins",
		"My-Registry.example.com/jenkins", // domain components may be upper case
		"registry:5000",                   // repository "registry", tag "5000"
		"team/jenkins_agent",
		"team/jenkins__agent",
		"team/jenkins---agent",
		"team/jenkins.agent",
		"a0/b1/c2/d3",
		"jenkins@sha384:" + strings.Repeat("ab", 48),
		"jenkins@sha512:" + strings.Repeat("cd", 64),
		strings.Repeat("a", 255),
		strings.Repeat("a", 255) + ":lts",
	}
	for _, image := range valid {
		if errs := ValidateImageReference(image, field.NewPath("spec", "image")); len(errs) != 0 {
			t.Errorf("%q: unexpected errors: %v", image, errs)
		}
	}

	invalidImages := []string{
		"Not A Valid/Image!!",
		"JENKINS",
		"jenkins/Jenkins",
		" jenkins",
		"jenkins ",
		"jenkins/jenkins:lts ",
		"jenkins:",
		"jenkins:-lts",
		"jenkins:.lts",
		"jenkins:l/ts",
		"jenkins:" + strings.Repeat("a", 129),
		"jenkins:lts:extra",
		"/jenkins",
		"jenkins/",
		"jenkins//jenkins",
		"team/_jenkins",
		"team/jenkins_",
		"team/jenkins._agent",
		"team/jenkins___agent",
		"-registry/jenkins",
		"registry:port/jenkins",
		"registry:5000/",
		"jenkins@",
		"jenkins@sha256",
		"jenkins@sha256:",
		"jenkins@sha256:abc",
		"jenkins@sha256:" + digest64[:63],
		"jenkins@sha256:" + digest64 + "0",
		"jenkins@sha256:" + strings.ToUpper(digest64),
		"jenkins@md5:" + digest64,
		"jenkins@sha256:" + digest64 + "@sha256:" + digest64,
		"jenkins@sha256:" + strings.Repeat("g", 64),
		"@sha256:" + digest64,
		":lts",
		strings.Repeat("a", 256),
		"registry.example.com/" + strings.Repeat("a", 240),
	}
	for _, image := range invalidImages {
		errs := ValidateImageReference(image, field.NewPath("spec", "image"))
		if len(errs) == 0 {
			t.Errorf("%q: expected an error", image)
			continue
		}
		for _, e := range errs {
			if e.Type != field.ErrorTypeInvalid || e.Field != "spec.image" || e.BadValue != image {
				t.Errorf("%q: unexpected error %#v", image, e)
			}
		}
	}

	errs := ValidateImageReference("", field.NewPath("spec", "image"))
	assertErrors(t, errs, required("spec.image"))
}

func TestValidateJenkinsServiceUpdate(t *testing.T) {
	tests := []struct {
		name   string
		tweak  func(*cicd.JenkinsService)
		expect []want
	}{
		{name: "unchanged", tweak: func(*cicd.JenkinsService) {}},
		{name: "spec change", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 0; js.Spec.Image = "registry:5000/jenkins:lts" }},
		{name: "name change", tweak: func(js *cicd.JenkinsService) { js.Name = "other" }, expect: []want{invalid("metadata.name")}},
		{name: "namespace change", tweak: func(js *cicd.JenkinsService) { js.Namespace = "team-b" }, expect: []want{invalid("metadata.namespace")}},
		{name: "resourceVersion missing", tweak: func(js *cicd.JenkinsService) { js.ResourceVersion = "" }, expect: []want{invalid("metadata.resourceVersion")}},
		{name: "generation decremented", tweak: func(js *cicd.JenkinsService) { js.Generation = 2 }, expect: []want{invalid("metadata.generation")}},
		{name: "finalizer invalid", tweak: func(js *cicd.JenkinsService) { js.Finalizers = []string{"not a finalizer"} }, expect: []want{invalid("metadata.finalizers")}},
		{name: "replicas 101", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 101 }, expect: []want{invalid("spec.replicas")}},
		{name: "memory 255Mi", tweak: func(js *cicd.JenkinsService) { js.Spec.Resources.Memory = quantity("255Mi") }, expect: []want{invalid("spec.resources.memory")}},
		{name: "invalid status", tweak: func(js *cicd.JenkinsService) { js.Status.ObservedGeneration = -1 }, expect: []want{invalid("status.observedGeneration")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validService()
			js := old.DeepCopy()
			tc.tweak(js)
			assertErrors(t, ValidateJenkinsServiceUpdate(js, old), tc.expect...)
		})
	}
}

func TestValidateJenkinsServiceStatusUpdate(t *testing.T) {
	tests := []struct {
		name   string
		tweak  func(*cicd.JenkinsService)
		expect []want
	}{
		{name: "unchanged", tweak: func(*cicd.JenkinsService) {}},
		{name: "approval change", tweak: func(js *cicd.JenkinsService) {
			js.Status.Conditions[0] = condition(cicd.ConditionApproved, metav1.ConditionFalse, "DeniedByAdmin")
		}},
		{name: "spec is not validated", tweak: func(js *cicd.JenkinsService) { js.Spec.Replicas = 101; js.Spec.Image = "" }},
		{name: "name change", tweak: func(js *cicd.JenkinsService) { js.Name = "other" }, expect: []want{invalid("metadata.name")}},
		{name: "resourceVersion missing", tweak: func(js *cicd.JenkinsService) { js.ResourceVersion = "" }, expect: []want{invalid("metadata.resourceVersion")}},
		{name: "approval without time", tweak: func(js *cicd.JenkinsService) { js.Status.Conditions[0].LastTransitionTime = metav1.Time{} },
			expect: []want{required("status.conditions[0].lastTransitionTime")}},
		{name: "instance names duplicate", tweak: func(js *cicd.JenkinsService) { js.Status.Instances[1].Name = "ci-0" },
			expect: []want{duplicate("status.instances[1].name")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validService()
			js := old.DeepCopy()
			tc.tweak(js)
			assertErrors(t, ValidateJenkinsServiceStatusUpdate(js, old), tc.expect...)
		})
	}
}

// TestConditionErrorsNameTheType checks that errors about a condition name its
// type: the list is keyed by type.
func TestConditionErrorsNameTheType(t *testing.T) {
	js := validService()
	js.Status.Conditions[0].Reason = "not a reason"
	js.Status.Conditions[1].Status = ""
	errs := ValidateJenkinsServiceStatus(&js.Status, field.NewPath("status"))
	if len(errs) != 2 {
		t.Fatalf("want 2 errors, got %v", errs)
	}
	if want := `status.conditions[0].reason: Invalid value: "not a reason": condition "Approved": a condition reason must start`; !strings.HasPrefix(errs[0].Error(), want) {
		t.Errorf("got %q, want it to start with %q", errs[0].Error(), want)
	}
	if want := `status.conditions[1].status: Required value: condition "Ready"`; errs[1].Error() != want {
		t.Errorf("got %q, want %q", errs[1].Error(), want)
	}
}

func TestParseImageReference(t *testing.T) {
	for image, want := range map[string]ImageReference{
		"jenkins":                          {Name: "jenkins"},
		"jenkins/jenkins:lts":              {Name: "jenkins/jenkins", Tag: "lts", HasTag: true},
		"registry:5000/team/jenkins":       {Name: "registry:5000/team/jenkins"},
		"registry:5000/team/jenkins:2.4":   {Name: "registry:5000/team/jenkins", Tag: "2.4", HasTag: true},
		"jenkins:":                         {Name: "jenkins", HasTag: true},
		"jenkins:lts@sha256:abc":           {Name: "jenkins", Tag: "lts", HasTag: true, Digest: "sha256:abc", HasDigest: true},
		"registry:5000/jenkins@sha256:abc": {Name: "registry:5000/jenkins", Digest: "sha256:abc", HasDigest: true},
		"":                                 {},
	} {
		if got := ParseImageReference(image); got != want {
			t.Errorf("ParseImageReference(%q) = %+v, want %+v", image, got, want)
		}
	}
}
