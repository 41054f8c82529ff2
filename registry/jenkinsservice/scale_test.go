package jenkinsservice

import (
	"context"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	scalescheme "k8s.io/client-go/scale/scheme"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func TestScaleOf(t *testing.T) {
	tests := []struct {
		name        string
		instances   []bool // running, per instance
		wantRunning int32
	}{
		{"no instances", nil, 0},
		{"none running", []bool{false, false}, 0},
		{"one of two", []bool{true, false}, 1},
		{"all", []bool{true, true, true}, 3},
		{"more instances than replicas", []bool{true, true, false, true}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js := stored()
			js.Status.Instances = nil
			for _, running := range tc.instances {
				js.Status.Instances = append(js.Status.Instances, cicd.JenkinsServerInstance{Running: running})
			}
			scale := scaleOf(js)
			if scale.Spec.Replicas != 2 || scale.Status.Replicas != tc.wantRunning || !apiequality.Semantic.DeepEqual(scale.Status.Selector, cicd.InstanceSelector("ci")) {
				t.Errorf("scale = spec %d, status %d, selector %v; want 2, %d, the instances' selector", scale.Spec.Replicas, scale.Status.Replicas, scale.Status.Selector, tc.wantRunning)
			}
			if scale.Name != "ci" || scale.Namespace != "team-a" || scale.UID != "uid-1" || scale.ResourceVersion != "10" || !scale.CreationTimestamp.Equal(&js.CreationTimestamp) {
				t.Errorf("scale metadata = %+v", scale.ObjectMeta)
			}
		})
	}
}

// The Scale a client reads is autoscaling/v1, with the instances' selector as a
// string, as an HPA reads it.
func TestScaleServedAsAutoscalingV1(t *testing.T) {
	var r ScaleREST
	for _, gv := range []schema.GroupVersion{v1alpha.SchemeGroupVersion, {Group: cicd.GroupName, Version: "v1beta"}} {
		if got := r.GroupVersionKind(gv); got != autoscalingv1.SchemeGroupVersion.WithKind("Scale") {
			t.Errorf("GroupVersionKind(%v) = %v", gv, got)
		}
	}
	out, err := testScheme.ConvertToVersion(scaleOf(stored()), autoscalingv1.SchemeGroupVersion)
	if err != nil {
		t.Fatal(err)
	}
	v1 := out.(*autoscalingv1.Scale)
	if v1.Spec.Replicas != 2 || v1.Status.Replicas != 1 || v1.Status.Selector != "app.kubernetes.io/instance=ci,app.kubernetes.io/name=jenkins" {
		t.Errorf("autoscaling/v1 Scale = %+v", v1)
	}
	back := &scalescheme.Scale{}
	v1.Spec.Replicas = 5
	if err := testScheme.Convert(v1, back, nil); err != nil || back.Spec.Replicas != 5 {
		t.Errorf("autoscaling/v1 -> internal: %+v, %v", back, err)
	}
}

// setReplicas is the request of a client that sets spec.replicas of the Scale it
// is given, as a PUT with the body's resourceVersion would.
type setReplicas struct {
	replicas        int32
	resourceVersion string
	wrongUID        bool
}

func (s setReplicas) Preconditions() *metav1.Preconditions { return nil }

func (s setReplicas) UpdatedObject(_ context.Context, old runtime.Object) (runtime.Object, error) {
	scale := old.(*scalescheme.Scale).DeepCopy()
	scale.Spec.Replicas = s.replicas
	if s.resourceVersion != "" {
		scale.ResourceVersion = s.resourceVersion
	}
	if s.wrongUID {
		scale.UID = "wrong"
	}
	return scale, nil
}

func TestScaleUpdatedObject(t *testing.T) {
	tests := []struct {
		name     string
		existing *cicd.JenkinsService
		req      setReplicas
		wantErr  func(error) bool
		wantRV   string
	}{
		{name: "scale up", existing: stored(), req: setReplicas{replicas: 5}, wantRV: "10"},
		{name: "scale to zero", existing: stored(), req: setReplicas{replicas: 0}, wantRV: "10"},
		{name: "resourceVersion of the body moves to the object", existing: stored(), req: setReplicas{replicas: 3, resourceVersion: "7"}, wantRV: "7"},
		{name: "too many", existing: stored(), req: setReplicas{replicas: 101}, wantErr: apierrors.IsInvalid},
		{name: "negative", existing: stored(), req: setReplicas{replicas: -1}, wantErr: apierrors.IsInvalid},
		{name: "missing", existing: &cicd.JenkinsService{}, req: setReplicas{replicas: 3}, wantErr: apierrors.IsNotFound},
		{name: "uid mismatch", existing: stored(), req: setReplicas{replicas: 3, wrongUID: true}, wantErr: apierrors.IsConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := &scaleUpdatedObjectInfo{name: "ci", reqObjInfo: tc.req}
			existing := tc.existing.DeepCopy()
			obj, err := info.UpdatedObject(ctxFor("v1alpha"), existing)
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("err = %v", err)
				}
				if apierrors.IsInvalid(err) {
					details := err.(apierrors.APIStatus).Status().Details
					if details.Group != "autoscaling" || details.Kind != "Scale" || len(details.Causes) == 0 || details.Causes[0].Field != "spec.replicas" {
						t.Errorf("invalid error not about the Scale's spec.replicas: %+v", details)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			js := obj.(*cicd.JenkinsService)
			want := tc.existing.DeepCopy()
			want.Spec.Replicas = tc.req.replicas
			want.ResourceVersion = tc.wantRV
			want.ManagedFields = js.ManagedFields
			if !equalObjects(want, js) {
				t.Errorf("object = %+v, want %+v", js, want)
			}
			if !equalObjects(existing, tc.existing) {
				t.Errorf("existing object modified")
			}
		})
	}
}

func equalObjects(a, b runtime.Object) bool {
	return apiequality.Semantic.DeepEqual(a, b)
}
