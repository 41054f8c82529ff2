package jenkinsservice

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/utils/clock"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// jenkinsServiceStrategy is the create, update and delete strategy of the main
// resource. Writes to the main resource never change the status.
type jenkinsServiceStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// clock stamps condition times in the subresource strategies that embed this one.
	clock clock.PassiveClock
}

var (
	_ rest.RESTCreateStrategy  = jenkinsServiceStrategy{}
	_ rest.RESTUpdateStrategy  = jenkinsServiceStrategy{}
	_ rest.RESTDeleteStrategy  = jenkinsServiceStrategy{}
	_ rest.ResetFieldsStrategy = jenkinsServiceStrategy{}
)

func newStrategy(typer runtime.ObjectTyper, clk clock.PassiveClock) jenkinsServiceStrategy {
	return jenkinsServiceStrategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, clock: clk}
}

// NamespaceScoped is true: jenkinsservices live in namespaces.
func (jenkinsServiceStrategy) NamespaceScoped() bool { return true }

// GetResetFields tells the field manager which fields writes to the main resource
// never set: the status, and the v1alpha round-trip annotations, which the
// conversion consumes and the storage never holds.
func (jenkinsServiceStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return mainResetFields()
}

// PrepareForCreate starts the object with an empty status (so the approval is
// pending) at generation 1. The v1alpha round-trip annotations are never stored;
// the conversions already drop them, this only makes sure.
func (jenkinsServiceStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	js := obj.(*cicd.JenkinsService)
	js.Status = cicd.JenkinsServiceStatus{}
	js.Generation = 1
	js.Annotations = cicd.WithoutPreservationAnnotations(js.Annotations)
}

// PrepareForUpdate keeps the stored status and moves the generation on only when
// the spec changes.
func (jenkinsServiceStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	js, oldJS := obj.(*cicd.JenkinsService), old.(*cicd.JenkinsService)
	js.Status = *oldJS.Status.DeepCopy()
	js.Annotations = cicd.WithoutPreservationAnnotations(js.Annotations)
	if !apiequality.Semantic.DeepEqual(js.Spec, oldJS.Spec) {
		js.Generation = oldJS.Generation + 1
	}
}

// Validate validates a new object; the field paths are those of the version the
// client used.
func (jenkinsServiceStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsService(js), js)
}

// ValidateUpdate validates an update of the main resource.
func (jenkinsServiceStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsServiceUpdate(js, old.(*cicd.JenkinsService)), js)
}

// WarningsOnCreate warns about valid but probably unintended specs.
func (jenkinsServiceStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return specWarnings(ctx, &obj.(*cicd.JenkinsService).Spec, nil)
}

// WarningsOnUpdate warns about valid but probably unintended spec changes. Fields
// the update does not change draw no warning, so that a client writing an object
// back is not told again what it was told when the field was set.
func (jenkinsServiceStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return specWarnings(ctx, &obj.(*cicd.JenkinsService).Spec, &old.(*cicd.JenkinsService).Spec)
}

// Canonicalize has nothing to normalize: the conversions already produce the
// canonical hub form.
func (jenkinsServiceStrategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false: an update of a missing object is 404.
func (jenkinsServiceStrategy) AllowCreateOnUpdate(context.Context) bool { return false }

// AllowUnconditionalUpdate is true: an update without resourceVersion overwrites.
func (jenkinsServiceStrategy) AllowUnconditionalUpdate(context.Context) bool { return true }

// now is the time conditions are stamped with, in the second precision in which
// metav1.Time is stored and served, so the object validated is the object stored.
func (s jenkinsServiceStrategy) now() metav1.Time {
	return metav1.NewTime(s.clock.Now()).Rfc3339Copy()
}

// requestVersion is the version of the group the request was made in ("v1alpha",
// "v1beta"), or "" when the context carries no request of the group (an internal
// caller, a test).
func requestVersion(ctx context.Context) string {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || info.APIGroup != cicd.GroupName {
		return ""
	}
	return info.APIVersion
}

// fieldErrorsFromHub maps the validation errors of a hub object to the paths of
// each served version whose paths are not the hub's (v1beta's are).
var fieldErrorsFromHub = map[string]func(field.ErrorList, *cicd.JenkinsService) field.ErrorList{
	v1alpha.SchemeGroupVersion.Version: v1alpha.FieldErrorsFromHub,
}

// forRequestVersion maps errs, found by validating obj, to the paths of the
// request's version.
func forRequestVersion(ctx context.Context, errs field.ErrorList, obj *cicd.JenkinsService) field.ErrorList {
	if toVersion, ok := fieldErrorsFromHub[requestVersion(ctx)]; ok {
		return toVersion(errs, obj)
	}
	return errs
}
