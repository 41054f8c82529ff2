package jenkinsservice

import (
	"context"
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

// requestErrors makes an error in computing the updated object from the request
// (applying the client's patch or apply configuration to the stored object)
// reach the client as 400 Bad Request. k8s.io/apiserver passes some such errors
// on as plain errors, which become 500 Internal Server Error: a strategic merge
// patch with an unknown $patch directive or a list entry without its merge key,
// and a server-side apply of a field the schema does not have. Errors that carry
// a status already (409, 422, admission's 403, ...) and the request's own end
// (timeout, cancellation) pass unchanged.
type requestErrors struct {
	rest.UpdatedObjectInfo
}

func (r requestErrors) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	obj, err := updatedObject(ctx, r.UpdatedObjectInfo, oldObj)
	if err == nil || ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return obj, err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return obj, err
	}
	return obj, apierrors.NewBadRequest(err.Error())
}

// Update is the store's update, with requestErrors.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.Store.Update(ctx, name, requestErrors{objInfo}, createValidation, updateValidation, forceAllowCreate, options)
}
