package jenkinsservice

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// approvalRequest refuses an approval whose body has more than one Approved
// condition: which of them is "its Approved condition" (API.md) is anyone's
// guess, and the approval strategy took the first in silence (200 with
// True, then False). The status subresource refuses duplicates too.
type approvalRequest struct {
	rest.UpdatedObjectInfo
}

func (r approvalRequest) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	obj, err := r.UpdatedObjectInfo.UpdatedObject(ctx, oldObj)
	if err != nil {
		return obj, err
	}
	js, ok := obj.(*cicd.JenkinsService)
	if !ok {
		return obj, nil
	}
	var errs field.ErrorList
	seen := false
	for i, c := range js.Status.Conditions {
		if c.Type != cicd.ConditionApproved {
			continue
		}
		if seen {
			errs = append(errs, field.Duplicate(field.NewPath("status", "conditions").Index(i), c.Type))
		}
		seen = true
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(cicd.Kind("JenkinsService"), js.Name, forRequestVersion(ctx, errs, js))
	}
	return obj, nil
}
