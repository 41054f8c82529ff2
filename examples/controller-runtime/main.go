// Command controller-runtime uses a controller-runtime client over protobuf with
// server-side apply. Protobuf is switched on per type with
// apiutil.AddToProtobufScheme, not with rest.Config.ContentType: controller-runtime
// sends apply requests as JSON and refuses an apply response in any other content
// type, so a ContentType of protobuf for the whole config breaks Apply.
//
//	go run ./controller-runtime -kubeconfig $KUBECONFIG -namespace team-a
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	cicdv1alpha "github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	cicdv1beta "github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/examples/internal/wire"
	applyv1beta "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1beta"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the server")
	namespace := flag.String("namespace", "default", "namespace to work in")
	name := flag.String("name", "ssa-example", "name of the JenkinsService to apply")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, *name); err != nil {
		fmt.Fprintln(os.Stderr, "controller-runtime:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{cicdv1alpha.AddToScheme, cicdv1beta.AddToScheme} {
		if err := add(scheme); err != nil {
			return fmt.Errorf("scheme: %w", err)
		}
		// Typed reads and writes of these kinds go in protobuf.
		if err := apiutil.AddToProtobufScheme(add); err != nil {
			return fmt.Errorf("protobuf scheme: %w", err)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %q: %w", kubeconfig, err)
	}
	counter := &wire.Counter{PathPrefix: "/apis/autobusi.group.cicd/"}
	cfg.Wrap(counter.Wrap)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}

	// Server-side apply: this manager owns replicas and image, nothing else.
	desired := applyv1beta.JenkinsService(name, ns).
		WithSpec(applyv1beta.JenkinsServiceSpec().WithReplicas(2).WithImage("jenkins/jenkins:2.462.3-lts"))
	owner := client.FieldOwner("controller-runtime-example")
	if err := c.Apply(ctx, desired, owner, client.ForceOwnership); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	var js cicdv1beta.JenkinsService
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &js); err != nil {
		return fmt.Errorf("get: %w", err)
	}
	fmt.Printf("applied %s/%s: replicas=%d image=%s resourceVersion=%s\n", ns, name, ptr.Deref(js.Spec.Replicas, -1),
		js.Spec.Image, js.ResourceVersion)

	// The same apply again changes nothing, not even the resourceVersion.
	again := applyv1beta.JenkinsService(name, ns).
		WithSpec(applyv1beta.JenkinsServiceSpec().WithReplicas(2).WithImage("jenkins/jenkins:2.462.3-lts"))
	if err := c.Apply(ctx, again, owner, client.ForceOwnership); err != nil {
		return fmt.Errorf("apply again: %w", err)
	}
	fmt.Printf("applied again: resourceVersion=%s (unchanged: %t)\n", ptr.Deref(again.ResourceVersion, ""),
		ptr.Deref(again.ResourceVersion, "") == js.ResourceVersion)

	// The v1alpha view of the same object, listed in protobuf.
	var list cicdv1alpha.JenkinsServiceList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("list v1alpha: %w", err)
	}
	for _, item := range list.Items {
		if item.Name == name {
			fmt.Printf("v1alpha: %s instanceamount=%d instancecpu=%d\n", item.Name, item.Spec.InstanceAmount, item.Spec.InstanceCpu)
		}
	}
	if err := c.Delete(ctx, &js); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	fmt.Println("responses:", counter)
	return nil
}
