package v1beta

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// A quantity never set in the hub (the zero Quantity, as the field manager's
// conversions of objects with fields left out have it) is unset in v1beta; a
// set one, 0 included, is there.
func TestResourcesUnsetStayUnset(t *testing.T) {
	var out JenkinsServiceResources
	if err := Convert_cicd_JenkinsServiceResources_To_v1beta_JenkinsServiceResources(&cicd.JenkinsServiceResources{}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.CPU != nil || out.Memory != nil {
		t.Errorf("unset hub resources: cpu %v memory %v, want both nil", out.CPU, out.Memory)
	}
	in := cicd.JenkinsServiceResources{CPU: resource.MustParse("0"), Memory: resource.MustParse("4Gi")}
	if err := Convert_cicd_JenkinsServiceResources_To_v1beta_JenkinsServiceResources(&in, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.CPU == nil || out.CPU.String() != "0" || out.Memory == nil || out.Memory.String() != "4Gi" {
		t.Errorf("set hub resources: cpu %v memory %v, want 0 and 4Gi", out.CPU, out.Memory)
	}
}
