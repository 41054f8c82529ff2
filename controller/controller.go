// Package controller is the reconciler of JenkinsServices: an approved one
// becomes a StatefulSet and two Services, and its status says how many of its
// instances run. It has the shape of kube-controller-manager's controllers:
// informers whose handlers enqueue keys, a rate-limited workqueue, workers that
// call sync with a key, and a pure function (Reconcile) from what is observed
// to what is applied.
package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	cicdinformers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions/cicd/v1beta"
	cicdlisters "github.com/autobusi/cicd-apiserver/generated/listers/cicd/v1beta"
)

// Controller reconciles JenkinsServices.
type Controller struct {
	kube kubernetes.Interface
	cicd versioned.Interface

	jsLister  cicdlisters.JenkinsServiceLister
	ssLister  appslisters.StatefulSetLister
	svcLister corelisters.ServiceLister
	podLister corelisters.PodLister
	// The metadata of the StatefulSets and Services without the
	// controller's label: the listers above hold only those with it.
	ssNames, svcNames cache.GenericLister
	synced            []cache.InformerSynced

	queue    workqueue.TypedRateLimitingInterface[string]
	recorder events.EventRecorder
	homeSize resource.Quantity
}

// Informers are what the controller reads. StatefulSets and Services
// should hold only what carries LabelManagedBy=ManagedBy, Pods what carries
// LabelName=AppName; StatefulSetNames and
// ServiceNames the metadata of every other StatefulSet and Service, so that
// one of a child's name made by someone else is seen and left alone.
type Informers struct {
	JenkinsServices  cicdinformers.JenkinsServiceInformer
	StatefulSets     appsinformers.StatefulSetInformer
	Services         coreinformers.ServiceInformer
	Pods             coreinformers.PodInformer
	StatefulSetNames informers.GenericInformer
	ServiceNames     informers.GenericInformer
}

// New wires the informers' handlers to the queue.
func New(kube kubernetes.Interface, cicdClient versioned.Interface, inf Informers,
	recorder events.EventRecorder, homeSize resource.Quantity,
) (*Controller, error) {
	c := &Controller{
		kube:      kube,
		cicd:      cicdClient,
		jsLister:  inf.JenkinsServices.Lister(),
		ssLister:  inf.StatefulSets.Lister(),
		svcLister: inf.Services.Lister(),
		podLister: inf.Pods.Lister(),
		ssNames:   inf.StatefulSetNames.Lister(),
		svcNames:  inf.ServiceNames.Lister(),
		synced: []cache.InformerSynced{
			inf.JenkinsServices.Informer().HasSynced, inf.StatefulSets.Informer().HasSynced,
			inf.Services.Informer().HasSynced, inf.Pods.Informer().HasSynced,
			inf.StatefulSetNames.Informer().HasSynced, inf.ServiceNames.Informer().HasSynced,
		},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "jenkinsservice"}),
		recorder: recorder,
		homeSize: homeSize,
	}
	if _, err := inf.JenkinsServices.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj any) { c.enqueue(obj) },
		DeleteFunc: c.enqueue,
	}); err != nil {
		return nil, fmt.Errorf("JenkinsService event handler: %w", err)
	}
	handlers := map[string]struct {
		inf cache.SharedIndexInformer
		on  func(any)
	}{
		"StatefulSet": {inf.StatefulSets.Informer(), c.enqueueOwner}, "Service": {inf.Services.Informer(), c.enqueueService},
		"Pod":                  {inf.Pods.Informer(), c.enqueueOwner},
		"StatefulSet metadata": {inf.StatefulSetNames.Informer(), c.enqueueNamed(false)},
		"Service metadata":     {inf.ServiceNames.Informer(), c.enqueueNamed(true)},
	}
	for what, h := range handlers {
		if _, err := h.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    h.on,
			UpdateFunc: func(_, obj any) { h.on(obj) },
			DeleteFunc: h.on,
		}); err != nil {
			return nil, fmt.Errorf("%s event handler: %w", what, err)
		}
	}
	return c, nil
}

func (c *Controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
}

// enqueueOwner enqueues the JenkinsService a child belongs to: the one its
// instance label names (Pods are the StatefulSet's, not the JenkinsService's).
func (c *Controller) enqueueOwner(obj any) {
	m, ok := metaOf(obj)
	if !ok {
		return
	}
	if name := m.GetLabels()[cicd.LabelInstance]; name != "" {
		c.queue.Add(m.GetNamespace() + "/" + name)
	}
}

