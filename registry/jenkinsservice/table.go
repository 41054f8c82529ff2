package jenkinsservice

import (
	"context"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/clock"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// The server-side table (kubectl get) is the same in both versions: it is built
// from the hub object.

var objectMetaDoc = metav1.ObjectMeta{}.SwaggerDoc()

var tableColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
	{Name: "Replicas", Type: "integer", Description: "The number of Jenkins instances requested (spec.replicas; v1alpha spec.instanceamount)."},
	{Name: "CPU", Type: "string", Description: "The CPU of each instance (spec.resources.cpu; v1alpha spec.instancecpu)."},
	{Name: "Approval", Type: "string", Description: "Approved, Denied or Pending, from the Approved condition (v1alpha status.approvalstatus)."},
	{Name: "Ready", Type: "string", Description: "The number of running instances out of the number requested."},
	{Name: "Age", Type: "string", Format: "date", Description: objectMetaDoc["creationTimestamp"]},
	// Priority 1: kubectl shows them with -o wide.
	{Name: "Image", Type: "string", Priority: 1, Description: "The container image of the instances (spec.image; not in v1alpha)."},
	{Name: "Memory", Type: "string", Priority: 1, Description: "The memory of each instance (spec.resources.memory; not in v1alpha)."},
}

// tableConvertor prints JenkinsServices (and lists of them) as a metav1.Table.
type tableConvertor struct {
	clock clock.PassiveClock
}

var _ rest.TableConvertor = tableConvertor{}

// ConvertToTable converts a JenkinsService or a JenkinsServiceList.
func (c tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders, err := noHeaders(tableOptions)
	if err != nil {
		return nil, err
	}
	table := &metav1.Table{}
	switch t := obj.(type) {
	case *cicd.JenkinsService:
		table.ResourceVersion = t.ResourceVersion
		table.Rows = []metav1.TableRow{c.row(t)}
	case *cicd.JenkinsServiceList:
		table.ResourceVersion = t.ResourceVersion
		table.Continue = t.Continue
		table.RemainingItemCount = t.RemainingItemCount
		table.Rows = make([]metav1.TableRow, 0, len(t.Items))
		for i := range t.Items {
			table.Rows = append(table.Rows, c.row(&t.Items[i]))
		}
	default:
		return nil, notAcceptable(obj)
	}
	if !noHeaders {
		table.ColumnDefinitions = tableColumns
	}
	return table, nil
}

func (c tableConvertor) row(js *cicd.JenkinsService) metav1.TableRow {
	return metav1.TableRow{
		Cells: []interface{}{
			js.Name,
			int64(js.Spec.Replicas),
			js.Spec.Resources.CPU.String(),
			string(v1alpha.ApprovalOf(js.Status.Conditions)),
			fmt.Sprintf("%d/%d", runningInstances(js), js.Spec.Replicas),
			age(c.clock, js.CreationTimestamp),
			js.Spec.Image,
			js.Spec.Resources.Memory.String(),
		},
		Object: runtime.RawExtension{Object: js},
	}
}

// runningInstances counts the instances with running: true. It is the ready count
// of the table and the status.replicas of the scale subresource.
func runningInstances(js *cicd.JenkinsService) int32 {
	var n int32
	for i := range js.Status.Instances {
		if js.Status.Instances[i].Running {
			n++
		}
	}
	return n
}

// age is the time since t as kubectl prints it ("5m", "3d").
func age(clk clock.PassiveClock, t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(clk.Since(t.Time))
}

func noHeaders(tableOptions runtime.Object) (bool, error) {
	switch t := tableOptions.(type) {
	case nil:
		return false, nil
	case *metav1.TableOptions:
		return t != nil && t.NoHeaders, nil
	}
	return false, fmt.Errorf("unrecognized type %T for table options, can't display tabular output", tableOptions)
}

// notAcceptable is the 406 a table request for an object this convertor does not
// print gets.
func notAcceptable(obj runtime.Object) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("objects of type %T cannot be converted to a Table", obj),
	}}
}
