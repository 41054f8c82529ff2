package jenkinsservice

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Storage is the REST storage of jenkinsservices and its subresources, all on one
// generic registry store.
type Storage struct {
	JenkinsService *REST         // jenkinsservices
	Status         *StatusREST   // jenkinsservices/status
	Approval       *ApprovalREST // jenkinsservices/approval
	Scale          *ScaleREST    // jenkinsservices/scale (autoscaling/v1 Scale)
}

// NewStorage builds ONE genericregistry.Store (one storage, one watch cache) for
// jenkinsservices; the subresources are copies of it that differ only in their
// update strategy. scheme types the objects (it must hold the cicd hub and
// versions); NewStorage adds to it the Scale types the scale subresource needs
// (AddToScheme) when they are not there yet.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*Storage, error) {
	return newStorage(scheme, optsGetter, clock.RealClock{})
}

func newStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter, clk clock.PassiveClock) (*Storage, error) {
	if !scheme.Recognizes(cicd.SchemeGroupVersion.WithKind("JenkinsService")) {
		return nil, fmt.Errorf("the scheme does not hold %v: install the cicd API group first", cicd.Kind("JenkinsService"))
	}
	if !hasScaleTypes(scheme) {
		if err := AddToScheme(scheme); err != nil {
			return nil, fmt.Errorf("registering the Scale types: %w", err)
		}
	}

	strategy := newStrategy(scheme, clk)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &cicd.JenkinsService{} },
		NewListFunc:               func() runtime.Object { return &cicd.JenkinsServiceList{} },
		PredicateFunc:             Matcher,
		DefaultQualifiedResource:  cicd.Resource("jenkinsservices"),
		SingularQualifiedResource: cicd.Resource("jenkinsservice"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: tableConvertor{clock: clk},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}); err != nil {
		return nil, err
	}
	// 413 for objects too large to store; errors about corrupt objects say how to delete them (corrupt.go)
	store.Storage.Storage = statusStorage{newCorruptStorage(store.Storage.Storage, store.NewFunc, store.NewListFunc)}
	pathPrefix, err := storagePathPrefix(optsGetter)
	if err != nil {
		return nil, err
	}

	// The subresources share the completed store (its storage and watch cache) and
	// differ in the update strategy. Only the main resource destroys the storage.
	statusStrategy := jenkinsServiceStatusStrategy{strategy}
	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy

	approvalStrategy := jenkinsServiceApprovalStrategy{strategy}
	approvalStore := *store
	approvalStore.UpdateStrategy = approvalStrategy
	approvalStore.ResetFieldsStrategy = approvalStrategy

	return &Storage{
		JenkinsService: &REST{Store: store, direct: etcdDeletion{pathPrefix: pathPrefix}},
		Status:         &StatusREST{store: &statusStore},
		Approval:       &ApprovalREST{store: &approvalStore, strategy: approvalStrategy},
		Scale:          &ScaleREST{store: store},
	}, nil
}

// Map returns the REST map of one version. The server installs the same map (the
// same objects) for v1alpha and v1beta, so both versions share one store.
func (s *Storage) Map() map[string]rest.Storage {
	return map[string]rest.Storage{
		"jenkinsservices":          s.JenkinsService,
		"jenkinsservices/status":   s.Status,
		"jenkinsservices/approval": s.Approval,
		"jenkinsservices/scale":    s.Scale,
	}
}

// REST is the main resource: the eight standard verbs of the generic store,
// DeleteCollection straight to etcd (deletecollection.go).
type REST struct {
	*genericregistry.Store
	direct etcdDeletion
}

var (
	_ rest.StandardStorage      = &REST{}
	_ rest.ShortNamesProvider   = &REST{}
	_ rest.CategoriesProvider   = &REST{}
	_ rest.SingularNameProvider = &REST{}
	_ rest.TableConvertor       = &REST{}
	_ rest.ResetFieldsStrategy  = &REST{}
)

// ShortNames is ["js"] (kubectl get js).
func (r *REST) ShortNames() []string { return []string{"js"} }

// Categories is ["all", "cicd"] (kubectl get all, kubectl get cicd).
func (r *REST) Categories() []string { return []string{"all", "cicd"} }

// StatusREST is the status subresource: get, update and patch of the status.
type StatusREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
)

// New returns an empty JenkinsService.
func (r *StatusREST) New() runtime.Object { return &cicd.JenkinsService{} }

// Destroy does nothing: the store is the main resource's, destroyed with it.
func (r *StatusREST) Destroy() {}

// Get returns the whole object (status writers read it to write it back).
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update writes the status of the named object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// A subresource never creates its parent, whatever the handler asks for.
	return r.store.Update(ctx, name, requestErrors{objInfo}, createValidation, updateValidation, false, options)
}

// GetResetFields implements rest.ResetFieldsStrategy.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable prints the object as the main resource does.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

// ApprovalREST is the approval subresource. It only updates (PUT): it implements
// rest.Updater but not rest.Getter, so discovery lists the single verb update and
// there is no get or patch on jenkinsservices/approval.
type ApprovalREST struct {
	store    *genericregistry.Store
	strategy jenkinsServiceApprovalStrategy
}

var (
	_ rest.Updater                   = &ApprovalREST{}
	_ rest.ResetFieldsFilterStrategy = &ApprovalREST{}
)

// New returns an empty JenkinsService: the body of an approval is the whole object.
func (r *ApprovalREST) New() runtime.Object { return &cicd.JenkinsService{} }

// Destroy does nothing: the store is the main resource's, destroyed with it.
func (r *ApprovalREST) Destroy() {}

// Update applies the Approved condition of the request to the named object.
func (r *ApprovalREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, requestErrors{approvalRequest{objInfo}}, createValidation, updateValidation, false, options)
}

// GetResetFieldsFilter implements rest.ResetFieldsFilterStrategy: an approval
// write owns the Approved condition and nothing else.
func (r *ApprovalREST) GetResetFieldsFilter() map[fieldpath.APIVersion]fieldpath.Filter {
	return r.strategy.GetResetFieldsFilter()
}
