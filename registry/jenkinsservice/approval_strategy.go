package jenkinsservice

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// jenkinsServiceApprovalStrategy is the update strategy of the approval
// subresource. The request body is the whole object, as for
// certificatesigningrequests/approval, but only its Approved condition is applied
// (v1alpha: approvalstatus, which the conversion turns into that condition).
type jenkinsServiceApprovalStrategy struct {
	jenkinsServiceStrategy
}

var _ rest.RESTUpdateStrategy = jenkinsServiceApprovalStrategy{}

// GetResetFields overrides the main strategy's set with the closest set to what an
// approval write ignores; the approval endpoint reports the exact filter below.
func (jenkinsServiceApprovalStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return approvalResetFields()
}

// GetResetFieldsFilter tells the field manager that an approval write sets the
// Approved condition and nothing else. Unlike a reset set, a filter can say "all
// but this field".
func (jenkinsServiceApprovalStrategy) GetResetFieldsFilter() map[fieldpath.APIVersion]fieldpath.Filter {
	return approvalResetFieldsFilter()
}

// PrepareForUpdate turns the request into the stored object with the requested
// Approved condition: status, reason, message and observedGeneration as sent,
// lastTransitionTime now when the status changes and kept otherwise. A request
// without an Approved condition removes it (the service is pending again).
func (s jenkinsServiceApprovalStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	js, oldJS := obj.(*cicd.JenkinsService), old.(*cicd.JenkinsService)
	var requested *metav1.Condition
	if c := meta.FindStatusCondition(js.Status.Conditions, cicd.ConditionApproved); c != nil {
		requested = c.DeepCopy()
	}
	js.Spec = *oldJS.Spec.DeepCopy()
	metav1.ResetObjectMetaForStatus(&js.ObjectMeta, &oldJS.ObjectMeta)
	js.Status = *oldJS.Status.DeepCopy()
	js.Status.Conditions = applyApproval(oldJS.Status.Conditions, requested, s.now())
}

// ValidateUpdate validates the result as any status update; paths in the request's
// version.
func (jenkinsServiceApprovalStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsServiceStatusUpdate(js, old.(*cicd.JenkinsService)), js)
}

// WarningsOnUpdate returns nothing: the spec does not change through the approval.
func (jenkinsServiceApprovalStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
