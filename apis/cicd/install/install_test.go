package install

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

func newScheme() (*runtime.Scheme, serializer.CodecFactory) {
	s := runtime.NewScheme()
	Install(s)
	return s, serializer.NewCodecFactory(s)
}

func TestVersionPriority(t *testing.T) {
	s, _ := newScheme()
	got := s.PrioritizedVersionsForGroup(cicd.GroupName)
	want := []schema.GroupVersion{v1beta.SchemeGroupVersion, v1alpha.SchemeGroupVersion}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("version priority (-want +got):\n%s", diff)
	}
}

func q(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
func i32(v int32) *int32            { return &v }

// TestProtobufAcrossVersions encodes an object of each version with the codec
// factory's protobuf serializer and decodes it into the other version through
// the hub, as the server does for a client of the other version.
func TestProtobufAcrossVersions(t *testing.T) {
	_, codecs := newScheme()
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatalf("no serializer for %s", runtime.ContentTypeProtobuf)
	}
	when := metav1.Date(2026, 11, 23, 8, 0, 0, 0, metav1.Now().Location())

	beta := &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "team-a", Labels: map[string]string{"team": "a"}},
		Spec: v1beta.JenkinsServiceSpec{
			Replicas:  i32(2),
			Resources: v1beta.JenkinsServiceResources{CPU: q("1500m"), Memory: q("4Gi")},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
		Status: v1beta.JenkinsServiceStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{{
				Type: "Approved", Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin",
				Message: "approved for the release train", LastTransitionTime: when, ObservedGeneration: 3,
			}},
			Instances: []v1beta.JenkinsServerInstance{{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true}},
		},
	}
	alpha := &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "team-a"},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 3, InstanceCpu: 2},
		Status: v1alpha.JenkinsServiceStatus{
			ApprovalStatus: v1alpha.ApprovalDenied,
			Instances:      []v1alpha.JenkinsServerInstance{{Cpu: 2, Running: true}},
		},
	}

	encode := func(obj runtime.Object, gv schema.GroupVersion) []byte {
		t.Helper()
		b, err := runtime.Encode(codecs.EncoderForVersion(info.Serializer, gv), obj)
		if err != nil {
			t.Fatalf("encode %T: %v", obj, err)
		}
		if string(b[:4]) != "k8s\x00" {
			t.Fatalf("encoding of %T is not Kubernetes protobuf: % x", obj, b[:4])
		}
		return b
	}
	// decodeAs decodes protobuf bytes of any version to the hub, then converts the
	// hub to gv and back through protobuf, as a server answering a client pinned to gv.
	decodeAs := func(b []byte, gv schema.GroupVersion) runtime.Object {
		t.Helper()
		hub, err := runtime.Decode(codecs.DecoderToVersion(info.Serializer, cicd.SchemeGroupVersion), b)
		if err != nil {
			t.Fatalf("decode to hub: %v", err)
		}
		out, err := runtime.Decode(codecs.UniversalDeserializer(), encode(hub, gv))
		if err != nil {
			t.Fatalf("decode %s: %v", gv, err)
		}
		return out
	}

	// v1beta → hub → v1alpha: v1alpha sees rounded CPU and the approval; the rest
	// travels in the preservation annotations.
	gotAlpha := decodeAs(encode(beta, v1beta.SchemeGroupVersion), v1alpha.SchemeGroupVersion).(*v1alpha.JenkinsService)
	if gotAlpha.Spec.InstanceAmount != 2 || gotAlpha.Spec.InstanceCpu != 2 ||
		gotAlpha.Status.ApprovalStatus != v1alpha.ApprovalApproved ||
		len(gotAlpha.Status.Instances) != 1 || gotAlpha.Status.Instances[0].Cpu != 2 {
		t.Errorf("v1beta as v1alpha: got spec %+v status %+v", gotAlpha.Spec, gotAlpha.Status)
	}
	if gotAlpha.Annotations[cicd.AnnotationPreservedSpec] == "" || gotAlpha.Annotations[cicd.AnnotationPreservedStatus] == "" {
		t.Errorf("v1beta as v1alpha: preservation annotations missing: %v", gotAlpha.Annotations)
	}
	// ... and back: v1alpha protobuf → hub → v1beta is the original v1beta object.
	gotBeta := decodeAs(encode(gotAlpha, v1alpha.SchemeGroupVersion), v1beta.SchemeGroupVersion).(*v1beta.JenkinsService)
	wantBeta := beta.DeepCopy()
	wantBeta.APIVersion, wantBeta.Kind = v1beta.SchemeGroupVersion.String(), "JenkinsService"
	if !apiequality.Semantic.DeepEqual(wantBeta, gotBeta) {
		t.Errorf("v1beta → v1alpha → v1beta in protobuf changed the object (-want +got):\n%s", cmp.Diff(wantBeta, gotBeta))
	}

	// v1alpha → hub → v1beta: defaults for what v1alpha cannot say.
	gotBeta = decodeAs(encode(alpha, v1alpha.SchemeGroupVersion), v1beta.SchemeGroupVersion).(*v1beta.JenkinsService)
	wantSpec := v1beta.JenkinsServiceSpec{
		Replicas:  i32(3),
		Resources: v1beta.JenkinsServiceResources{CPU: q("2"), Memory: q("2Gi")},
		Image:     cicd.DefaultImage,
	}
	if !apiequality.Semantic.DeepEqual(wantSpec, gotBeta.Spec) {
		t.Errorf("v1alpha as v1beta: spec (-want +got):\n%s", cmp.Diff(wantSpec, gotBeta.Spec))
	}
	if c := gotBeta.Status.Conditions; len(c) != 1 || c[0].Type != cicd.ConditionApproved || c[0].Status != metav1.ConditionFalse {
		t.Errorf("v1alpha Denied as v1beta: conditions %+v", c)
	}
	if len(gotBeta.Annotations) != 0 {
		t.Errorf("v1beta shows annotations %v", gotBeta.Annotations)
	}

}
