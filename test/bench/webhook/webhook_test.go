package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

func beta() *v1beta.JenkinsService {
	return &v1beta.JenkinsService{
		TypeMeta: metav1.TypeMeta{APIVersion: "autobusi.group.cicd/v1beta", Kind: "JenkinsService"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "ci", Namespace: "team-a", UID: "u1", ResourceVersion: "7", Generation: 3,
			CreationTimestamp: metav1.Date(2026, 11, 23, 8, 0, 0, 0, metav1.Now().Location()).Rfc3339Copy(),
			Labels:            map[string]string{"app": "ci"},
			Annotations:       map[string]string{cicd.AnnotationRequestedBy: "admin"},
		},
		Spec: v1beta.JenkinsServiceSpec{
			Replicas: ptr.To[int32](0),
			Resources: v1beta.JenkinsServiceResources{
				CPU: ptr.To(resource.MustParse("1500m")), Memory: ptr.To(resource.MustParse("4Gi")),
			},
			Image: "jenkins/jenkins:2.462.3-lts",
		},
		Status: v1beta.JenkinsServiceStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{{
				Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin",
				Message: "ok", LastTransitionTime: metav1.Date(2026, 11, 23, 8, 0, 0, 0, metav1.Now().Location()).Rfc3339Copy(),
			}},
			Instances: []v1beta.JenkinsServerInstance{{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true}},
		},
	}
}

// review sends objects through the HTTP handler as kube-apiserver does.
func review(t *testing.T, c *Converter, desired string, objs ...[]byte) [][]byte {
	t.Helper()
	req := ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "ConversionReview"},
		Request:  &ConversionRequest{UID: "r1", DesiredAPIVersion: desired},
	}
	for _, o := range objs {
		req.Request.Objects = append(req.Request.Objects, o)
	}
	body, _ := json.Marshal(req)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/convert", bytes.NewReader(body)))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp ConversionReview
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Response.UID != "r1" || resp.Response.Result.Status != metav1.StatusSuccess {
		t.Fatalf("response %+v", resp.Response)
	}
	out := make([][]byte, len(resp.Response.ConvertedObjects))
	for i, o := range resp.Response.ConvertedObjects {
		out[i] = o
	}
	return out
}

func TestRoundTripThroughV1alpha(t *testing.T) {
	c := NewConverter()
	in := beta()
	raw, _ := json.Marshal(in)
	alphaJSON := review(t, c, "autobusi.group.cicd/v1alpha", raw)[0]

	var alpha v1alpha.JenkinsService
	if err := json.Unmarshal(alphaJSON, &alpha); err != nil {
		t.Fatal(err)
	}
	if alpha.APIVersion != "autobusi.group.cicd/v1alpha" || alpha.Spec.InstanceCpu != 2 || alpha.Spec.InstanceAmount != 0 ||
		alpha.Status.ApprovalStatus != v1alpha.ApprovalApproved || alpha.Status.Instances[0].Cpu != 2 {
		t.Errorf("v1alpha view: %s", alphaJSON)
	}
	if alpha.Annotations[cicd.AnnotationPreservedSpec] == "" || alpha.Annotations[cicd.AnnotationPreservedStatus] == "" {
		t.Errorf("no preservation annotations: %v", alpha.Annotations)
	}

	backJSON := review(t, c, "autobusi.group.cicd/v1beta", alphaJSON)[0]
	var back v1beta.JenkinsService
	if err := json.Unmarshal(backJSON, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, &back); diff != "" {
		t.Errorf("v1beta → v1alpha → v1beta (-want +got):\n%s", diff)
	}
	if c.Reviews.Load() != 2 || c.Objects.Load() != 2 {
		t.Errorf("counters %d %d", c.Reviews.Load(), c.Objects.Load())
	}
}

// A v1alpha client that changes instancecpu gets what it wrote.
func TestChangedFieldWins(t *testing.T) {
	c := NewConverter()
	raw, _ := json.Marshal(beta())
	alphaJSON := review(t, c, "autobusi.group.cicd/v1alpha", raw)[0]
	var alpha v1alpha.JenkinsService
	_ = json.Unmarshal(alphaJSON, &alpha)
	alpha.Spec.InstanceCpu = 3
	alphaJSON, _ = json.Marshal(&alpha)
	var back v1beta.JenkinsService
	_ = json.Unmarshal(review(t, c, "autobusi.group.cicd/v1beta", alphaJSON)[0], &back)
	if got := back.Spec.Resources.CPU.String(); got != "3" {
		t.Errorf("cpu %s, want 3", got)
	}
	if _, ok := back.Annotations[cicd.AnnotationPreservedSpec]; ok {
		t.Errorf("preservation annotation visible through v1beta: %v", back.Annotations)
	}
	if got := back.Spec.Resources.Memory.String(); got != "4Gi" {
		t.Errorf("memory %s, want 4Gi", got)
	}
}

// A new object created through v1alpha reads Pending and carries no annotations.
func TestNewV1alpha(t *testing.T) {
	c := NewConverter()
	raw := []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"a","namespace":"n"},"spec":{"instanceamount":2,"instancecpu":2}}`)
	var b v1beta.JenkinsService
	_ = json.Unmarshal(review(t, c, "autobusi.group.cicd/v1beta", raw)[0], &b)
	if *b.Spec.Replicas != 2 || b.Spec.Resources.CPU.String() != "2" || b.Spec.Resources.Memory.String() != "2Gi" || b.Spec.Image != cicd.DefaultImage {
		t.Errorf("v1beta view %+v", b.Spec)
	}
	braw, _ := json.Marshal(&b)
	var a v1alpha.JenkinsService
	_ = json.Unmarshal(review(t, c, "autobusi.group.cicd/v1alpha", braw)[0], &a)
	if a.Status.ApprovalStatus != v1alpha.ApprovalPending || len(a.Annotations) != 0 {
		t.Errorf("v1alpha view %+v %v", a.Status, a.Annotations)
	}
}
