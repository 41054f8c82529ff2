//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/internal/testproc"
)

// The controller's leader election in this test: short, so that a takeover
// after a SIGKILL takes seconds.
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 500 * time.Millisecond
)

// controllerProc is one "cicd-apiserver controller" process and the URL of
// its /healthz, /readyz and /metrics.
type controllerProc struct {
	*proc
	url string
}

// startControllers starts two controller processes with leader election.
func startControllers(t *testing.T, ctx context.Context) []*controllerProc {
	t.Helper()
	kubeconfig := controllerKubeconfig(t, ctx)
	var procs []*controllerProc
	for _, name := range []string{"cicd-controller-a", "cicd-controller-b"} {
		procs = append(procs, startController(t, ctx, name, kubeconfig,
			"--leader-elect-resource-namespace", cicdNamespace,
			"--leader-elect-lease-duration", leaseDuration.String(),
			"--leader-elect-renew-deadline", renewDeadline.String(),
			"--leader-elect-retry-period", retryPeriod.String(),
		))
	}
	return procs
}

// controllerKubeconfig is a kubeconfig with a token of the ServiceAccount of
// artifacts/deploy, so that the controller works with exactly the permissions
// the manifests grant it.
func controllerKubeconfig(t *testing.T, ctx context.Context) string {
	t.Helper()
	tr, err := env.kube.CoreV1().ServiceAccounts(cicdNamespace).CreateToken(ctx, "cicd-controller", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/cicd-controller: %v", cicdNamespace, err)
	}
	kubeconfig := filepath.Join(env.dir, "cicd-controller.kubeconfig")
	if err := writeTokenKubeconfig(kubeconfig, tr.Status.Token); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// startController starts "cicd-apiserver controller" with args, waits for its
// /healthz, and stops it (SIGTERM, a graceful exit expected) when the test ends.
func startController(t *testing.T, ctx context.Context, name, kubeconfig string, args ...string) *controllerProc {
	t.Helper()
	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := &controllerProc{proc: newProc(name, env.server, append([]string{"controller",
		"--kubeconfig", kubeconfig,
		"--bind-address", addr,
		"--workers", "2",
		"--v=2",
	}, args...)...), url: "http://" + addr}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.running() && !p.stop(syscall.SIGTERM, 20*time.Second) {
			t.Errorf("%s did not exit within 20s of SIGTERM", p.name)
		}
	})
	if err := p.waitHTTP(ctx, &http.Client{Timeout: 2 * time.Second}, p.url+"/healthz", time.Minute); err != nil {
		t.Fatal(err)
	}
	return p
}

// metric is the value of the first sample of the /metrics line that starts
// with series ("" when there is none).
func (p *controllerProc) metric(series string) string {
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

const leaderSeries = `leader_election_master_status{name="cicd-controller"}`

// leader waits until exactly one of the running processes leads.
func leader(t *testing.T, ctx context.Context, procs []*controllerProc, timeout time.Duration) *controllerProc {
	t.Helper()
	var lead *controllerProc
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		lead = nil
		n := 0
		for _, p := range procs {
			if p.running() && p.metric(leaderSeries) == "1" {
				lead, n = p, n+1
			}
		}
		return n == 1, nil
	})
	if err != nil {
		t.Fatalf("no single leader within %s", timeout)
	}
	return lead
}

// eventually polls cond every 250ms until it holds or timeout, and fails the
// test with what (and the last state cond reported) when it does not.
func eventually(t *testing.T, ctx context.Context, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		var ok bool
		ok, last = cond()
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s; last: %s", what, timeout, last)
	}
	d := time.Since(start).Round(100 * time.Millisecond)
	t.Logf("%s: after %s", what, d)
	return d
}

