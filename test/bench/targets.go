package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// target is what the workload drives: one resource of one server (or raw
// etcd), in one version and encoding.
type target interface {
	// create creates object i.
	create(ctx context.Context, i int) error
	// get reads object i.
	get(ctx context.Context, i int) error
	// list lists one page (limit 0: everything), decoded; it returns the
	// number of items, the continue token and the list's resourceVersion.
	list(ctx context.Context, limit int64, cont string) (n int, next, rv string, err error)
	// update reads object i, changes its spec and writes it back, again on
	// conflict; it returns the written resourceVersion and the conflicts.
	update(ctx context.Context, i int) (rv string, conflicts int, err error)
	// watch watches the collection from rv; the channel carries the
	// resourceVersions of modifications and is closed when stop is called
	// or the watch ends.
	watch(ctx context.Context, rv string) (events <-chan string, stop func(), err error)
	// deleteCollection deletes every object.
	deleteCollection(ctx context.Context) error
}

const (
	// namespace is the default namespace of the objects; setups that share
	// a server use one each (setup.ns), so that their rounds can interleave.
	namespace = "bench"
	// maxAttempts bounds a read-modify-write's retries on conflict.
	maxAttempts = 200
)

func objName(i int) string { return fmt.Sprintf("js-%05d", i) }

func objMeta(ns string, i int) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      objName(i),
		Namespace: ns,
		Labels:    map[string]string{"app": "jenkins", "team": "team-" + strconv.Itoa(i%10), "bench": "cicd"},
		Annotations: map[string]string{
			"description": "benchmark JenkinsService " + strconv.Itoa(i) + ", one of the release trains",
		},
	}
}

// typedClient is the part of a generated typed client the workload uses.
type typedClient[T runtime.Object, L runtime.Object] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	Get(context.Context, string, metav1.GetOptions) (T, error)
	List(context.Context, metav1.ListOptions) (L, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
	DeleteCollection(context.Context, metav1.DeleteOptions, metav1.ListOptions) error
}

// typedTarget drives a typed clientset resource: ours in either version, the
// CRD through the same generated clientset, or Deployments.
type typedTarget[T runtime.Object, L runtime.Object] struct {
	client typedClient[T, L]
	newObj func(i int) T
	mutate func(T) // changes the spec
	items  func(L) int
}

func (t *typedTarget[T, L]) create(ctx context.Context, i int) error {
	_, err := t.client.Create(ctx, t.newObj(i), metav1.CreateOptions{})
	return err
}

func (t *typedTarget[T, L]) get(ctx context.Context, i int) error {
	_, err := t.client.Get(ctx, objName(i), metav1.GetOptions{})
	return err
}

func (t *typedTarget[T, L]) list(ctx context.Context, limit int64, cont string) (int, string, string, error) {
	l, err := t.client.List(ctx, metav1.ListOptions{Limit: limit, Continue: cont})
	if err != nil {
		return 0, "", "", err
	}
	lm, err := meta.ListAccessor(l)
	if err != nil {
		return 0, "", "", err
	}
	return t.items(l), lm.GetContinue(), lm.GetResourceVersion(), nil
}

func (t *typedTarget[T, L]) update(ctx context.Context, i int) (string, int, error) {
	conflicts := 0
	for attempt := 0; attempt < maxAttempts; attempt++ {
		obj, err := t.client.Get(ctx, objName(i), metav1.GetOptions{})
		if err != nil {
			return "", conflicts, err
		}
		t.mutate(obj)
		out, err := t.client.Update(ctx, obj, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			conflicts++
			continue
		}
		if err != nil {
			return "", conflicts, err
		}
		m, err := meta.Accessor(out)
		if err != nil {
			return "", conflicts, err
		}
		return m.GetResourceVersion(), conflicts, nil
	}
	return "", conflicts, fmt.Errorf("%s: still conflicting after %d attempts", objName(i), maxAttempts)
}

func (t *typedTarget[T, L]) watch(ctx context.Context, rv string) (<-chan string, func(), error) {
	w, err := t.client.Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		for ev := range w.ResultChan() {
			switch ev.Type {
			case watch.Modified:
				if m, err := meta.Accessor(ev.Object); err == nil {
					ch <- m.GetResourceVersion()
				}
			case watch.Error:
				return
			}
		}
	}()
	return ch, w.Stop, nil
}

func (t *typedTarget[T, L]) deleteCollection(ctx context.Context) error {
	return t.client.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
}

func newV1betaTarget(c typedClient[*v1beta.JenkinsService, *v1beta.JenkinsServiceList], ns string) target {
	return &typedTarget[*v1beta.JenkinsService, *v1beta.JenkinsServiceList]{
		client: c,
		newObj: func(i int) *v1beta.JenkinsService {
			return &v1beta.JenkinsService{
				ObjectMeta: objMeta(ns, i),
				Spec: v1beta.JenkinsServiceSpec{
					Replicas: ptr.To[int32](2),
					Resources: v1beta.JenkinsServiceResources{
						CPU:    ptr.To(resource.MustParse("1500m")),
						Memory: ptr.To(resource.MustParse("4Gi")),
					},
					Image: "jenkins/jenkins:2.462.3-lts",
				},
			}
		},
		mutate: func(o *v1beta.JenkinsService) {
			r := int32(1)
			if o.Spec.Replicas != nil {
				r = *o.Spec.Replicas%5 + 1
			}
			o.Spec.Replicas = &r
		},
		items: func(l *v1beta.JenkinsServiceList) int { return len(l.Items) },
	}
}

func newV1alphaTarget(c typedClient[*v1alpha.JenkinsService, *v1alpha.JenkinsServiceList], ns string) target {
	return &typedTarget[*v1alpha.JenkinsService, *v1alpha.JenkinsServiceList]{
		client: c,
		newObj: func(i int) *v1alpha.JenkinsService {
			return &v1alpha.JenkinsService{
				ObjectMeta: objMeta(ns, i),
				Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 2},
			}
		},
		mutate: func(o *v1alpha.JenkinsService) { o.Spec.InstanceAmount = o.Spec.InstanceAmount%5 + 1 },
		items:  func(l *v1alpha.JenkinsServiceList) int { return len(l.Items) },
	}
}

// newDeploymentTarget drives Deployments of about the same size; there is no
// controller manager, so they stay as written.
func newDeploymentTarget(c typedClient[*appsv1.Deployment, *appsv1.DeploymentList], ns string) target {
	return &typedTarget[*appsv1.Deployment, *appsv1.DeploymentList]{
		client: c,
		newObj: func(i int) *appsv1.Deployment {
			m := objMeta(ns, i)
			return &appsv1.Deployment{
				ObjectMeta: m,
				Spec: appsv1.DeploymentSpec{
					Replicas: ptr.To[int32](2),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "jenkins", "instance": m.Name}},
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "jenkins", "instance": m.Name}},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{
							Name:  "jenkins",
							Image: "jenkins/jenkins:2.462.3-lts",
							Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
								corev1.ResourceCPU:    resource.MustParse("1500m"),
								corev1.ResourceMemory: resource.MustParse("4Gi"),
							}},
						}}},
					},
				},
			}
		},
		mutate: func(o *appsv1.Deployment) {
			r := int32(1)
			if o.Spec.Replicas != nil {
				r = *o.Spec.Replicas%5 + 1
			}
			o.Spec.Replicas = &r
		},
		items: func(l *appsv1.DeploymentList) int { return len(l.Items) },
	}
}

// waitFor polls cond every interval until it is true or timeout passes.
func waitFor(ctx context.Context, timeout, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s: %v", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
