//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestControllerBench is the controller's figure: E2E_CONTROLLER_BENCH=N
// approved JenkinsServices (one instance each), from nothing to a StatefulSet
// each and the status written (Ready=False Provisioning at the observed
// generation, or Ready=True): the time, the controller's CPU time and its peak
// memory. Without the variable it does not run (it takes minutes):
//
//	E2E_CONTROLLER_BENCH=1000 hack/e2e.sh -run TestControllerBench
//
// E2E_CONTROLLER_BENCH_ARGS adds controller flags (e.g. --kube-api-qps=300).
// The servers run with --max-jenkinsservices=0 meanwhile (restarted).
func TestControllerBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("E2E_CONTROLLER_BENCH"))
	if n <= 0 {
		t.Skip("set E2E_CONTROLLER_BENCH=<number of JenkinsServices> to run it")
	}
	const clients = 8
	ctx := testContext(t, 30*time.Minute)

	unlimitServers(t, ctx)
	ns := fmt.Sprintf("e2e-controller-bench-%d", nsCounter.Add(1))
	if _, err := env.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		if err := env.kube.CoreV1().Namespaces().Delete(cctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting namespace %s: %v", ns, err)
			return
		}
		if err := waitNamespaceGone(cctx, ns, 15*time.Minute); err != nil {
			t.Error(err)
		}
	})
	args := append([]string{"--leader-elect=false", "--workers", "5"}, strings.Fields(os.Getenv("E2E_CONTROLLER_BENCH_ARGS"))...)
	ctrl := startController(t, ctx, "cicd-controller-bench", controllerKubeconfig(t, ctx), args...)
	if err := ctrl.waitHTTP(ctx, &http.Client{Timeout: 2 * time.Second}, ctrl.url+"/readyz", time.Minute); err != nil {
		t.Fatal(err) // ready: its caches synced
	}
	cpu0 := procCPU(t, ctrl.pid())

	// Create and approve N JenkinsServices from C clients.
	jss := env.js.CicdV1beta().JenkinsServices(ns)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				name := fmt.Sprintf("js-%05d", i)
				_, err := jss.Create(ctx, jenkinsService(ns, name, 1), metav1.CreateOptions{})
				if err == nil {
					err = decide(ctx, ns, name, metav1.ConditionTrue, "Bench")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("creating and approving: %v", err)
	}
	created := time.Since(start)

	// Until every one has its StatefulSet and a status at its generation.
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 20*time.Minute, true, func(context.Context) (bool, error) {
		ss, err := env.kube.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return false, nil
		}
		l, err := jss.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		written := 0
		for i := range l.Items {
			js := &l.Items[i]
			c := meta.FindStatusCondition(js.Status.Conditions, "Ready")
			if c != nil && js.Status.ObservedGeneration == js.Generation && (c.Reason == "Provisioning" || c.Status == metav1.ConditionTrue) {
				written++
			}
		}
		last = fmt.Sprintf("%d StatefulSets, %d statuses written", len(ss.Items), written)
		return len(ss.Items) == n && written == n, nil
	})
	if err != nil {
		t.Fatalf("not done within 20 minutes: %s", last)
	}
	total := time.Since(start)
	cpu := procCPU(t, ctrl.pid()) - cpu0
	peak := procPeakMemory(t, ctrl.pid())
	t.Logf("controller bench (%s): %d approved JenkinsServices (1 instance each, %d clients): created and approved in %s; "+
		"all StatefulSets created and statuses written %s after the first create; controller CPU %s (user+system), peak RSS %d MiB; "+
		"reconciles %s ok, %s errors; writes: StatefulSet %s, Service %s, status %s",
		strings.Join(args, " "), n, clients, created.Round(100*time.Millisecond), total.Round(100*time.Millisecond), cpu.Round(10*time.Millisecond), peak>>20,
		ctrl.metric(`cicd_controller_reconciles_total{result="success"}`), ctrl.metric(`cicd_controller_reconciles_total{result="error"}`),
		ctrl.metric(`cicd_controller_writes_total{kind="StatefulSet",verb="apply"}`), ctrl.metric(`cicd_controller_writes_total{kind="Service",verb="apply"}`),
		ctrl.metric(`cicd_controller_writes_total{kind="JenkinsService",verb="updateStatus"}`))
}

// unlimitServers restarts both servers with --max-jenkinsservices=0 and, when
// the test ends, with the suite's limit again.
func unlimitServers(t *testing.T, ctx context.Context) {
	t.Helper()
	restart := func(limit string) {
		for _, s := range env.cicd {
			for i, a := range s.args {
				if a == "--max-jenkinsservices" && i+1 < len(s.args) {
					s.args[i+1] = limit
				}
			}
			s.stop(syscall.SIGTERM, 30*time.Second)
			if err := s.startAndWait(ctx); err != nil {
				t.Fatalf("restarting %s: %v", s.name, err)
			}
		}
		if err := waitAPIServicesAvailable(ctx, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	restart("0")
	// Registered first, so it runs after the namespace is gone.
	t.Cleanup(func() { restart(strconv.Itoa(maxJenkinsServices)) })
}

// procCPU is the user and system CPU time of a process (/proc/<pid>/stat,
// in clock ticks of 10ms).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procPeakMemory is the peak resident set size of a process (VmHWM), in bytes.
func procPeakMemory(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// pid is the process's id (0 before it started).
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
