package jenkinsservice

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
)

// testScheme is the scheme a server builds: the cicd group (hub, v1alpha, v1beta)
// and the Scale types.
var testScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	install.Install(s)
	utilruntime.Must(AddToScheme(s))
	return s
}()

var (
	// t0 is when the stored conditions last changed; tNow is the server's clock.
	t0   = metav1.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	tNow = metav1.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
)

func testClock() *clocktesting.FakePassiveClock { return clocktesting.NewFakePassiveClock(tNow.Time) }

func testStrategies() (jenkinsServiceStrategy, jenkinsServiceStatusStrategy, jenkinsServiceApprovalStrategy) {
	s := newStrategy(testScheme, testClock())
	return s, jenkinsServiceStatusStrategy{s}, jenkinsServiceApprovalStrategy{s}
}

// ctxFor is the context of a request in the given version of the group ("" for
// none).
func ctxFor(version string) context.Context {
	ctx := genericapirequest.WithNamespace(context.Background(), "team-a")
	if version == "" {
		return ctx
	}
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true,
		APIGroup:          cicd.GroupName,
		APIVersion:        version,
		Namespace:         "team-a",
		Resource:          "jenkinsservices",
		Name:              "ci",
	})
}

// stored is a valid stored object: approved at t0, one of two instances running.
func stored() *cicd.JenkinsService {
	return &cicd.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{
			Name: "ci", Namespace: "team-a", UID: "uid-1", ResourceVersion: "10", Generation: 3,
			CreationTimestamp: metav1.NewTime(tNow.Add(-90 * time.Minute)),
			Labels:            map[string]string{"team": "a"},
			Annotations:       map[string]string{cicd.AnnotationRequestedBy: "alice"},
		},
		Spec: cicd.JenkinsServiceSpec{
			Replicas:  2,
			Resources: cicd.JenkinsServiceResources{CPU: resource.MustParse("1500m"), Memory: resource.MustParse("4Gi")},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
		Status: cicd.JenkinsServiceStatus{
			ObservedGeneration: 3,
			Conditions: []metav1.Condition{
				{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", Message: "approved for the release train", LastTransitionTime: t0, ObservedGeneration: 3},
				{Type: cicd.ConditionReady, Status: metav1.ConditionFalse, Reason: "Provisioning", Message: "1 of 2 instances running", LastTransitionTime: t0},
			},
			Instances: []cicd.JenkinsServerInstance{
				{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true},
				{Name: "ci-1", CPU: resource.MustParse("1500m")},
			},
		},
	}
}

func condition(t *testing.T, js *cicd.JenkinsService, condType string) *metav1.Condition {
	t.Helper()
	for i := range js.Status.Conditions {
		if js.Status.Conditions[i].Type == condType {
			return &js.Status.Conditions[i]
		}
	}
	return nil
}
