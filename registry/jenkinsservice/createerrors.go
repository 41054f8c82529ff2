package jenkinsservice

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Create is the store's create, after refusing a resourceVersion in the new
// object: the storage refuses it with a plain error, a 500 ("resourceVersion
// should not be set on objects to be created"), and a dry run not at all.
// "0" is what the storage takes for unset. (A server-side apply that creates
// goes through Update, where the storage ignores it, as before.)
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if m, err := meta.Accessor(obj); err == nil {
		if rv := m.GetResourceVersion(); rv != "" && rv != "0" {
			return nil, apierrors.NewInvalid(cicd.Kind("JenkinsService"), m.GetName(), field.ErrorList{
				field.Invalid(field.NewPath("metadata", "resourceVersion"), rv, "must not be set when creating an object"),
			})
		}
	}
	return r.Store.Create(ctx, obj, createValidation, options)
}