// runKubelet does what a kubelet would (none runs here) for the Pods of ns
// until ctx is done: every Pod that is not ready and not being deleted is set
// Running and Ready. A ready Pod is never written again.
func runKubelet(ctx context.Context, ns string) {
	pods := env.kube.CoreV1().Pods(ns)
	for ctx.Err() == nil {
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range list.Items {
				pod := &list.Items[i]
				if pod.DeletionTimestamp != nil || podIsReady(pod) {
					continue
				}
				now := metav1.Now()
				pod.Status.Phase = corev1.PodRunning
				pod.Status.StartTime = &now
				pod.Status.Conditions = []corev1.PodCondition{
					{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
					{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
					{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
					{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
				}
				_, _ = pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}) // a conflict is retried on the next round
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func podIsReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func setApproval(t *testing.T, ctx context.Context, ns, name string, status metav1.ConditionStatus, reason string) {
	t.Helper()
	if err := decide(ctx, ns, name, status, reason); err != nil {
		t.Fatalf("approval %s: %v", status, err)
	}
}

// decide sets the Approved condition through the approval subresource; it
// reads and writes again when the controller wrote the status in between.
func decide(ctx context.Context, ns, name string, status metav1.ConditionStatus, reason string) error {
	jss := env.js.CicdV1beta().JenkinsServices(ns)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		js, err := jss.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		meta.SetStatusCondition(&js.Status.Conditions, metav1.Condition{Type: "Approved", Status: status, Reason: reason, Message: "e2e"})
		_, err = jss.UpdateApproval(ctx, name, js, metav1.UpdateOptions{})
		return err
	})
}

func readyCondition(js *v1beta.JenkinsService) metav1.Condition {
	if c := meta.FindStatusCondition(js.Status.Conditions, "Ready"); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// TestController: the scenario, against the real kube-apiserver,
// kube-controller-manager (StatefulSets, garbage collection) and two
// controller processes.
func TestController(t *testing.T) {
	ctx := testContext(t, 10*time.Minute)
	ns := testNamespace(t)
	procs := startControllers(t, ctx)
	lead := leader(t, ctx, procs, 30*time.Second)
	t.Logf("%s leads", lead.name)

	beta := env.js.CicdV1beta().JenkinsServices(ns)
	alpha := env.js.CicdV1alpha().JenkinsServices(ns)
	sts := env.kube.AppsV1().StatefulSets(ns)
	svcs := env.kube.CoreV1().Services(ns)
	getJS := func() *v1beta.JenkinsService {
		t.Helper()
		js, err := beta.Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	// updateSpec changes the spec as a client would: read, change, write,
	// again on a conflict (the controller writes the status meanwhile).
	updateSpec := func(change func(*v1beta.JenkinsService)) {
		t.Helper()
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			js := getJS()
			change(js)
			_, err := beta.Update(ctx, js, metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ssState := func() (*appsv1.StatefulSet, string) {
		ss, err := sts.Get(ctx, "ci", metav1.GetOptions{})
		if err != nil {
			return nil, err.Error()
		}
		c := ss.Spec.Template.Spec.Containers[0]
		return ss, fmt.Sprintf("replicas %d image %s requests %v limits %v", *ss.Spec.Replicas, c.Image, c.Resources.Requests, c.Resources.Limits)
	}
	k := kubectlNS(t, ctx, ns)

	// A Service of the name its headless Service needs, someone else's and
	// without the controller's label: left alone (Conflict) until it goes.
	if _, err := svcs.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "taken-headless"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := beta.Create(ctx, jenkinsService(ns, "taken", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setApproval(t, ctx, ns, "taken", metav1.ConditionTrue, "ApprovedByE2E")
	eventually(t, ctx, time.Minute, "Ready=False Conflict naming Service taken-headless", func() (bool, string) {
		js, err := beta.Get(ctx, "taken", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := readyCondition(js)
		return c.Reason == "Conflict" && strings.Contains(c.Message, "Service taken-headless"), fmt.Sprintf("%+v", c)
	})
	if svc, err := svcs.Get(ctx, "taken-headless", metav1.GetOptions{}); err != nil || len(svc.OwnerReferences) != 0 || len(svc.Labels) != 0 {
		t.Errorf("their Service after the conflict: %v %+v", err, svc.ObjectMeta)
	}
	if err := svcs.Delete(ctx, "taken-headless", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, time.Minute, "the StatefulSet and Services once the name is free", func() (bool, string) {
		svc, err := svcs.Get(ctx, "taken-headless", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if _, err := sts.Get(ctx, "taken", metav1.GetOptions{}); err != nil {
			return false, err.Error()
		}
		ref := metav1.GetControllerOf(svc)
		return ref != nil && ref.Name == "taken", fmt.Sprintf("controller reference %+v", ref)
	})

	// Created through v1alpha: pending, nothing runs.
	if _, err := alpha.Create(ctx, &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: "ci"},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 2},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, time.Minute, "Ready=False PendingApproval", func() (bool, string) {
		c := readyCondition(getJS())
		return c.Reason == "PendingApproval", fmt.Sprintf("%+v", c)
	})
	if _, err := sts.Get(ctx, "ci", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a StatefulSet for a pending JenkinsService: %v", err)
	}

	// Approved through the approval subresource: the StatefulSet and Services.
	setApproval(t, ctx, ns, "ci", metav1.ConditionTrue, "ApprovedByE2E")
	eventually(t, ctx, time.Minute, "StatefulSet with 2 replicas of jenkins/jenkins:lts, 2 CPU, 2Gi", func() (bool, string) {
		ss, s := ssState()
		if ss == nil {
			return false, s
		}
		c := ss.Spec.Template.Spec.Containers[0]
		return *ss.Spec.Replicas == 2 && c.Image == "jenkins/jenkins:lts" &&
			c.Resources.Requests.Cpu().String() == "2" && c.Resources.Limits.Memory().String() == "2Gi", s
	})
	// The Services are applied after the StatefulSet, in the same reconciliation.
	eventually(t, ctx, time.Minute, "Services ci and ci-headless controlled by JenkinsService ci", func() (bool, string) {
		for _, name := range []string{"ci", "ci-headless"} {
			svc, err := svcs.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			if ref := metav1.GetControllerOf(svc); ref == nil || ref.Kind != "JenkinsService" || ref.Name != "ci" {
				return false, fmt.Sprintf("Service %s controller reference %+v", name, ref)
			}
		}
		return true, ""
	})

	// The Pods become ready: status.instances and Ready=True, in both versions.
	kubeletCtx, stopKubelet := context.WithCancel(ctx)
	kubeletDone := make(chan struct{})
	go func() { defer close(kubeletDone); runKubelet(kubeletCtx, ns) }()
	t.Cleanup(func() { stopKubelet(); <-kubeletDone })
	eventually(t, ctx, time.Minute, "Ready=True with 2 instances running", func() (bool, string) {
		js := getJS()
		c := readyCondition(js)
		running := 0
		for _, in := range js.Status.Instances {
			if in.Running {
				running++
			}
		}
		return c.Status == metav1.ConditionTrue && running == 2, fmt.Sprintf("%+v %+v", c, js.Status.Instances)
	})
	if js := getJS(); js.Status.Instances[0].Name != "ci-0" || js.Status.Instances[1].Name != "ci-1" || js.Status.ObservedGeneration != js.Generation {
		t.Errorf("status %+v, generation %d", js.Status, js.Generation)
	}
	a, err := alpha.Get(ctx, "ci", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status.ApprovalStatus != "Approved" || len(a.Status.Instances) != 2 || !a.Status.Instances[0].Running || a.Status.Instances[0].Cpu != 2 {
		t.Errorf("v1alpha status %+v, want Approved and two running instances of 2 CPUs", a.Status)
	}
	if out := k("wait", "--for=condition=Ready", "js/ci", "--timeout=60s"); !strings.Contains(out, "condition met") {
		t.Errorf("kubectl wait: %s", out)
	}
	for _, res := range []string{"js", "jenkinsservices.v1alpha." + group} {
		out := k("get", res, "ci", "--no-headers")
		if f := strings.Fields(out); len(f) < 5 || f[4] != "2/2" {
			t.Errorf("kubectl get %s ci: %q, want READY 2/2", res, out)
		}
	}
	if out := k("get", "js", "ci", "-o", "wide"); !strings.Contains(out, "IMAGE") || !strings.Contains(out, "jenkins/jenkins:lts") || !strings.Contains(out, "2Gi") {
		t.Errorf("kubectl get js ci -o wide:\n%s", out)
	}

	// kubectl scale: the StatefulSet follows.
	k("scale", "js", "ci", "--replicas=3")
	eventually(t, ctx, time.Minute, "StatefulSet scaled to 3", func() (bool, string) {
		ss, s := ssState()
		return ss != nil && *ss.Spec.Replicas == 3, s
	})

	// The image changed through v1beta: the template follows.
	updateSpec(func(js *v1beta.JenkinsService) { js.Spec.Image = "jenkins/jenkins:2.462.3-lts" })
	eventually(t, ctx, time.Minute, "StatefulSet template image follows", func() (bool, string) {
		ss, s := ssState()
		return ss != nil && ss.Spec.Template.Spec.Containers[0].Image == "jenkins/jenkins:2.462.3-lts", s
	})

	// A hand edit of the StatefulSet is reverted: by one more apply.
	applies := lead.metric(`cicd_controller_writes_total{kind="StatefulSet",verb="apply"}`)
	if out := k("patch", "statefulset", "ci", "--type=json", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"evil/jenkins:latest"},{"op":"replace","path":"/spec/replicas","value":9}]`); out != "9 evil/jenkins:latest" {
		t.Fatalf("kubectl patch statefulset ci answered %q", out)
	}
	eventually(t, ctx, time.Minute, "hand edit reverted", func() (bool, string) {
		ss, s := ssState()
		return ss != nil && *ss.Spec.Replicas == 3 && ss.Spec.Template.Spec.Containers[0].Image == "jenkins/jenkins:2.462.3-lts", s
	})
	// The counter moves just after the apply returns, so a moment after the revert.
	eventually(t, ctx, 10*time.Second, "the revert counted as one more apply", func() (bool, string) {
		after := lead.metric(`cicd_controller_writes_total{kind="StatefulSet",verb="apply"}`)
		return after != applies, fmt.Sprintf("StatefulSet applies %s before the hand edit, %s now", applies, after)
	})

	// The leader is SIGKILLed; a change made meanwhile is reconciled by the other.
	killed := time.Now()
	if !lead.stop(syscall.SIGKILL, 10*time.Second) {
		t.Fatalf("%s survived SIGKILL", lead.name)
	}
	updateSpec(func(js *v1beta.JenkinsService) { js.Spec.Replicas = ptr.To[int32](1) })
	eventually(t, ctx, 2*leaseDuration+30*time.Second, "the other controller takes over and scales to 1", func() (bool, string) {
		ss, s := ssState()
		return ss != nil && *ss.Spec.Replicas == 1, s
	})
	takeover := time.Since(killed)
	next := leader(t, ctx, procs, 5*time.Second)
	t.Logf("%s leads %s after the SIGKILL of %s (lease %s)", next.name, takeover.Round(100*time.Millisecond), lead.name, leaseDuration)
	if next == lead {
		t.Fatalf("the killed process leads")
	}
	if takeover > leaseDuration+15*time.Second {
		t.Errorf("takeover took %s, want within the lease (%s) and some seconds", takeover, leaseDuration)
	}

	// Settled (one instance, ready): 30 s without a change, no write.
	eventually(t, ctx, 2*time.Minute, "settled at 1 running instance, rolled out", func() (bool, string) {
		js := getJS()
		c := readyCondition(js)
		ss, s := ssState()
		if ss == nil {
			return false, s
		}
		st := ss.Status
		rolledOut := st.ObservedGeneration == ss.Generation && st.CurrentRevision == st.UpdateRevision && st.Replicas == 1 && st.ReadyReplicas == 1
		return rolledOut && c.Status == metav1.ConditionTrue && len(js.Status.Instances) == 1 && js.Status.ObservedGeneration == js.Generation,
			fmt.Sprintf("%+v %+v; StatefulSet status %+v", c, js.Status.Instances, st)
	})
	rvs := func() string {
		ss, _ := sts.Get(ctx, "ci", metav1.GetOptions{})
		a, _ := svcs.Get(ctx, "ci", metav1.GetOptions{})
		h, _ := svcs.Get(ctx, "ci-headless", metav1.GetOptions{})
		l, err := beta.List(ctx, metav1.ListOptions{})
		if err != nil || ss == nil || a == nil || h == nil {
			t.Fatalf("reading the objects: %v", err)
		}
		out := fmt.Sprintf("statefulset %s service %s headless %s", ss.ResourceVersion, a.ResourceVersion, h.ResourceVersion)
		for _, js := range l.Items {
			out += fmt.Sprintf(" js/%s %s", js.Name, js.ResourceVersion)
		}
		return out
	}
	writes := func() string {
		var w []string
		for _, kind := range []string{"JenkinsService", "StatefulSet", "Service"} {
			w = append(w, next.metric(`cicd_controller_writes_total{kind="`+kind+`",verb="`+map[string]string{"JenkinsService": "updateStatus", "StatefulSet": "apply", "Service": "apply"}[kind]+`"}`))
		}
		return strings.Join(w, " ")
	}
	before, beforeWrites := rvs(), writes()
	reconciles := next.metric(`cicd_controller_reconciles_total{result="success"}`)
	time.Sleep(30 * time.Second)
	if after := rvs(); after != before {
		t.Errorf("resourceVersions changed in a steady state:\n  before %s\n  after  %s", before, after)
	}
	if after := writes(); after != beforeWrites {
		t.Errorf("the controller wrote in a steady state: writes %s, then %s", beforeWrites, after)
	}
	t.Logf("steady state, 30s: resourceVersions %s; controller writes %s; reconciles %s, then %s", before, beforeWrites, reconciles, next.metric(`cicd_controller_reconciles_total{result="success"}`))

	// kubectl describe shows the Events.
	if out := k("describe", "js", "ci"); !regexp.MustCompile(`Applied\s+.*StatefulSet ci`).MatchString(out) || !strings.Contains(out, "AllInstancesRunning") {
		t.Errorf("kubectl describe js ci shows no Applied and AllInstancesRunning Events:\n%s", out)
	}

	// Denied: the workload goes, the claims stay.
	var claims *corev1.PersistentVolumeClaimList
	eventually(t, ctx, time.Minute, "claims of the instances exist", func() (bool, string) {
		var err error
		claims, err = env.kube.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(claims.Items) >= 1, fmt.Sprint(err)
	})
	setApproval(t, ctx, ns, "ci", metav1.ConditionFalse, "DeniedByE2E")
	eventually(t, ctx, time.Minute, "StatefulSet and Services gone after denial", func() (bool, string) {
		_, e1 := sts.Get(ctx, "ci", metav1.GetOptions{})
		_, e2 := svcs.Get(ctx, "ci", metav1.GetOptions{})
		_, e3 := svcs.Get(ctx, "ci-headless", metav1.GetOptions{})
		return apierrors.IsNotFound(e1) && apierrors.IsNotFound(e2) && apierrors.IsNotFound(e3), fmt.Sprint(e1, e2, e3)
	})
	eventually(t, ctx, time.Minute, "Ready=False Denied without instances", func() (bool, string) {
		js := getJS()
		c := readyCondition(js)
		return c.Reason == "Denied" && len(js.Status.Instances) == 0, fmt.Sprintf("%+v %+v", c, js.Status.Instances)
	})
	for _, c := range claims.Items {
		if _, err := env.kube.CoreV1().PersistentVolumeClaims(ns).Get(ctx, c.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("claim %s after denial: %v", c.Name, err)
		}
	}

	// Approved again, then deleted: garbage collection removes the children.
	setApproval(t, ctx, ns, "ci", metav1.ConditionTrue, "ApprovedByE2E")
	var uid types.UID
	eventually(t, ctx, time.Minute, "StatefulSet back after approval", func() (bool, string) {
		ss, s := ssState()
		if ss != nil {
			uid = ss.UID
		}
		return ss != nil, s
	})
	if err := beta.Delete(ctx, "ci", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 2*time.Minute, "children garbage-collected after the JenkinsService's deletion", func() (bool, string) {
		ss, e1 := sts.Get(ctx, "ci", metav1.GetOptions{})
		_, e2 := svcs.Get(ctx, "ci", metav1.GetOptions{})
		_, e3 := svcs.Get(ctx, "ci-headless", metav1.GetOptions{})
		gone := (apierrors.IsNotFound(e1) || (e1 == nil && ss.UID != uid)) && apierrors.IsNotFound(e2) && apierrors.IsNotFound(e3)
		return gone, fmt.Sprint(e1, e2, e3)
	})
}