// enqueueNamed enqueues the JenkinsService whose child's name an object
// without the controller's label has (a Service's may be <name>-headless):
// its coming and going decides whether that JenkinsService can run.
func (c *Controller) enqueueNamed(service bool) func(any) {
	return func(obj any) {
		m, ok := metaOf(obj)
		if !ok || m.GetLabels()[cicd.LabelManagedBy] == cicd.ManagedBy {
			return // the label-filtered informers bring the controller's own
		}
		c.queue.Add(m.GetNamespace() + "/" + m.GetName())
		if name, ok := strings.CutSuffix(m.GetName(), headlessSuffix); service && ok {
			c.queue.Add(m.GetNamespace() + "/" + name)
		}
	}
}

// metaOf is the metadata of an informer's object, a deleted one's too.
func metaOf(obj any) (metav1.Object, bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return nil, false
	}
	return m, true
}

// Run waits for the caches, then runs workers until ctx is done, and returns
// once they have finished what they were doing.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	logger := klog.FromContext(ctx)
	logger.Info("Starting the JenkinsService controller", "workers", workers)
	defer logger.Info("Stopped the JenkinsService controller")

	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		c.queue.ShutDown()
		return
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, c.worker, time.Second) })
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)

	start := time.Now()
	err := c.sync(ctx, key)
	observeSync(time.Since(start), err)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	if apierrors.IsConflict(err) {
		// A status write raced a newer object, which the informer brings.
		klog.FromContext(ctx).V(2).Info("The JenkinsService changed while syncing; retrying", "key", key, "err", err)
	} else {
		utilruntime.HandleErrorWithContext(ctx, err, "Syncing the JenkinsService failed; retrying", "key", key)
	}
	c.queue.AddRateLimited(key)
	return true
}

// sync reconciles the JenkinsService of key: it reads from the listers, plans
// with Reconcile, applies or deletes what the plan says and writes the status
// when it changed.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleError(err)
		return nil // a malformed key never becomes valid
	}
	js, err := c.jsLister.JenkinsServices(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil // deleted: the garbage collector removes what it owned
	}
	if err != nil {
		return fmt.Errorf("reading JenkinsService %s: %w", key, err)
	}
	if js.DeletionTimestamp != nil {
		return nil
	}
	obs, err := c.observe(js)
	if err != nil {
		return err
	}
	plan := Reconcile(js, obs, c.homeSize)
	if plan.Problem != "" {
		c.event(js, corev1.EventTypeWarning, meta.FindStatusCondition(plan.Status.Conditions, cicd.ConditionReady).Reason, "Reconcile", plan.Problem)
	}
	actErr := c.act(ctx, js, plan)
	statusErr := c.writeStatus(ctx, js, plan.Status)
	if actErr != nil {
		return actErr
	}
	return statusErr
}

// observe reads the children of js from the listers. A name that the
// label-filtered listers lack may still be taken: by an object of someone
// else's, observed as such (its metadata only) to be left alone, or by one of
// js's own that lost the label, observed as Unlabelled.
func (c *Controller) observe(js *v1beta.JenkinsService) (Observed, error) {
	obs := Observed{Services: map[string]*corev1.Service{}}
	ss, err := c.ssLister.StatefulSets(js.Namespace).Get(js.Name)
	if apierrors.IsNotFound(err) {
		var m *metav1.ObjectMeta
		if m, err = c.unlabelled(c.ssNames, js, "StatefulSet", js.Name, &obs); m != nil {
			ss = &appsv1.StatefulSet{ObjectMeta: *m}
		}
	}
	switch {
	case err == nil:
		obs.StatefulSet = ss
	case !apierrors.IsNotFound(err):
		return obs, fmt.Errorf("reading StatefulSet %s/%s: %w", js.Namespace, js.Name, err)
	}
	for _, n := range []string{js.Name, headlessName(js.Name)} {
		svc, err := c.svcLister.Services(js.Namespace).Get(n)
		if apierrors.IsNotFound(err) {
			var m *metav1.ObjectMeta
			if m, err = c.unlabelled(c.svcNames, js, "Service", n, &obs); m != nil {
				svc = &corev1.Service{ObjectMeta: *m}
			}
		}
		switch {
		case err == nil:
			obs.Services[n] = svc
		case !apierrors.IsNotFound(err):
			return obs, fmt.Errorf("reading Service %s/%s: %w", js.Namespace, n, err)
		}
	}
	if obs.Pods, err = c.podLister.Pods(js.Namespace).List(labels.SelectorFromSet(cicd.SelectorLabels(js.Name))); err != nil {
		return obs, fmt.Errorf("listing the Pods of %s/%s: %w", js.Namespace, js.Name, err)
	}
	return obs, nil
}

