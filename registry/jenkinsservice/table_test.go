package jenkinsservice

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestTableColumns(t *testing.T) {
	table, err := tableConvertor{clock: testClock()}.ConvertToTable(ctxFor("v1beta"), stored(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names, formats []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
		formats = append(formats, c.Format)
		if wide := c.Name == "Image" || c.Name == "Memory"; c.Priority != map[bool]int32{false: 0, true: 1}[wide] {
			t.Errorf("column %s has priority %d, want 1 for the -o wide columns and 0 for the others", c.Name, c.Priority)
		}
		if c.Description == "" {
			t.Errorf("column %s has no description", c.Name)
		}
	}
	if diff := cmp.Diff([]string{"Name", "Replicas", "CPU", "Approval", "Ready", "Age", "Image", "Memory"}, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"name", "", "", "", "", "date", "", ""}, formats); diff != "" {
		t.Errorf("formats (-want +got):\n%s", diff)
	}

	noHeaders, err := tableConvertor{clock: testClock()}.ConvertToTable(ctxFor("v1beta"), stored(), &metav1.TableOptions{NoHeaders: true})
	if err != nil || len(noHeaders.ColumnDefinitions) != 0 || len(noHeaders.Rows) != 1 {
		t.Errorf("noHeaders: %+v, %v", noHeaders, err)
	}
}

func TestTableRows(t *testing.T) {
	pending := stored()
	pending.Name = "pending"
	pending.Status = cicd.JenkinsServiceStatus{}
	pending.CreationTimestamp = metav1.NewTime(tNow.Add(-3 * 24 * time.Hour))

	denied := stored()
	denied.Name = "denied"
	denied.Spec.Replicas = 0
	denied.Spec.Resources.CPU = resource.MustParse("2")
	denied.Status.Conditions[0].Status = metav1.ConditionFalse
	denied.Status.Instances = nil
	denied.CreationTimestamp = metav1.NewTime(tNow.Add(-30 * time.Second))

	unknown := stored()
	unknown.Name = "unknown"
	unknown.Status.Conditions[0].Status = metav1.ConditionUnknown
	unknown.Status.Instances[1].Running = true
	unknown.CreationTimestamp = metav1.Time{}

	list := &cicd.JenkinsServiceList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next"},
		Items:    []cicd.JenkinsService{*stored(), *pending, *denied, *unknown},
	}
	table, err := tableConvertor{clock: testClock()}.ConvertToTable(ctxFor("v1alpha"), list, &metav1.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]interface{}{
		{"ci", int64(2), "1500m", "Approved", "1/2", "90m", "jenkins/jenkins:2.462.3-lts", "4Gi"},
		{"pending", int64(2), "1500m", "Pending", "0/2", "3d", "jenkins/jenkins:2.462.3-lts", "4Gi"},
		{"denied", int64(0), "2", "Denied", "0/0", "30s", "jenkins/jenkins:2.462.3-lts", "4Gi"},
		{"unknown", int64(2), "1500m", "Pending", "2/2", "<unknown>", "jenkins/jenkins:2.462.3-lts", "4Gi"},
	}
	var got [][]interface{}
	for i, row := range table.Rows {
		got = append(got, row.Cells)
		if row.Object.Object != &list.Items[i] {
			t.Errorf("row %d does not carry its object", i)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if table.ResourceVersion != "42" || table.Continue != "next" {
		t.Errorf("list metadata = %+v", table.ListMeta)
	}
}

func TestTableRefusesOtherObjects(t *testing.T) {
	if _, err := (tableConvertor{clock: testClock()}).ConvertToTable(ctxFor("v1beta"), &metav1.Status{}, nil); err == nil {
		t.Error("converted a Status")
	}
	if _, err := (tableConvertor{clock: testClock()}).ConvertToTable(ctxFor("v1beta"), stored(), &metav1.ListOptions{}); err == nil {
		t.Error("accepted ListOptions as table options")
	}
}

func TestScaleTable(t *testing.T) {
	table, err := (&ScaleREST{}).ConvertToTable(ctxFor("v1beta"), scaleOf(stored()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.ColumnDefinitions) != 3 || len(table.Rows) != 1 || !cmp.Equal(table.Rows[0].Cells, []interface{}{"ci", int64(2), int64(1)}) {
		t.Errorf("scale table = %+v", table)
	}
}
