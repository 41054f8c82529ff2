package jenkinsservice

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/cicdtest"
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
	js := cicdtest.Service("ci", t0)
	js.UID, js.ResourceVersion = "uid-1", "10"
	js.CreationTimestamp = metav1.NewTime(tNow.Add(-90 * time.Minute))
	return js
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
