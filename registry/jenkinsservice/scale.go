package jenkinsservice

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	scalescheme "k8s.io/client-go/scale/scheme"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// ScaleREST is the scale subresource: an autoscaling/v1 Scale view of a
// JenkinsService. spec.replicas is the service's spec.replicas; status.replicas
// the number of its running instances; status.selector the label selector of
// the instances' Pods (cicd.InstanceSelector), so an HPA can target it.
//
// Inside the server the Scale is the internal type of k8s.io/client-go/scale/scheme
// (the group "autoscaling", version __internal), converted to and from
// autoscaling/v1 by k8s.io/client-go/scale/scheme/autoscalingv1, as the built-in
// resources do with their internal autoscaling.Scale. AddToScheme registers both.
type ScaleREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Storage                  = &ScaleREST{}
	_ rest.Patcher                  = &ScaleREST{}
	_ rest.GroupVersionKindProvider = &ScaleREST{}
	_ rest.TableConvertor           = &ScaleREST{}
)

// scaleGroupVersionKind is the kind the scale subresource serves, in every version
// of the group.
var scaleGroupVersionKind = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// replicasPaths are the paths of the replicas in each served version, for moving
// the ownership of the replicas between the object's and the Scale's managed fields.
var replicasPaths = managedfields.ResourcePathMappings{
	v1alpha.SchemeGroupVersion.String(): fieldpath.MakePathOrDie(fieldNames(v1alpha.PathInstanceAmount)...),
	v1beta.SchemeGroupVersion.String():  fieldpath.MakePathOrDie(fieldNames(cicd.PathReplicas)...),
}

// New returns an empty (internal) Scale.
func (r *ScaleREST) New() runtime.Object { return &scalescheme.Scale{} }

// Destroy does nothing: the store is the main resource's, destroyed with it.
func (r *ScaleREST) Destroy() {}

// GroupVersionKind is autoscaling/v1 Scale whatever the version of the group.
func (r *ScaleREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return scaleGroupVersionKind
}

// Get returns the Scale of the named JenkinsService.
func (r *ScaleREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	return scaleOf(obj.(*cicd.JenkinsService)), nil
}

// Update sets spec.replicas of the named JenkinsService from a Scale. It goes
// through the store's Update, so preconditions (resourceVersion, uid), admission,
// the main strategy (generation, validation) and the managed fields all apply:
// a stale resourceVersion is 409, a missing service 404.
func (r *ScaleREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, _, err := r.store.Update(ctx, name,
		&scaleUpdatedObjectInfo{name: name, reqObjInfo: requestErrors{objInfo}},
		scaleCreateValidation(createValidation),
		scaleUpdateValidation(updateValidation),
		false, // a subresource never creates its parent
		options,
	)
	if err != nil {
		return nil, false, err
	}
	return scaleOf(obj.(*cicd.JenkinsService)), false, nil
}

// scaleOf is the Scale view of js.
func scaleOf(js *cicd.JenkinsService) *scalescheme.Scale {
	return &scalescheme.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name:              js.Name,
			Namespace:         js.Namespace,
			UID:               js.UID,
			ResourceVersion:   js.ResourceVersion,
			CreationTimestamp: js.CreationTimestamp,
		},
		Spec:   scalescheme.ScaleSpec{Replicas: js.Spec.Replicas},
		Status: scalescheme.ScaleStatus{Replicas: runningInstances(js), Selector: cicd.InstanceSelector(js.Name)},
	}
}

// The admission validation the handler passes in sees Scales, as the request does.

func scaleCreateValidation(f rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, obj runtime.Object) error {
		return f(ctx, scaleOf(obj.(*cicd.JenkinsService)))
	}
}

func scaleUpdateValidation(f rest.ValidateObjectUpdateFunc) rest.ValidateObjectUpdateFunc {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, obj, old runtime.Object) error {
		return f(ctx, scaleOf(obj.(*cicd.JenkinsService)), scaleOf(old.(*cicd.JenkinsService)))
	}
}

