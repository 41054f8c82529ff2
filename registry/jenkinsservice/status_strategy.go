package jenkinsservice

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// jenkinsServiceStatusStrategy is the update strategy of the status subresource:
// it writes the status only, and of the status everything but the Approved
// condition, which belongs to the approval subresource.
type jenkinsServiceStatusStrategy struct {
	jenkinsServiceStrategy
}

var (
	_ rest.RESTUpdateStrategy  = jenkinsServiceStatusStrategy{}
	_ rest.ResetFieldsStrategy = jenkinsServiceStatusStrategy{}
)

// GetResetFields: a status write sets neither the spec, nor the metadata that
// ResetObjectMetaForStatus keeps, nor the Approved condition.
func (jenkinsServiceStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return statusResetFields()
}

// PrepareForUpdate takes spec and metadata from the stored object, keeps the stored
// Approved condition whatever the request says about it, and stamps the
// lastTransitionTime of conditions written without one.
func (s jenkinsServiceStatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	js, oldJS := obj.(*cicd.JenkinsService), old.(*cicd.JenkinsService)
	js.Spec = *oldJS.Spec.DeepCopy()
	metav1.ResetObjectMetaForStatus(&js.ObjectMeta, &oldJS.ObjectMeta)
	js.Status.Conditions = keepApproval(js.Status.Conditions, oldJS.Status.Conditions)
	stampTransitionTimes(js.Status.Conditions, oldJS.Status.Conditions, s.now())
}

// ValidateUpdate validates the status update; paths in the request's version.
func (jenkinsServiceStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsServiceStatusUpdate(js, old.(*cicd.JenkinsService)), js)
}

// WarningsOnUpdate returns nothing: the spec, which the warnings are about, does
// not change through the status.
func (jenkinsServiceStatusStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
