package storagecodec

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Normalize gives conditions read from the original server's data a transition
// time: the creation time, or the epoch when the object has none; a time that
// is there stays; a stored selfLink goes.
func TestNormalize(t *testing.T) {
	created := metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	kept := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name     string
		creation metav1.Time
		want     metav1.Time
	}{
		{"created", created, created},
		{"no creation time", metav1.Time{}, metav1.NewTime(time.Unix(0, 0).UTC())},
	} {
		js := &cicd.JenkinsService{
			ObjectMeta: metav1.ObjectMeta{CreationTimestamp: tc.creation},
			Status: cicd.JenkinsServiceStatus{Conditions: []metav1.Condition{
				{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "Approved"},
				{Type: cicd.ConditionReady, Status: metav1.ConditionFalse, Reason: "X", LastTransitionTime: kept},
			}},
		}
		js.SetSelfLink("/apis/autobusi.group.cicd/v1alpha/namespaces/a/jenkinsservices/x")
		Normalize(js)
		if got := js.Status.Conditions[0].LastTransitionTime; !got.Equal(&tc.want) {
			t.Errorf("%s: Approved at %v, want %v", tc.name, got, tc.want)
		}
		if got := js.GetSelfLink(); got != "" {
			t.Errorf("%s: selfLink %q kept", tc.name, got)
		}
		if got := js.Status.Conditions[1].LastTransitionTime; !got.Equal(&kept) {
			t.Errorf("%s: a set time changed to %v", tc.name, got)
		}
	}
}
