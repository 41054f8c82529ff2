package v1alpha_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/cicdtest"
	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

var codecs = func() serializer.CodecFactory {
	s := runtime.NewScheme()
	install.Install(s)
	return serializer.NewCodecFactory(s)
}()

var when = metav1.Date(2026, 11, 23, 8, 0, 0, 0, metav1.Now().UTC().Location())

// hubService is a valid hub object with everything v1alpha cannot show.
func hubService() *cicd.JenkinsService {
	hub := cicdtest.Service("ci", when)
	hub.Spec.Replicas = 0
	return hub
}

// serve encodes a hub object as the server answers a client pinned to version.
func serve(t *testing.T, hub *cicd.JenkinsService, version schema.GroupVersion) []byte {
	t.Helper()
	before := hub.DeepCopy()
	b, err := runtime.Encode(codecs.LegacyCodec(version), hub)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !apiequality.Semantic.DeepEqual(before, hub) {
		t.Fatalf("encoding changed the hub object:\n%s", cmp.Diff(before, hub))
	}
	return b
}

// receive decodes a client's body (defaulting, conversion) into the hub.
func receive(t *testing.T, body []byte) *cicd.JenkinsService {
	t.Helper()
	obj, err := runtime.Decode(codecs.UniversalDecoder(cicd.SchemeGroupVersion), body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return obj.(*cicd.JenkinsService)
}

func receiveErr(body []byte) error {
	_, err := runtime.Decode(codecs.UniversalDecoder(cicd.SchemeGroupVersion), body)
	return err
}

// edit changes a JSON body as a client would: f gets the decoded document.
func edit(t *testing.T, body []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func field(doc map[string]any, path ...string) map[string]any {
	m := doc
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m
}

func asAlpha(t *testing.T, hub *cicd.JenkinsService) *v1alpha.JenkinsService {
	t.Helper()
	obj, err := runtime.Decode(codecs.UniversalDeserializer(), serve(t, hub, v1alpha.SchemeGroupVersion))
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*v1alpha.JenkinsService)
}

func mustEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(want, got) {
		t.Errorf("%s (-want +got):\n%s", what, cmp.Diff(want, got))
	}
}

