// Command clientset-informer uses the generated clientset over protobuf, with a
// shared informer and its lister: it creates a JenkinsService through v1alpha,
// waits until the v1beta informer's cache has it, reads it from the lister,
// scales it, and deletes it.
//
//	go run ./clientset-informer -kubeconfig $KUBECONFIG -namespace team-a
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	cicdv1alpha "github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	cicdv1beta "github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/examples/internal/wire"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
)

const protobuf = "application/vnd.kubernetes.protobuf"

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the server")
	namespace := flag.String("namespace", "default", "namespace to work in")
	name := flag.String("name", "informer-example", "name of the JenkinsService to create")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, *name); err != nil {
		fmt.Fprintln(os.Stderr, "clientset-informer:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %q: %w", kubeconfig, err)
	}
	// Protobuf both ways: request bodies, responses, and the informer's watch.
	cfg.ContentType = protobuf
	cfg.AcceptContentTypes = protobuf
	counter := &wire.Counter{PathPrefix: "/apis/autobusi.group.cicd/"}
	cfg.Wrap(counter.Wrap)
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("clientset: %w", err)
	}

	factory := externalversions.NewSharedInformerFactoryWithOptions(cs, 0, externalversions.WithNamespace(ns))
	informer := factory.Cicd().V1beta().JenkinsServices()
	events := make(chan string, 16)
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { events <- "added " + obj.(*cicdv1beta.JenkinsService).Name },
		UpdateFunc: func(_, obj any) { events <- "updated " + obj.(*cicdv1beta.JenkinsService).Name },
		DeleteFunc: func(obj any) {
			if js, ok := obj.(*cicdv1beta.JenkinsService); ok {
				events <- "deleted " + js.Name
			}
		},
	}); err != nil {
		return fmt.Errorf("event handler: %w", err)
	}
	lister := informer.Lister()
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cache of %v did not sync", typ)
		}
	}
	defer cancel() // stop the informers before Shutdown waits for them

	// Create through v1alpha: two instances of two whole cores.
	created, err := cs.CicdV1alpha().JenkinsServices(ns).Create(ctx, &cicdv1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       cicdv1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 2},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	fmt.Printf("created %s/%s through v1alpha (approval %s)\n", ns, created.Name, created.Status.ApprovalStatus)

	// The v1beta informer sees it; the lister reads it from the cache, not the server.
	var cached *cicdv1beta.JenkinsService
	if err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		cached, err = lister.JenkinsServices(ns).Get(name)
		return err == nil, client(err)
	}); err != nil {
		return fmt.Errorf("waiting for %s in the lister: %w", name, err)
	}
	fmt.Printf("lister: %s replicas=%d cpu=%s memory=%s image=%s\n", cached.Name, *cached.Spec.Replicas,
		cached.Spec.Resources.CPU.String(), cached.Spec.Resources.Memory.String(), cached.Spec.Image)

	// Scale through the scale subresource (autoscaling/v1 Scale), then wait for the cache.
	scale, err := cs.CicdV1beta().JenkinsServices(ns).GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get scale: %w", err)
	}
	scale.Spec.Replicas = 3
	if _, err := cs.CicdV1beta().JenkinsServices(ns).UpdateScale(ctx, name, scale, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update scale: %w", err)
	}
	if err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		cached, err = lister.JenkinsServices(ns).Get(name)
		return err == nil && *cached.Spec.Replicas == 3, client(err)
	}); err != nil {
		return fmt.Errorf("waiting for replicas 3 in the lister: %w", err)
	}
	all, err := lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("lister list: %w", err)
	}
	fmt.Printf("lister: %s replicas=%d; %d JenkinsService(s) in %s\n", name, *cached.Spec.Replicas, len(all), ns)

	if err := cs.CicdV1beta().JenkinsServices(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	for want := "deleted " + name; ; {
		select {
		case e := <-events:
			fmt.Println("informer:", e)
			if e == want {
				fmt.Println("responses:", counter)
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for the informer's delete event: %w", ctx.Err())
		}
	}
}

// client ignores NotFound (not in the cache yet) and passes other errors on.
func client(err error) error {
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
