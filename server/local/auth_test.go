package local

import (
	"context"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func TestLocalAuthorizer(t *testing.T) {
	tests := []struct {
		name string
		user user.Info
		want authorizer.Decision
	}{
		{"admin", &user.DefaultInfo{Name: "admin", Groups: []string{user.SystemPrivilegedGroup}}, authorizer.DecisionAllow},
		{"loopback", &user.DefaultInfo{Name: user.APIServerUser, Groups: []string{user.AllAuthenticated, user.SystemPrivilegedGroup}}, authorizer.DecisionAllow},
		{"other group", &user.DefaultInfo{Name: "bob", Groups: []string{"devs", user.AllAuthenticated}}, authorizer.DecisionDeny},
		{"no groups", &user.DefaultInfo{Name: "masters"}, authorizer.DecisionDeny},
		{"anonymous", &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}, authorizer.DecisionDeny},
		{"no user", nil, authorizer.DecisionDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := authorizer.AttributesRecord{User: tt.user, Verb: "create", APIGroup: "autobusi.group.cicd",
				Resource: "jenkinsservices", Namespace: "default", ResourceRequest: true}
			got, reason, err := mastersOnly.Authorize(context.Background(), attrs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("decision = %v, want %v", got, tt.want)
			}
			if got == authorizer.DecisionDeny && reason == "" {
				t.Errorf("a denial needs a reason")
			}
			if cond := mastersOnly.ConditionsAwareAuthorize(context.Background(), attrs); cond.IsAllow() != (tt.want == authorizer.DecisionAllow) {
				t.Errorf("conditions-aware decision disagrees")
			}
		})
	}
}
