//go:build e2e

package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

const (
	alphaResource = "jenkinsservices.v1alpha.autobusi.group.cicd"
	betaResource  = "jenkinsservices.v1beta.autobusi.group.cicd"
)

// TestKubectl: the pinned kubectl through kube-apiserver, in both versions.
func TestKubectl(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	ns := testNamespace(t)
	k := kubectlNS(t, ctx, ns)
	kin := func(stdin string, args ...string) string {
		t.Helper()
		out, err := kubectlIn(ctx, env.admin, stdin, append([]string{"-n", ns}, args...)...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	expect := func(what, got, want string) {
		t.Helper()
		if strings.TrimSpace(got) != want {
			t.Errorf("%s: got %q, want %q", what, strings.TrimSpace(got), want)
		}
	}

	// apply, in each version
	out := kin(`apiVersion: autobusi.group.cicd/v1alpha
kind: JenkinsService
metadata: {name: ci-alpha}
spec: {instanceamount: 2, instancecpu: 2}
`, "apply", "-f", "-")
	expect("kubectl apply (v1alpha)", out, "jenkinsservice.autobusi.group.cicd/ci-alpha created")
	out = kin(`apiVersion: autobusi.group.cicd/v1beta
kind: JenkinsService
metadata: {name: ci-beta, labels: {team: a}}
spec: {replicas: 1, resources: {cpu: 1500m, memory: 4Gi}, image: "jenkins/jenkins:2.462.3-lts"}
`, "apply", "-f", "-")
	expect("kubectl apply (v1beta)", out, "jenkinsservice.autobusi.group.cicd/ci-beta created")

	// get: the server's table, in either version
	for _, res := range []string{"js", alphaResource, betaResource} {
		out = k("get", res)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "NAME REPLICAS CPU APPROVAL READY AGE" {
			t.Errorf("kubectl get %s:\n%s\nwant the columns NAME REPLICAS CPU APPROVAL READY AGE and two rows", res, out)
			continue
		}
		if f := strings.Fields(lines[2]); len(f) < 3 || f[0] != "ci-beta" || f[1] != "1" || f[2] != "1500m" {
			t.Errorf("kubectl get %s: row %q, want ci-beta 1 1500m ...", res, lines[2])
		}
	}
	expect("preferred version", k("get", "js", "ci-alpha", "-o", "jsonpath={.apiVersion}"), group+"/v1beta")
	expect("v1beta defaults of a v1alpha object", k("get", "js", "ci-alpha", "-o", "jsonpath={.spec.resources.memory} {.spec.image}"), "2Gi jenkins/jenkins:lts")
	expect("v1alpha CPU, rounded up", k("get", alphaResource, "ci-beta", "-o", "jsonpath={.spec.instancecpu}"), "2")
	expect("v1alpha approval", k("get", alphaResource, "ci-beta", "-o", "jsonpath={.status.approvalstatus}"), "Pending")

	// explain: from the OpenAPI the server publishes, through the aggregator
	out = k("explain", "jenkinsservices.spec")
	for _, f := range []string{"replicas", "resources", "image"} {
		if !strings.Contains(out, f) {
			t.Errorf("kubectl explain jenkinsservices.spec: no %q\n%s", f, out)
		}
	}
	if !strings.Contains(out, "VERSION:") || !strings.Contains(out, "v1beta") {
		t.Errorf("kubectl explain jenkinsservices.spec: not the v1beta schema\n%s", out)
	}
	out = k("explain", "jenkinsservices.spec", "--api-version="+group+"/v1alpha")
	for _, f := range []string{"instanceamount", "instancecpu"} {
		if !strings.Contains(out, f) {
			t.Errorf("kubectl explain jenkinsservices.spec --api-version=v1alpha: no %q\n%s", f, out)
		}
	}

	// scale, in each version
	expect("kubectl scale (v1beta)", k("scale", "js", "ci-beta", "--replicas=3"), "jenkinsservice.autobusi.group.cicd/ci-beta scaled")
	expect("replicas after scale", k("get", "js", "ci-beta", "-o", "jsonpath={.spec.replicas}"), "3")
	expect("kubectl scale (v1alpha)", k("scale", alphaResource, "ci-alpha", "--replicas=4"), "jenkinsservice.autobusi.group.cicd/ci-alpha scaled")
	expect("instanceamount after scale", k("get", alphaResource, "ci-alpha", "-o", "jsonpath={.spec.instanceamount}"), "4")

	// field and label selectors
	expect("field selector spec.replicas", k("get", "js", "--field-selector", "spec.replicas=3", "-o", "name"), "jenkinsservice.autobusi.group.cicd/ci-beta")
	expect("field selector spec.instanceamount", k("get", alphaResource, "--field-selector", "spec.instanceamount=4", "-o", "name"), "jenkinsservice.autobusi.group.cicd/ci-alpha")
	expect("label selector", k("get", "js", "-l", "team=a", "-o", "name"), "jenkinsservice.autobusi.group.cicd/ci-beta")

	// patch through v1alpha, server-side apply through v1beta
	k("patch", alphaResource, "ci-alpha", "--type=merge", "-p", `{"spec":{"instancecpu":3}}`)
	expect("cpu after a v1alpha patch", k("get", "js", "ci-alpha", "-o", "jsonpath={.spec.resources.cpu}"), "3")
	ssa := `apiVersion: autobusi.group.cicd/v1beta
kind: JenkinsService
metadata: {name: ci-beta, labels: {team: a}}
spec: {replicas: 2, resources: {cpu: 1500m, memory: 8Gi}, image: "jenkins/jenkins:2.462.3-lts"}
`
	kin(ssa, "apply", "--server-side", "--force-conflicts", "-f", "-")
	expect("memory after server-side apply", k("get", "js", "ci-beta", "-o", "jsonpath={.spec.resources.memory}"), "8Gi")
	rv := k("get", "js", "ci-beta", "-o", "jsonpath={.metadata.resourceVersion}")
	kin(ssa, "apply", "--server-side", "--force-conflicts", "-f", "-")
	expect("resourceVersion after a server-side apply that changes nothing", k("get", "js", "ci-beta", "-o", "jsonpath={.metadata.resourceVersion}"), strings.TrimSpace(rv))

	// delete, in each version
	expect("kubectl delete (v1alpha)", k("delete", alphaResource, "ci-alpha"), `jenkinsservice.autobusi.group.cicd "ci-alpha" deleted from `+ns+` namespace`)
	expect("kubectl delete (v1beta)", k("delete", "js", "ci-beta"), `jenkinsservice.autobusi.group.cicd "ci-beta" deleted from `+ns+` namespace`)
	out, err := kubectl(ctx, env.admin, "-n", ns, "get", "js", "-o", "name")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("kubectl get js after the deletes: %v %q, want nothing", err, out)
	}
}

// TestProtobuf: protobuf request and response bodies, and watch streams,
// through kube-apiserver's proxy, in both versions.
func TestProtobuf(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	ns := testNamespace(t)

	w, err := env.jsPB.CicdV1beta().JenkinsServices(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("protobuf watch: %v", err)
	}
	defer w.Stop()

	created, err := env.jsPB.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, "pb", 2), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("protobuf create (v1beta): %v", err)
	}
	if created.Spec.Resources.CPU == nil || created.Spec.Resources.CPU.String() != "1500m" {
		t.Errorf("protobuf create: cpu %v, want 1500m", created.Spec.Resources.CPU)
	}
	alpha, err := env.jsPB.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "pb-alpha"},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 1, InstanceCpu: 3},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("protobuf create (v1alpha): %v", err)
	}
	if alpha.Spec.InstanceCpu != 3 || alpha.Status.ApprovalStatus != "Pending" {
		t.Errorf("protobuf create (v1alpha): %+v %+v", alpha.Spec, alpha.Status)
	}
	l, err := env.jsPB.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) != 2 {
		t.Fatalf("protobuf list (v1alpha): %v, %d items", err, len(l.Items))
	}
	for _, js := range l.Items {
		if js.Name == "pb" && js.Spec.InstanceCpu != 2 {
			t.Errorf("protobuf list (v1alpha): pb instancecpu %d, want 2 (1500m rounded up)", js.Spec.InstanceCpu)
		}
	}
	scale, err := env.jsPB.CicdV1beta().JenkinsServices(ns).GetScale(ctx, "pb", metav1.GetOptions{})
	if err != nil || scale.Spec.Replicas != 2 {
		t.Errorf("protobuf get scale: %v %+v", err, scale)
	}

	seen := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(seen) < 2 {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("protobuf watch ended early (saw %v)", seen)
			}
			js, isJS := ev.Object.(*v1beta.JenkinsService)
			if ev.Type != watch.Added || !isJS {
				t.Fatalf("protobuf watch: %s %T", ev.Type, ev.Object)
			}
			seen[js.Name] = true
		case <-timeout:
			t.Fatalf("protobuf watch: saw %v within 30s, want pb and pb-alpha", seen)
		}
	}

	// The bytes on the wire: protobuf with the Kubernetes envelope.
	client, err := rest.HTTPClientFor(env.admin.config())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.kubeURL+"/apis/autobusi.group.cicd/v1beta/namespaces/"+ns+"/jenkinsservices/pb", nil)
	req.Header.Set("Accept", "application/vnd.kubernetes.protobuf")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.kubernetes.protobuf" || !bytes.HasPrefix(b.Bytes(), []byte("k8s\x00")) {
		t.Errorf("GET with Accept protobuf: %d %q, body starts %q; want 200, protobuf, k8s\\x00", resp.StatusCode, resp.Header.Get("Content-Type"), b.Bytes()[:min(8, b.Len())])
	}

	for _, name := range []string{"pb", "pb-alpha"} {
		if err := env.jsPB.CicdV1beta().JenkinsServices(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
			t.Errorf("protobuf delete %s: %v", name, err)
		}
	}
}
