// Package cicdtest builds JenkinsService objects for tests.
package cicdtest

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Service is a valid hub JenkinsService name in namespace team-a, requested
// by alice, approved at when and with one of its two instances running, and
// with what only v1beta can show (a fractional CPU, 4Gi, a pinned image,
// conditions, instance CPUs). Tests change what they need on top.
func Service(name string, when metav1.Time) *cicd.JenkinsService {
	return &cicd.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "team-a", Generation: 3,
			Labels:      map[string]string{"team": "a"},
			Annotations: map[string]string{cicd.AnnotationRequestedBy: "alice"},
		},
		Spec: cicd.JenkinsServiceSpec{
			Replicas:  2,
			Resources: cicd.JenkinsServiceResources{CPU: resource.MustParse("1500m"), Memory: resource.MustParse("4Gi")},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
		Status: cicd.JenkinsServiceStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{
				{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", Message: "approved for the release train", LastTransitionTime: when, ObservedGeneration: 3},
				{Type: cicd.ConditionReady, Status: metav1.ConditionFalse, Reason: "Provisioning", Message: "1 of 2 instances running", LastTransitionTime: when},
			},
			Instances: []cicd.JenkinsServerInstance{
				{Name: name + "-0", CPU: resource.MustParse("1500m"), Running: true},
				{Name: name + "-1", CPU: resource.MustParse("1500m")},
			},
		},
	}
}