// One case per row of API.md's conversion table, in both directions.
func TestConversionTable(t *testing.T) {
	t.Run("instanceamount is replicas", func(t *testing.T) {
		hub := hubService()
		hub.Spec.Replicas = 3
		if got := asAlpha(t, hub).Spec.InstanceAmount; got != 3 {
			t.Errorf("replicas 3 shows as instanceamount %d", got)
		}
		got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"instanceamount":5}}`))
		if got.Spec.Replicas != 5 {
			t.Errorf("instanceamount 5 gives replicas %d", got.Spec.Replicas)
		}
	})
	t.Run("instancecpu is cpu rounded up", func(t *testing.T) {
		for cpu, want := range map[string]int32{"1500m": 2, "250m": 1, "1": 1, "2": 2, "64": 64, "2001m": 3} {
			hub := hubService()
			hub.Spec.Resources.CPU = resource.MustParse(cpu)
			if got := asAlpha(t, hub).Spec.InstanceCpu; got != want {
				t.Errorf("cpu %s shows as instancecpu %d, want %d", cpu, got, want)
			}
		}
		got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"instancecpu":3}}`))
		mustEqual(t, "instancecpu 3", resource.MustParse("3"), got.Spec.Resources.CPU)
	})
	t.Run("memory and image are not in v1alpha", func(t *testing.T) {
		body := serve(t, hubService(), v1alpha.SchemeGroupVersion)
		if strings.Contains(string(body), `"memory"`) && !strings.Contains(string(body), cicd.AnnotationPreservedSpec) {
			t.Errorf("v1alpha body shows memory outside the preservation annotation: %s", body)
		}
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		spec := field(doc, "spec")
		if len(spec) != 1 || spec["instancecpu"] == nil {
			t.Errorf("v1alpha spec holds %v, want only instancecpu (instanceamount 0 is omitted)", spec)
		}
		// A v1alpha object that never saw v1beta data gets the v1beta defaults.
		got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"instanceamount":2,"instancecpu":2}}`))
		mustEqual(t, "memory", resource.MustParse("2Gi"), got.Spec.Resources.Memory)
		if got.Spec.Image != "jenkins/jenkins:lts" {
			t.Errorf("image %q, want the default", got.Spec.Image)
		}
	})
	t.Run("approvalstatus is the Approved condition", func(t *testing.T) {
		for status, want := range map[metav1.ConditionStatus]v1alpha.ApprovalStatus{
			metav1.ConditionTrue: "Approved", metav1.ConditionFalse: "Denied", metav1.ConditionUnknown: "Pending",
		} {
			hub := hubService()
			hub.Status.Conditions[0].Status = status
			if got := asAlpha(t, hub).Status.ApprovalStatus; got != want {
				t.Errorf("Approved=%s shows as %q, want %q", status, got, want)
			}
		}
		hub := hubService()
		hub.Status.Conditions = hub.Status.Conditions[1:]
		if got := asAlpha(t, hub).Status.ApprovalStatus; got != "Pending" {
			t.Errorf("no Approved condition shows as %q, want Pending", got)
		}
		for value, want := range map[string]metav1.ConditionStatus{"Approved": metav1.ConditionTrue, "Denied": metav1.ConditionFalse} {
			got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"status":{"approvalstatus":"`+value+`"}}`))
			if len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Type != "Approved" || got.Status.Conditions[0].Status != want {
				t.Errorf("approvalstatus %s gives conditions %+v", value, got.Status.Conditions)
			}
		}
		got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"status":{"approvalstatus":"Pending"}}`))
		if len(got.Status.Conditions) != 0 {
			t.Errorf("approvalstatus Pending gives conditions %+v, want none", got.Status.Conditions)
		}
		// An unsupported value converts (validation refuses it with a 422 where
		// it is applied) to a condition no validation accepts and storage refuses.
		got = receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"status":{"approvalstatus":"Maybe"}}`))
		if err := v1alpha.UnsupportedApproval(got.Status.Conditions); err == nil || !strings.Contains(err.Error(), `status.approvalstatus: Unsupported value: "Maybe"`) {
			t.Errorf("approvalstatus Maybe: conditions %+v, UnsupportedApproval %v", got.Status.Conditions, err)
		}
	})
	t.Run("other conditions and observedGeneration are not in v1alpha", func(t *testing.T) {
		alpha := asAlpha(t, hubService())
		body, _ := json.Marshal(alpha.Status)
		if strings.Contains(string(body), "Ready") || strings.Contains(string(body), "observedGeneration") {
			t.Errorf("v1alpha status shows v1beta-only data: %s", body)
		}
	})
	t.Run("instance cpu rounded up, names not in v1alpha", func(t *testing.T) {
		alpha := asAlpha(t, hubService())
		want := []v1alpha.JenkinsServerInstance{{Cpu: 2, Running: true}, {Cpu: 2}}
		mustEqual(t, "instances", want, alpha.Status.Instances)
		got := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"status":{"instances":[{"cpu":4,"running":true}]}}`))
		mustEqual(t, "instances from v1alpha", []cicd.JenkinsServerInstance{{CPU: resource.MustParse("4"), Running: true}}, got.Status.Instances)
	})
}

// The round-trip rules of API.md.
func TestRoundTripRules(t *testing.T) {
	t.Run("1: hub → v1alpha → hub and hub → v1beta → hub lose nothing", func(t *testing.T) {
		for _, gv := range []schema.GroupVersion{v1alpha.SchemeGroupVersion, v1beta.SchemeGroupVersion} {
			mustEqual(t, gv.String(), hubService(), receive(t, serve(t, hubService(), gv)))
		}
	})
	t.Run("1: preservation annotations are never visible through v1beta nor stored", func(t *testing.T) {
		body := serve(t, hubService(), v1beta.SchemeGroupVersion)
		if strings.Contains(string(body), "preserved-") {
			t.Errorf("v1beta body shows preservation annotations: %s", body)
		}
		// A v1beta client that copied them from a v1alpha body does not get them stored.
		alphaBody := serve(t, hubService(), v1alpha.SchemeGroupVersion)
		betaBody := edit(t, serve(t, hubService(), v1beta.SchemeGroupVersion), func(doc map[string]any) {
			var alpha map[string]any
			_ = json.Unmarshal(alphaBody, &alpha)
			field(doc, "metadata")["annotations"] = field(alpha, "metadata", "annotations")
		})
		got := receive(t, betaBody)
		for k := range got.Annotations {
			if cicd.IsPreservationAnnotation(k) {
				t.Errorf("hub from v1beta holds %s", k)
			}
		}
		if got.Annotations[cicd.AnnotationRequestedBy] != "alice" {
			t.Errorf("requested-by lost: %v", got.Annotations)
		}
		// The hub from v1alpha holds none either.
		for k := range receive(t, alphaBody).Annotations {
			if cicd.IsPreservationAnnotation(k) {
				t.Errorf("hub from v1alpha holds %s", k)
			}
		}
	})
	t.Run("1: requested-by is an ordinary annotation in both versions", func(t *testing.T) {
		if asAlpha(t, hubService()).Annotations[cicd.AnnotationRequestedBy] != "alice" {
			t.Error("v1alpha does not show requested-by")
		}
		if !strings.Contains(string(serve(t, hubService(), v1beta.SchemeGroupVersion)), cicd.AnnotationRequestedBy) {
			t.Error("v1beta does not show requested-by")
		}
	})
	t.Run("2: a v1alpha write-back of an unchanged object changes nothing v1beta sees", func(t *testing.T) {
		want := hubService()
		got := receive(t, serve(t, want, v1alpha.SchemeGroupVersion))
		mustEqual(t, "v1beta view after v1alpha write-back", serve(t, want, v1beta.SchemeGroupVersion), serve(t, got, v1beta.SchemeGroupVersion))
		mustEqual(t, "hub", want, got)
	})
	t.Run("2: kubectl edit through v1alpha that changes only labels", func(t *testing.T) {
		body := edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "metadata", "labels")["stage"] = "prod"
		})
		want := hubService()
		want.Labels["stage"] = "prod"
		mustEqual(t, "hub", want, receive(t, body))
	})
	t.Run("3: a changed instancecpu wins over the preserved cpu", func(t *testing.T) {
		body := edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "spec")["instancecpu"] = 3
		})
		got := receive(t, body)
		mustEqual(t, "cpu", resource.MustParse("3"), got.Spec.Resources.CPU)
		mustEqual(t, "memory stays", resource.MustParse("4Gi"), got.Spec.Resources.Memory)
		// Rounding down below the preserved value is a change too.
		body = edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "spec")["instancecpu"] = 1
		})
		mustEqual(t, "cpu", resource.MustParse("1"), receive(t, body).Spec.Resources.CPU)
	})
	t.Run("3: a changed instance cpu wins, names stay", func(t *testing.T) {
		body := edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "status")["instances"].([]any)[1].(map[string]any)["cpu"] = 8
		})
		got := receive(t, body).Status.Instances
		want := []cicd.JenkinsServerInstance{
			{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true},
			{Name: "ci-1", CPU: resource.MustParse("8")},
		}
		mustEqual(t, "instances", want, got)
	})
	t.Run("3: a changed approvalstatus replaces only the Approved condition", func(t *testing.T) {
		body := edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "status")["approvalstatus"] = "Denied"
		})
		got := receive(t, body).Status.Conditions
		if len(got) != 2 || got[0].Type != "Approved" || got[0].Status != metav1.ConditionFalse || !got[0].LastTransitionTime.IsZero() {
			t.Errorf("Approved after Denied through v1alpha: %+v (the server stamps the time)", got)
		}
		mustEqual(t, "Ready condition", hubService().Status.Conditions[1], got[1])
	})
	t.Run("4: a v1alpha write-back leaves the spec equal, so generation need not move", func(t *testing.T) {
		want := hubService()
		got := receive(t, edit(t, serve(t, want, v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "metadata", "labels")["x"] = "y"
		}))
		mustEqual(t, "spec", want.Spec, got.Spec)
	})
	t.Run("5: scaled to zero", func(t *testing.T) {
		hub := hubService() // replicas 0
		body := serve(t, hub, v1alpha.SchemeGroupVersion)
		if strings.Contains(string(body), "instanceamount") {
			t.Errorf("replicas 0 shows instanceamount: %s", body)
		}
		if got := receive(t, body).Spec.Replicas; got != 0 {
			t.Errorf("write-back of a scaled-to-zero object gives replicas %d", got)
		}
		one := edit(t, body, func(doc map[string]any) { field(doc, "spec")["instanceamount"] = 1 })
		if got := receive(t, one).Spec.Replicas; got != 1 {
			t.Errorf("instanceamount 1 gives replicas %d", got)
		}
		fresh := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"spec":{}}`))
		if fresh.Spec.Replicas != 1 {
			t.Errorf("a new v1alpha object without instanceamount gets replicas %d, want 1", fresh.Spec.Replicas)
		}
		mustEqual(t, "instancecpu 0 defaults to 1", resource.MustParse("1"), fresh.Spec.Resources.CPU)
	})
	t.Run("6: a new object reads Pending", func(t *testing.T) {
		hub := hubService()
		hub.Status = cicd.JenkinsServiceStatus{}
		if got := asAlpha(t, hub).Status.ApprovalStatus; got != v1alpha.ApprovalPending {
			t.Errorf("approvalstatus %q, want Pending", got)
		}
	})
	t.Run("a plain v1alpha object carries no preservation annotation", func(t *testing.T) {
		hub := receive(t, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"instanceamount":2,"instancecpu":2}}`))
		if a := asAlpha(t, hub).Annotations; len(a) != 0 {
			t.Errorf("annotations %v, want none", a)
		}
	})
	t.Run("a malformed preservation annotation is a clear error", func(t *testing.T) {
		body := edit(t, serve(t, hubService(), v1alpha.SchemeGroupVersion), func(doc map[string]any) {
			field(doc, "metadata", "annotations")[cicd.AnnotationPreservedSpec] = "{not json"
		})
		if err := receiveErr(body); err == nil || !strings.Contains(err.Error(), cicd.AnnotationPreservedSpec) {
			t.Errorf("got %v, want an error naming the annotation", err)
		}
	})
}

// A quantity keeps its text through v1alpha, not just its value.
func TestMemoryTextSurvivesV1alpha(t *testing.T) {
	hub := hubService()
	hub.Spec.Resources.Memory = resource.MustParse("2147483648") // 2Gi, in bytes
	beta := func(h *cicd.JenkinsService) string {
		return string(serve(t, h, v1beta.SchemeGroupVersion))
	}
	want := beta(hub)
	if got := beta(receive(t, serve(t, hub, v1alpha.SchemeGroupVersion))); got != want {
		t.Errorf("v1beta body after a v1alpha write-back:\n got %s\nwant %s", got, want)
	}
}
