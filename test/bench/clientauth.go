package main

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Client authentication of the workload's clients against a kube-apiserver
// (-client-auth). "token": a ServiceAccount token and an RBAC role for the
// resources the workload uses, as an in-cluster client has (kube-apiserver
// verifies a token once per 10 s and caches it; our server behind the
// aggregator asks it with SubjectAccessReviews). "cert": the admin's client
// certificate (system:masters), which kube-apiserver verifies on every
// request and which skips authorization.
const (
	clientAuthToken = "token"
	clientAuthCert  = "cert"

	benchClient = "bench-client"
)

// clientConfig returns the workload clients' config for the kube-apiserver
// that admin reaches as the admin.
func (e *environment) clientConfig(ctx context.Context, admin *rest.Config) (*rest.Config, error) {
	if e.o.clientAuth == clientAuthCert {
		return admin, nil
	}
	kube, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	const ns = "default"
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: benchClient}}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("service account: %w", err)
	}
	all := []string{"*"}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: benchClient},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"autobusi.group.cicd"}, Resources: all, Verbs: all},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: all},
		},
	}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("cluster role: %w", err)
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: benchClient},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: benchClient},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: benchClient, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("cluster role binding: %w", err)
	}
	exp := int64((e.o.timeout + time.Hour).Seconds())
	tr, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, benchClient, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	// RBAC takes effect when kube-apiserver's informers have the binding.
	user := "system:serviceaccount:" + ns + ":" + benchClient
	err = waitFor(ctx, time.Minute, 100*time.Millisecond, func() (bool, error) {
		r, err := kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group: "autobusi.group.cicd", Resource: "jenkinsservices", Verb: "list", Namespace: namespace,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		if !r.Status.Allowed {
			return false, fmt.Errorf("%s may not list jenkinsservices yet", user)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	cfg := rest.AnonymousClientConfig(admin) // QPS, timeouts and compression as the admin's
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}
