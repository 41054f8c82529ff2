package allnames

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// rbacLike allows bob everything on jenkinsservices, and carol get on the
// object "a" only, as RBAC does with and without resourceNames; it records
// the names it was asked about.
type rbacLike struct {
	asked []string
	err   error
}

func (r *rbacLike) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	r.asked = append(r.asked, a.GetName())
	if r.err != nil {
		return authorizer.DecisionNoOpinion, "", r.err
	}
	switch {
	case !a.IsResourceRequest():
		return authorizer.DecisionNoOpinion, "", nil
	case a.GetUser().GetName() == "bob":
		return authorizer.DecisionAllow, "bob may", nil
	case a.GetUser().GetName() == "carol" && a.GetName() == "a" && a.GetVerb() == "get":
		return authorizer.DecisionAllow, "carol may get a", nil
	case a.GetUser().GetName() == "mallory":
		return authorizer.DecisionDeny, "never mallory", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func (r *rbacLike) ConditionsAwareAuthorize(ctx context.Context, a authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(r.Authorize(ctx, a))
}

func (r *rbacLike) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func attrs(userName, verb, name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{
		User: &user.DefaultInfo{Name: userName}, Verb: verb, APIGroup: "autobusi.group.cicd",
		Resource: "jenkinsservices", Namespace: "ns", Name: name, ResourceRequest: true,
	}
}

func TestAuthorize(t *testing.T) {
	cases := []struct {
		name   string
		attrs  authorizer.AttributesRecord
		err    error
		want   authorizer.Decision
		reason string
		asked  []string // the names the delegate was asked about, in order
	}{
		{"allowed on all names: one question, without the name", attrs("bob", "get", "x"), nil, authorizer.DecisionAllow, "bob may", []string{""}},
		{"allowed on this name only: asked again with it", attrs("carol", "get", "a"), nil, authorizer.DecisionAllow, "carol may get a", []string{"", "a"}},
		{"not allowed on this name: the answer for the name", attrs("carol", "get", "b"), nil, authorizer.DecisionNoOpinion, "", []string{"", "b"}},
		{"not allowed on this verb", attrs("carol", "delete", "a"), nil, authorizer.DecisionNoOpinion, "", []string{"", "a"}},
		{"denied: the answer for the name", attrs("mallory", "get", "a"), nil, authorizer.DecisionDeny, "never mallory", []string{"", "a"}},
		{"no name (list, create): asked as is", attrs("bob", "list", ""), nil, authorizer.DecisionAllow, "bob may", []string{""}},
		{"an error for all names: asked with the name, its error returned", attrs("bob", "get", "x"), errors.New("webhook down"), authorizer.DecisionNoOpinion, "", []string{"", "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(how string, r *rbacLike, d authorizer.Decision, reason string, err error) {
				t.Helper()
				if d != c.want || reason != c.reason {
					t.Errorf("%s: decision %v %q, want %v %q", how, d, reason, c.want, c.reason)
				}
				if (err != nil) != (c.err != nil) {
					t.Errorf("%s: error %v, want %v", how, err, c.err)
				}
				if fmt.Sprint(r.asked) != fmt.Sprint(c.asked) {
					t.Errorf("%s: asked about %q, want %q", how, r.asked, c.asked)
				}
			}
			r := &rbacLike{err: c.err}
			d, reason, err := Wrap(r).Authorize(context.Background(), c.attrs)
			check("Authorize", r, d, reason, err)

			r = &rbacLike{err: c.err}
			cd := Wrap(r).ConditionsAwareAuthorize(context.Background(), c.attrs)
			if !cd.IsUnconditional() {
				t.Fatalf("ConditionsAwareAuthorize: a conditional decision %v", cd)
			}
			d = authorizer.DecisionNoOpinion
			switch {
			case cd.IsAllow():
				d = authorizer.DecisionAllow
			case cd.IsDeny():
				d = authorizer.DecisionDeny
			}
			check("ConditionsAwareAuthorize", r, d, cd.Reason(), cd.Error())
		})
	}
}

func TestNonResourceRequestAskedAsIs(t *testing.T) {
	r := &rbacLike{}
	a := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "bob"}, Verb: "get", Path: "/healthz", Name: "ignored"}
	if _, _, err := Wrap(r).Authorize(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if len(r.asked) != 1 || r.asked[0] != "ignored" {
		t.Errorf("asked about %q, want once, as is", r.asked)
	}
}

func TestWrapNil(t *testing.T) {
	if Wrap(nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}
