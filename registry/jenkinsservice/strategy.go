package jenkinsservice

import (
	"context"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
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
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// What each endpoint of jenkinsservices does to an object. The main resource
// writes the spec and metadata; the status subresource the status but the
// Approved condition; the approval subresource the Approved condition only.
// Strategies see hub objects; validation errors carry the paths of the
// request's version.

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
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: fieldpath.NewSet(pathStatus, pathPreservedSpec, pathPreservedStatus),
		v1betaVersion:  fieldpath.NewSet(pathStatus),
	}
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

// Validate validates a new object.
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
// ResetObjectMetaForStatus keeps, nor the Approved condition (v1beta
// status.conditions[type="Approved"], v1alpha status.approvalstatus).
func (jenkinsServiceStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: subresourceSet(pathApprovalStatus),
		v1betaVersion:  subresourceSet(pathApprovedCondition),
	}
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

// ValidateUpdate validates the status update.
func (jenkinsServiceStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsServiceStatusUpdate(js, old.(*cicd.JenkinsService)), js)
}

// WarningsOnUpdate returns nothing: the spec, which the warnings are about, does
// not change through the status.
func (jenkinsServiceStatusStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

// jenkinsServiceApprovalStrategy is the update strategy of the approval
// subresource. The request body is the whole object, as for
// certificatesigningrequests/approval, but only its Approved condition is applied
// (v1alpha: approvalstatus, which the conversion turns into that condition).
type jenkinsServiceApprovalStrategy struct {
	jenkinsServiceStrategy
}

var _ rest.RESTUpdateStrategy = jenkinsServiceApprovalStrategy{}

// GetResetFields is the closest reset set to what an approval write ignores:
// everything a set can name but the Approved condition. A set cannot say "all
// conditions but Approved", so in v1beta it misses the other conditions (in
// v1alpha they travel inside the preserved-status annotation, which no path can
// split). GetResetFieldsFilter is exact and is what the approval endpoint reports.
func (jenkinsServiceApprovalStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		v1alphaVersion: subresourceSet(pathInstances),
		v1betaVersion:  subresourceSet(pathObservedGeneration, pathInstances),
	}
}

