package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage"
	scalescheme "k8s.io/client-go/scale/scheme"
	"k8s.io/klog/v2"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// updatedObject computes the updated object of a request (a patch applied,
// admission's mutations) and answers what the libraries get wrong about it.
//
// A panic there is a patch the libraries could not apply (json-patch and
// strategic merge patch assert types of the client's input); server/filters
// refuses the known ones before. This is the last resort: without it the
// generic server recovers far up the chain and resets the client's
// connection. The request changes nothing, so a 400 is the honest answer.
func updatedObject(ctx context.Context, info interface {
	UpdatedObject(context.Context, runtime.Object) (runtime.Object, error)
}, oldObj runtime.Object) (obj runtime.Object, err error) {
	defer func() {
		if p := recover(); p != nil {
			klog.FromContext(ctx).V(2).Info("Refused a request whose update the libraries could not compute", "panic", p)
			obj, err = nil, apierrors.NewBadRequest(fmt.Sprintf("the request cannot be applied to the object: %v", p))
		}
	}()
	obj, err = info.UpdatedObject(ctx, oldObj)
	if err != nil {
		return obj, err
	}
	return obj, checkResourceVersion(obj)
}

// checkResourceVersion refuses a resourceVersion in the body that is not one
// (the storage's versioner would fail with a plain error, a 500).
func checkResourceVersion(obj runtime.Object) error {
	if obj == nil {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	rv := m.GetResourceVersion()
	if rv == "" {
		return nil
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
		kind := obj.GetObjectKind().GroupVersionKind().GroupKind()
		switch obj.(type) {
		case *cicd.JenkinsService:
			kind = cicd.Kind("JenkinsService")
		case *scalescheme.Scale:
			kind = scalescheme.SchemeGroupVersion.WithKind("Scale").GroupKind()
		}
		return apierrors.NewInvalid(kind, m.GetName(), field.ErrorList{
			field.Invalid(field.NewPath("metadata", "resourceVersion"), rv, "must be a non-negative integer"),
		})
	}
	return nil
}

// statusStorage is the store's storage with storageErrors on its writes.
type statusStorage struct {
	storage.Interface
}

func (s statusStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	return timeoutErrors(ctx, storageErrors(s.Interface.Create(ctx, key, obj, out, ttl)))
}

func (s statusStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	return timeoutErrors(ctx, storageErrors(s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject)))
}

func (s statusStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	return timeoutErrors(ctx, s.Interface.Get(ctx, key, opts, objPtr))
}

func (s statusStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	return timeoutErrors(ctx, s.Interface.GetList(ctx, key, opts, listObj))
}

// timeoutErrors answers a request that ran out of the request's time (etcd
// away) with 504, as the generic server's timeout filter would: the
// handler's own answer then reaches the client before the filter's timer,
// instead of a reset stream when the two race (server/filters).
func timeoutErrors(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		grpcstatus.Code(err) == codes.DeadlineExceeded || grpcstatus.Code(err) == codes.Canceled {
		return apierrors.NewTimeoutError(fmt.Sprintf("the storage did not answer in time: %v", err), 0)
	}
	return err
}

// storageErrors answers the errors of a write that are the size of the
// object, not the server's fault, with 413: the API status that the size
// limit's value transformer returns (storage wraps it as an internal error,
// a 500), and etcd's own refusals when its limit is lower than the server
// was told.
func storageErrors(err error) error {
	if err == nil {
		return nil
	}
	var internal storage.InternalError
	var status apierrors.APIStatus
	if errors.As(err, &internal) && errors.As(err, &status) {
		if se, ok := status.(error); ok {
			return se
		}
	}
	if grpcstatus.Code(err) == codes.ResourceExhausted || strings.Contains(err.Error(), "etcdserver: request is too large") {
		return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("the object is too large for the storage: %v", err))
	}
	return err
}
