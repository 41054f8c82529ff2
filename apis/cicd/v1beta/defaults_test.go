package v1beta_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

func q(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
func i32(v int32) *int32            { return &v }

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	cases := []struct {
		name       string
		spec, want v1beta.JenkinsServiceSpec
	}{{
		name: "all unset",
		want: v1beta.JenkinsServiceSpec{
			Replicas:  i32(1),
			Resources: v1beta.JenkinsServiceResources{CPU: q("1"), Memory: q("2Gi")},
			Image:     "jenkins/jenkins:lts",
		},
	}, {
		name: "replicas 0 is kept (scaled to zero)",
		spec: v1beta.JenkinsServiceSpec{Replicas: i32(0)},
		want: v1beta.JenkinsServiceSpec{
			Replicas:  i32(0),
			Resources: v1beta.JenkinsServiceResources{CPU: q("1"), Memory: q("2Gi")},
			Image:     "jenkins/jenkins:lts",
		},
	}, {
		name: "set values are kept",
		spec: v1beta.JenkinsServiceSpec{
			Replicas:  i32(3),
			Resources: v1beta.JenkinsServiceResources{CPU: q("1500m"), Memory: q("4Gi")},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
		want: v1beta.JenkinsServiceSpec{
			Replicas:  i32(3),
			Resources: v1beta.JenkinsServiceResources{CPU: q("1500m"), Memory: q("4Gi")},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
	}, {
		name: "an explicit cpu 0 is not unset (validation refuses it)",
		spec: v1beta.JenkinsServiceSpec{Resources: v1beta.JenkinsServiceResources{CPU: q("0")}},
		want: v1beta.JenkinsServiceSpec{
			Replicas:  i32(1),
			Resources: v1beta.JenkinsServiceResources{CPU: q("0"), Memory: q("2Gi")},
			Image:     "jenkins/jenkins:lts",
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := &v1beta.JenkinsService{Spec: c.spec}
			scheme.Default(obj)
			if !apiequality.Semantic.DeepEqual(c.want, obj.Spec) {
				t.Errorf("(-want +got):\n%s", cmp.Diff(c.want, obj.Spec))
			}
		})
	}
}
