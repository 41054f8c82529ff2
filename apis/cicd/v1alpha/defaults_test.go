package v1alpha_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func TestDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	cases := []struct {
		name        string
		in          v1alpha.JenkinsService
		amount, cpu int32
	}{
		{name: "unset", amount: 1, cpu: 1},
		{name: "set", in: v1alpha.JenkinsService{Spec: v1alpha.JenkinsServiceSpec{InstanceAmount: 4, InstanceCpu: 8}}, amount: 4, cpu: 8},
		{name: "instancecpu 0 means unset", in: v1alpha.JenkinsService{Spec: v1alpha.JenkinsServiceSpec{InstanceAmount: 2}}, amount: 2, cpu: 1},
		{
			name:   "instanceamount 0 stays 0 when the preserved data says scaled to zero",
			in:     v1alpha.JenkinsService{},
			amount: 0, cpu: 1,
		},
		{
			name:   "other preserved data does not keep 0",
			amount: 1, cpu: 1,
		},
	}
	cases[3].in.Annotations = map[string]string{cicd.AnnotationPreservedSpec: `{"replicas":0}`}
	cases[4].in.Annotations = map[string]string{cicd.AnnotationPreservedSpec: `{"memory":"4Gi"}`}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := c.in.DeepCopy()
			scheme.Default(obj)
			if obj.Spec.InstanceAmount != c.amount || obj.Spec.InstanceCpu != c.cpu {
				t.Errorf("got instanceamount %d instancecpu %d, want %d and %d",
					obj.Spec.InstanceAmount, obj.Spec.InstanceCpu, c.amount, c.cpu)
			}
		})
	}
}