// GetResetFieldsFilter tells the field manager that an approval write sets the
// Approved condition and nothing else: v1beta status.conditions[type="Approved"],
// v1alpha status.approvalstatus. Unlike a reset set, a filter can say "all but
// this field".
func (jenkinsServiceApprovalStrategy) GetResetFieldsFilter() map[fieldpath.APIVersion]fieldpath.Filter {
	return map[fieldpath.APIVersion]fieldpath.Filter{
		v1alphaVersion: fieldpath.NewIncludeMatcherFilter(fieldpath.MakePrefixMatcherOrDie(fieldNames(v1alpha.PathApprovalStatus)...)),
		v1betaVersion: fieldpath.NewIncludeMatcherFilter(
			fieldpath.MakePrefixMatcherOrDie("status", "conditions", fieldpath.KeyByFields("type", cicd.ConditionApproved)),
		),
	}
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

// ValidateUpdate validates the result as any status update.
func (jenkinsServiceApprovalStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	js := obj.(*cicd.JenkinsService)
	return forRequestVersion(ctx, validation.ValidateJenkinsServiceStatusUpdate(js, old.(*cicd.JenkinsService)), js)
}

// WarningsOnUpdate returns nothing: the spec does not change through the approval.
func (jenkinsServiceApprovalStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

// The Approved condition is owned by the approval subresource; every other
// condition by the status subresource.

// keepApproval returns conditions with its Approved condition (if any) replaced by
// old's (if any). The old condition keeps its place in the list: where the
// request had an Approved condition, else where it stood in old.
func keepApproval(conditions, old []metav1.Condition) []metav1.Condition {
	previous := meta.FindStatusCondition(old, cicd.ConditionApproved)
	out := make([]metav1.Condition, 0, len(conditions)+1)
	placed := false
	for _, c := range conditions {
		if c.Type != cicd.ConditionApproved {
			out = append(out, c)
			continue
		}
		if previous != nil && !placed {
			out = append(out, *previous.DeepCopy())
			placed = true
		}
	}
	if previous != nil && !placed {
		at := min(indexOfCondition(old, cicd.ConditionApproved), len(out))
		out = append(out[:at], append([]metav1.Condition{*previous.DeepCopy()}, out[at:]...)...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// applyApproval returns old with its Approved condition replaced by requested, or
// removed when requested is nil. The server owns lastTransitionTime: it is now
// when the status of the condition changes (or the condition appears), and the
// old time when it does not; whatever time the request carried is ignored.
func applyApproval(old []metav1.Condition, requested *metav1.Condition, now metav1.Time) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(old)+1)
	for _, c := range old {
		if c.Type != cicd.ConditionApproved {
			out = append(out, *c.DeepCopy())
		}
	}
	if requested != nil {
		c := *requested.DeepCopy()
		previous := meta.FindStatusCondition(old, cicd.ConditionApproved)
		if previous != nil && previous.Status == c.Status && !previous.LastTransitionTime.IsZero() {
			c.LastTransitionTime = previous.LastTransitionTime
		} else {
			c.LastTransitionTime = now
		}
		at := indexOfCondition(old, cicd.ConditionApproved)
		if at < 0 || at > len(out) {
			at = len(out)
		}
		out = append(out[:at], append([]metav1.Condition{c}, out[at:]...)...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stampTransitionTimes fills every zero lastTransitionTime in conditions: with the
// old time when old has the condition with the same status, else with now. A time
// the writer sent is kept.
func stampTransitionTimes(conditions, old []metav1.Condition, now metav1.Time) {
	for i := range conditions {
		c := &conditions[i]
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		if previous := meta.FindStatusCondition(old, c.Type); previous != nil &&
			previous.Status == c.Status && !previous.LastTransitionTime.IsZero() {
			c.LastTransitionTime = previous.LastTransitionTime
		} else {
			c.LastTransitionTime = now
		}
	}
}

// indexOfCondition is the index of the first condition of type t, or -1.
func indexOfCondition(conditions []metav1.Condition, t string) int {
	for i := range conditions {
		if conditions[i].Type == t {
			return i
		}
	}
	return -1
}

// Reset fields tell the field manager (server-side apply, managedFields) which
// fields a write through an endpoint does not set, so that no manager is recorded
// as owning them. They are given per served version, in that version's field names.

var (
	v1alphaVersion = fieldpath.APIVersion(v1alpha.SchemeGroupVersion.String())
	v1betaVersion  = fieldpath.APIVersion(v1beta.SchemeGroupVersion.String())
)

var (
	pathSpec   = fieldpath.MakePathOrDie("spec")
	pathStatus = fieldpath.MakePathOrDie("status")

	// v1alpha's round-trip annotations: the conversion consumes them, no write sets them.
	pathPreservedSpec   = fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedSpec)
	pathPreservedStatus = fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedStatus)

	pathObservedGeneration = fieldpath.MakePathOrDie("status", "observedGeneration")
	pathInstances          = fieldpath.MakePathOrDie("status", "instances")
	// v1beta: the Approved item of the conditions map list.
	pathApprovedCondition = fieldpath.MakePathOrDie("status", "conditions", fieldpath.KeyByFields("type", cicd.ConditionApproved))
	// v1alpha: the field that shows the Approved condition.
	pathApprovalStatus = fieldpath.MakePathOrDie(fieldNames(v1alpha.PathApprovalStatus)...)

	// What a subresource write takes from the stored object: the spec and the
	// managed metadata that metav1.ResetObjectMetaForStatus keeps.
	pathsKeptBySubresources = []fieldpath.Path{
		pathSpec,
		fieldpath.MakePathOrDie("metadata", "labels"),
		fieldpath.MakePathOrDie("metadata", "annotations"),
		fieldpath.MakePathOrDie("metadata", "finalizers"),
		fieldpath.MakePathOrDie("metadata", "ownerReferences"),
	}
)

// subresourceSet is the reset set of a subresource: what it takes from the stored
// object, and paths.
func subresourceSet(paths ...fieldpath.Path) *fieldpath.Set {
	return fieldpath.NewSet(append(append([]fieldpath.Path{}, pathsKeptBySubresources...), paths...)...)
}

// fieldNames splits a dotted JSON path without list items into the parts that
// fieldpath.MakePathOrDie and fieldpath.MakePrefixMatcherOrDie take.
func fieldNames(dotted string) []interface{} {
	var parts []interface{}
	for _, name := range strings.Split(dotted, ".") {
		parts = append(parts, name)
	}
	return parts
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
