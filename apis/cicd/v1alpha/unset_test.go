package v1alpha

import (
	"testing"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// instancecpu 0 is unset: the hub CPU stays the zero Quantity, which v1beta
// shows as unset; any other value is that many cores.
func TestInstanceCPUUnset(t *testing.T) {
	var out cicd.JenkinsServiceSpec
	if err := Convert_v1alpha_JenkinsServiceSpec_To_cicd_JenkinsServiceSpec(&JenkinsServiceSpec{InstanceAmount: 2}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.Resources.CPU.Format != "" || !out.Resources.CPU.IsZero() {
		t.Errorf("instancecpu 0: hub cpu %#v, want the zero Quantity", out.Resources.CPU)
	}
	if err := Convert_v1alpha_JenkinsServiceSpec_To_cicd_JenkinsServiceSpec(&JenkinsServiceSpec{InstanceCpu: 3}, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.Resources.CPU.String() != "3" {
		t.Errorf("instancecpu 3: hub cpu %s", out.Resources.CPU.String())
	}
}
