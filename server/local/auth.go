package local

import (
	"context"
	"fmt"
	"os"

	"k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// mastersOnly is local mode's authorizer: members of system:masters may
// do everything, everyone else nothing (403). The generic server's loopback
// client authenticates as system:apiserver in system:masters, so it is
// allowed too.
var mastersOnly authorizer.Authorizer = authorizer.AuthorizerFunc(authorizeMasters)

func authorizeMasters(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	u := a.GetUser()
	if u == nil {
		return authorizer.DecisionDeny, "no user", nil
	}
	for _, g := range u.GetGroups() {
		if g == user.SystemPrivilegedGroup {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionDeny, fmt.Sprintf("local mode allows only the group %s", user.SystemPrivilegedGroup), nil
}

// applyAuth makes the server ask for client certificates signed by
// caFile, take the user from them (CN the name, O the groups), refuse every
// other request with 401 (no anonymous user), and authorize with
// mastersOnly. The loopback token is added by Complete.
func applyAuth(c *genericapiserver.Config, caFile string) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	ca, err := dynamiccertificates.NewStaticCAContent("local-client-ca", caPEM)
	if err != nil {
		return err
	}
	if err := c.Authentication.ApplyClientCert(ca, c.SecureServing); err != nil {
		return err
	}
	c.Authentication.Authenticator = newCertCache(x509.NewDynamic(ca.VerifyOptions, x509.CommonNameUserConversion))
	c.Authorization.Authorizer = mastersOnly
	return nil
}
