// Package allnames asks the authorizer first whether a user may act on every
// object of a resource, and only when not, on the one object the request
// names.
//
// Behind the aggregator every request is authorized again by a
// SubjectAccessReview to kube-apiserver, and the delegating authorizer caches
// decisions by their whole attributes, the object's name included: a client
// that reads many objects misses the cache on each, and each miss costs a
// review round trip through kube-apiserver. In a review an empty name means
// all names, so when the user may act on all of them the answer for one name
// is the same, and it is cached once per user, verb, resource and namespace.
// A user allowed only on some names (RBAC resourceNames) gets the review of
// the name as before.
package allnames

import (
	"context"

	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// Wrap returns an authorizer that allows a request naming an object when a
// allows the same request for all names, and otherwise answers as a does
// for the request itself. nil stays nil.
func Wrap(a authorizer.Authorizer) authorizer.Authorizer {
	if a == nil {
		return nil
	}
	return allNames{a}
}

type allNames struct {
	delegate authorizer.Authorizer
}

func (w allNames) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if attrs.IsResourceRequest() && attrs.GetName() != "" {
		if d, reason, err := w.delegate.Authorize(ctx, withoutName{attrs}); err == nil && d == authorizer.DecisionAllow {
			return d, reason, nil
		}
	}
	return w.delegate.Authorize(ctx, attrs)
}

// ConditionsAwareAuthorize does the same for callers that take conditional
// decisions: only an unconditional allow for all names answers for the name.
func (w allNames) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	if attrs.IsResourceRequest() && attrs.GetName() != "" {
		if d := w.delegate.ConditionsAwareAuthorize(ctx, withoutName{attrs}); d.IsAllow() && d.Error() == nil {
			return d
		}
	}
	return w.delegate.ConditionsAwareAuthorize(ctx, attrs)
}

// EvaluateConditions is the delegate's: the conditional decisions it
// evaluates are always its own for the request itself.
func (w allNames) EvaluateConditions(ctx context.Context, d authorizer.ConditionsAwareDecision, data authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return w.delegate.EvaluateConditions(ctx, d, data)
}

// withoutName is attrs for all names.
type withoutName struct {
	authorizer.Attributes
}

func (withoutName) GetName() string { return "" }