// scaleUpdatedObjectInfo turns the stored JenkinsService into its Scale, lets the
// request (body, patch, admission, field manager) update the Scale, and moves the
// new replicas (and resourceVersion, and the managed fields of the replicas) back
// into the JenkinsService.
type scaleUpdatedObjectInfo struct {
	name       string
	reqObjInfo rest.UpdatedObjectInfo
}

func (i *scaleUpdatedObjectInfo) Preconditions() *metav1.Preconditions {
	return i.reqObjInfo.Preconditions()
}

func (i *scaleUpdatedObjectInfo) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	js, ok := oldObj.DeepCopyObject().(*cicd.JenkinsService)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected the existing object to be a JenkinsService, got %T", oldObj))
	}
	// The store hands over an empty object when there is none.
	if js.ResourceVersion == "" {
		return nil, apierrors.NewNotFound(cicd.Resource("jenkinsservices"), i.name)
	}

	managedFields := managedfields.NewScaleHandler(js.ManagedFields, scaleParentVersion(ctx), replicasPaths)
	oldScale := scaleOf(js)
	scaleManagedFields, err := managedFields.ToSubresource()
	if err != nil {
		return nil, err
	}
	oldScale.ManagedFields = scaleManagedFields

	newObj, err := i.reqObjInfo.UpdatedObject(ctx, oldScale)
	if err != nil {
		return nil, err
	}
	if newObj == nil {
		return nil, apierrors.NewBadRequest("nil update passed to Scale")
	}
	scale, ok := newObj.(*scalescheme.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected the input object to be a Scale, got %T", newObj))
	}
	if scale.UID != "" && scale.UID != js.UID {
		return nil, apierrors.NewConflict(cicd.Resource("jenkinsservices/scale"), js.Name,
			fmt.Errorf("precondition failed: UID in precondition: %v, UID in object meta: %v", scale.UID, js.UID))
	}

	js.Spec.Replicas = scale.Spec.Replicas
	if errs := replicasErrors(js); len(errs) > 0 {
		return nil, apierrors.NewInvalid(scaleGroupVersionKind.GroupKind(), js.Name, errs)
	}
	js.ResourceVersion = scale.ResourceVersion
	if js.ManagedFields, err = managedFields.ToParent(scale.ManagedFields); err != nil {
		return nil, err
	}
	return js, nil
}

// replicasErrors validates the replicas of js with the object's own validation and
// reports the errors at the Scale's path, spec.replicas. The rest of the object is
// validated by the store's update strategy.
func replicasErrors(js *cicd.JenkinsService) field.ErrorList {
	var errs field.ErrorList
	for _, err := range validation.ValidateJenkinsService(js) {
		if err.Field == FieldReplicas {
			errs = append(errs, err)
		}
	}
	return errs
}

// scaleParentVersion is the version of the group the request was made in; the
// managed fields of the replicas are recorded in it.
func scaleParentVersion(ctx context.Context) schema.GroupVersion {
	if info, ok := genericapirequest.RequestInfoFrom(ctx); ok {
		gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
		if _, known := replicasPaths[gv.String()]; known {
			return gv
		}
	}
	return v1beta.SchemeGroupVersion
}

// ConvertToTable prints Scales: NAME, DESIRED, AVAILABLE.
func (r *ScaleREST) ConvertToTable(_ context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders, err := noHeaders(tableOptions)
	if err != nil {
		return nil, err
	}
	scale, ok := obj.(*scalescheme.Scale)
	if !ok {
		return nil, notAcceptable(obj)
	}
	table := &metav1.Table{
		ListMeta: metav1.ListMeta{ResourceVersion: scale.ResourceVersion},
		Rows: []metav1.TableRow{{
			Cells:  []interface{}{scale.Name, int64(scale.Spec.Replicas), int64(scale.Status.Replicas)},
			Object: runtime.RawExtension{Object: scale},
		}},
	}
	if !noHeaders {
		table.ColumnDefinitions = []metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Format: "name", Description: objectMetaDoc["name"]},
			{Name: "Desired", Type: "integer", Description: "The number of Jenkins instances requested."},
			{Name: "Available", Type: "integer", Description: "The number of Jenkins instances running."},
		}
	}
	return table, nil
}