// unlabelled looks up name among the objects without the controller's label.
// One of someone else's is returned (its metadata) to be observed as foreign;
// one of js's own is added to obs.Unlabelled and reported NotFound, as is no
// object at all.
func (c *Controller) unlabelled(l cache.GenericLister, js *v1beta.JenkinsService, kind, name string, obs *Observed) (*metav1.ObjectMeta, error) {
	obj, err := l.ByNamespace(js.Namespace).Get(name)
	if err != nil {
		return nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	if ownedBy(m.GetOwnerReferences(), js.UID) {
		obs.Unlabelled = append(obs.Unlabelled, Child{Kind: kind, Name: name, UID: m.GetUID()})
		return nil, apierrors.NewNotFound(schema.GroupResource{}, name)
	}
	return &metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
		Labels: m.GetLabels(), OwnerReferences: m.GetOwnerReferences()}, nil
}

// act applies and deletes what the plan says, with an Event for each.
func (c *Controller) act(ctx context.Context, js *v1beta.JenkinsService, plan Plan) error {
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	var errs []error
	if ss := plan.StatefulSet; ss != nil {
		s := specOf(js)
		if _, err := c.kube.AppsV1().StatefulSets(js.Namespace).Apply(ctx, ss, opts); err != nil {
			errs = append(errs, c.failed(js, "StatefulSet", *ss.Name, "Apply", err))
		} else {
			countWrite("StatefulSet", "apply")
			c.event(js, corev1.EventTypeNormal, "Applied", "Apply",
				fmt.Sprintf("StatefulSet %s: %d replicas of %s, %s CPU and %s memory each", *ss.Name, s.replicas, s.image, s.cpu.String(), s.memory.String()))
		}
	}
	for _, svc := range plan.Services {
		if _, err := c.kube.CoreV1().Services(js.Namespace).Apply(ctx, svc, opts); err != nil {
			errs = append(errs, c.failed(js, "Service", *svc.Name, "Apply", err))
		} else {
			countWrite("Service", "apply")
			c.event(js, corev1.EventTypeNormal, "Applied", "Apply", "Service "+*svc.Name)
		}
	}
	for _, child := range plan.Delete {
		del := metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(child.UID))}
		var err error
		switch child.Kind {
		case "StatefulSet":
			err = c.kube.AppsV1().StatefulSets(js.Namespace).Delete(ctx, child.Name, del)
		case "Service":
			err = c.kube.CoreV1().Services(js.Namespace).Delete(ctx, child.Name, del)
		}
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, c.failed(js, child.Kind, child.Name, "Delete", err))
		default:
			countWrite(child.Kind, "delete")
			c.event(js, corev1.EventTypeNormal, "Deleted", "Delete",
				fmt.Sprintf("%s %s: the JenkinsService is not approved (volumes are kept)", child.Kind, child.Name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reconciling JenkinsService %s/%s: %w", js.Namespace, js.Name, errors.Join(errs...))
	}
	return nil
}

func (c *Controller) failed(js *v1beta.JenkinsService, kind, name, action string, err error) error {
	c.event(js, corev1.EventTypeWarning, action+"Failed", action, fmt.Sprintf("%s %s: %v", kind, name, err))
	return fmt.Errorf("%s %s %s: %w", action, kind, name, err)
}

// writeStatus writes status through the status subresource when it differs
// from what js shows, and records the Ready condition's changes as Events.
func (c *Controller) writeStatus(ctx context.Context, js *v1beta.JenkinsService, status v1beta.JenkinsServiceStatus) error {
	if equality.Semantic.DeepEqual(js.Status, status) {
		return nil
	}
	updated := js.DeepCopy()
	updated.Status = status
	if _, err := c.cicd.CicdV1beta().JenkinsServices(js.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			// The informer brings the newer object (or its deletion) and the
			// key back; no Event for what is not a failure.
			return fmt.Errorf("writing the status of JenkinsService %s/%s: %w", js.Namespace, js.Name, err)
		}
		return c.failed(js, "JenkinsService", js.Name, "UpdateStatus", err)
	}
	countWrite("JenkinsService", "updateStatus")
	old, now := meta.FindStatusCondition(js.Status.Conditions, cicd.ConditionReady), meta.FindStatusCondition(status.Conditions, cicd.ConditionReady)
	if now != nil && (old == nil || old.Status != now.Status || old.Reason != now.Reason) {
		c.event(js, corev1.EventTypeNormal, now.Reason, "UpdateStatus", fmt.Sprintf("Ready=%s: %s", now.Status, now.Message))
	}
	return nil
}

func (c *Controller) event(js *v1beta.JenkinsService, eventType, reason, action, note string) {
	c.recorder.Eventf(js, nil, eventType, reason, action, "%s", note)
}

// waitForCaches reports whether the informers synced before ctx was done.
func (c *Controller) waitForCaches(ctx context.Context) bool {
	return cache.WaitForCacheSync(ctx.Done(), c.synced...)
}
