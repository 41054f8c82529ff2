//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

var nsCounter atomic.Int64

// testNamespace creates a namespace of the test's own; when the test ends it
// is deleted and, so that the next test starts below the servers'
// --max-jenkinsservices, waited for until it is gone.
func testNamespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(t.Name())
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("e2e-%s-%d", strings.Trim(name, "-"), nsCounter.Add(1))
	ctx := testContext(t, time.Minute)
	if _, err := env.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() { deleteNamespaceAndWait(t, name) })
	return name
}

func deleteNamespaceAndWait(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := env.kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Errorf("deleting namespace %s: %v", name, err)
		return
	}
	if err := waitNamespaceGone(ctx, name, 2*time.Minute); err != nil {
		t.Errorf("%v", err)
	}
}

func waitNamespaceGone(ctx context.Context, name string, timeout time.Duration) error {
	var last *corev1.Namespace
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ns, err := env.kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = ns
		}
		return false, nil
	})
	if err != nil {
		if last != nil {
			return fmt.Errorf("namespace %s not gone within %s: phase %s, conditions %+v", name, timeout, last.Status.Phase, last.Status.Conditions)
		}
		return fmt.Errorf("namespace %s not gone within %s: %v", name, timeout, err)
	}
	return nil
}

// jenkinsService is a valid v1beta JenkinsService.
func jenkinsService(ns, name string, replicas int32) *v1beta.JenkinsService {
	cpu, mem := resource.MustParse("1500m"), resource.MustParse("4Gi")
	return &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1beta.JenkinsServiceSpec{
			Replicas:  ptr.To(replicas),
			Resources: v1beta.JenkinsServiceResources{CPU: &cpu, Memory: &mem},
			Image:     "jenkins/jenkins:2.462.3-lts",
		},
	}
}

// countAll counts the JenkinsServices in the whole system.
func countAll(ctx context.Context) (int, error) {
	l, err := env.js.CicdV1beta().JenkinsServices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// waitNoJenkinsServices waits until no JenkinsService is left from earlier
// tests (their namespaces are deleted asynchronously).
func waitNoJenkinsServices(t *testing.T, ctx context.Context) {
	t.Helper()
	var n int
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		n, err = countAll(ctx)
		return err == nil && n == 0, nil
	})
	if err != nil {
		t.Fatalf("%d JenkinsServices left from earlier tests: %v", n, err)
	}
}

// grant binds a Role with rules in ns to the user.
func grant(t *testing.T, ctx context.Context, ns, name, userName string, rules ...rbacv1.PolicyRule) {
	t.Helper()
	if _, err := env.kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      rules,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Role %s/%s: %v", ns, name, err)
	}
	if _, err := env.kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: userName}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating RoleBinding %s/%s: %v", ns, name, err)
	}
}

// clientsFor are the clients of a user.
func clientsFor(t *testing.T, u *user) (versioned.Interface, kubernetes.Interface) {
	t.Helper()
	js, err := versioned.NewForConfig(u.config())
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(u.config())
	if err != nil {
		t.Fatal(err)
	}
	return js, kube
}

func mustUser(t *testing.T, name string, groups ...string) *user {
	t.Helper()
	u, err := newUser(name, groups...)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// approvedCondition is the Approved condition of a v1beta JenkinsService.
func approvedCondition(js *v1beta.JenkinsService) *metav1.Condition {
	for i := range js.Status.Conditions {
		if js.Status.Conditions[i].Type == "Approved" {
			return &js.Status.Conditions[i]
		}
	}
	return nil
}
