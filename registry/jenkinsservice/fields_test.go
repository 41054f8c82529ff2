package jenkinsservice

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

func TestGetAttrs(t *testing.T) {
	js := stored()
	js.Spec.Replicas = 12
	ls, fs, err := GetAttrs(js)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(labels.Set{"team": "a"}, ls); diff != "" {
		t.Errorf("labels:\n%s", diff)
	}
	want := fields.Set{"metadata.name": "ci", "metadata.namespace": "team-a", "spec.replicas": "12"}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if _, _, err := GetAttrs(&cicd.JenkinsServiceList{}); err == nil {
		t.Error("GetAttrs accepted a list")
	}
}

func TestMatcher(t *testing.T) {
	js := stored()
	tests := []struct {
		label, field string
		want         bool
	}{
		{"", "", true},
		{"team=a", "", true},
		{"team=b", "", false},
		{"", "spec.replicas=2", true},
		{"", "spec.replicas!=2", false},
		{"", "metadata.name=ci,metadata.namespace=team-a", true},
		{"", "metadata.namespace=team-b", false},
		{"team=a", "spec.replicas=3", false},
	}
	for _, tc := range tests {
		ls, err := labels.Parse(tc.label)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := fields.ParseSelector(tc.field)
		if err != nil {
			t.Fatal(err)
		}
		predicate := Matcher(ls, fs)
		if got, err := predicate.Matches(js); err != nil || got != tc.want {
			t.Errorf("Matches(%q, %q) = %v, %v; want %v", tc.label, tc.field, got, err, tc.want)
		}
	}
}

// Field selectors come in the client's version; the server converts them to the
// hub's field set before matching.
func TestFieldLabelConversions(t *testing.T) {
	tests := []struct {
		version           string
		label, value      string
		wantLabel, wantVl string
		wantErr           bool
	}{
		{"v1alpha", "metadata.name", "ci", "metadata.name", "ci", false},
		{"v1alpha", "metadata.namespace", "team-a", "metadata.namespace", "team-a", false},
		{"v1alpha", "spec.instanceamount", "2", "spec.replicas", "2", false},
		{"v1alpha", "spec.instanceamount", "02", "spec.replicas", "2", false},
		{"v1alpha", "spec.replicas", "2", "", "", true},
		{"v1alpha", "spec.instancecpu", "2", "", "", true},
		{"v1beta", "metadata.name", "ci", "metadata.name", "ci", false},
		{"v1beta", "metadata.namespace", "team-a", "metadata.namespace", "team-a", false},
		{"v1beta", "spec.replicas", "0", "spec.replicas", "0", false},
		{"v1beta", "spec.replicas", "+3", "spec.replicas", "3", false},
		{"v1beta", "spec.replicas", "many", "", "", true},
		{"v1beta", "spec.replicas", "1.5", "", "", true},
		{"v1alpha", "spec.instanceamount", "99999999999", "", "", true},
		{"v1beta", "spec.instanceamount", "2", "", "", true},
		{"v1beta", "spec.image", "x", "", "", true},
	}
	gvs := map[string]string{"v1alpha": v1alpha.SchemeGroupVersion.String(), "v1beta": v1beta.SchemeGroupVersion.String()}
	for _, tc := range tests {
		gvk := v1beta.SchemeGroupVersion.WithKind("JenkinsService")
		if tc.version == "v1alpha" {
			gvk = v1alpha.SchemeGroupVersion.WithKind("JenkinsService")
		}
		label, value, err := testScheme.ConvertFieldLabel(gvk, tc.label, tc.value)
		if (err != nil) != tc.wantErr || label != tc.wantLabel || value != tc.wantVl {
			t.Errorf("%s %s=%s -> %s=%s, %v; want %s=%s, error %v", gvs[tc.version], tc.label, tc.value, label, value, err, tc.wantLabel, tc.wantVl, tc.wantErr)
		}
		if err == nil {
			if _, ok := SelectableFields(stored())[label]; !ok {
				t.Errorf("%s converts to %s, which the server does not select on", tc.label, label)
			}
		}
	}
}
