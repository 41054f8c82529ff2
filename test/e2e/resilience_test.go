//go:build e2e

package e2e

// Two cicd-apiserver processes behind one Service.
//
// The aggregator reaches an APIService's Service either at its cluster IP
// (ClusterIP: needs a service proxy, which this machine has not) or, with
// --enable-aggregator-routing, at an endpoint of the Service; but Endpoints
// and EndpointSlices may not hold loopback addresses (127.0.0.0/8, ::1), so
// neither two ports on 127.0.0.1 nor 127.0.0.2 and 127.0.0.3 can be
// endpoints. What it supports for a server on this machine is an
// ExternalName Service: it dials externalName:port, localhost:<port>, and
// checks the certificate against <service>.<namespace>.svc. So both
// processes listen on that one address and port, with SO_REUSEPORT
// (--permit-port-sharing): the kernel hands each new connection to one of
// them, as a Service's proxy hands connections to its pods, and a process
// that stops listening gets none. kube-apiserver runs with DISABLE_HTTP2 so
// that its proxy opens a connection per concurrent request (over HTTP/2 it
// would multiplex everything on one connection, to one process, as a single
// kube-apiserver does in a cluster; E2E_AGGREGATOR_HTTP2=1 shows it). Which
// process served a request is in its own audit log.
//
// One artifact of sharing a port: each process's loopback client (its
// admission informer) dials 127.0.0.1:<port> too, and the kernel may hand the
// connection to the other process, whose loopback certificate it does not
// trust. That request fails ("x509: certificate signed by unknown
// authority" in the log) and the informer retries until it reaches its own
// process; in a cluster each pod has an address of its own.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/rest"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func isCreateIn(ns string) func(auditv1.Event) bool {
	return func(e auditv1.Event) bool {
		return e.Verb == "create" && e.ObjectRef != nil && e.ObjectRef.Namespace == ns && e.ObjectRef.Subresource == ""
	}
}

func isWriteIn(ns string) func(auditv1.Event) bool {
	return func(e auditv1.Event) bool {
		return (e.Verb == "create" || e.Verb == "patch") && e.ObjectRef != nil && e.ObjectRef.Namespace == ns
	}
}

// TestTwoServersLimit: fifty parallel creates through kube-apiserver, spread
// over both processes, leave exactly --max-jenkinsservices (10).
func TestTwoServersLimit(t *testing.T) {
	ctx := testContext(t, 4*time.Minute)
	requireBothServers(t, ctx)
	waitNoJenkinsServices(t, ctx)
	ns := testNamespace(t)
	since := time.Now()

	const n = 50
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		created []string
		refused []string
		other   []string
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := fmt.Sprintf("p-%02d", i)
			_, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, name, 1), metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created = append(created, name)
			case apierrors.IsForbidden(err):
				refused = append(refused, err.Error())
			default:
				other = append(other, fmt.Sprintf("%s: %v", name, err))
			}
		}()
	}
	close(start)
	wg.Wait()

	if len(created) != maxJenkinsServices || len(refused) != n-maxJenkinsServices || len(other) != 0 {
		t.Errorf("%d parallel creates: %d created, %d refused with 403, other errors %v; want %d created and %d refused",
			n, len(created), len(refused), other, maxJenkinsServices, n-maxJenkinsServices)
	}
	for _, msg := range refused {
		if !strings.Contains(strings.ToLower(msg), "limit") && !strings.Contains(msg, fmt.Sprint(maxJenkinsServices)) {
			t.Errorf("a refusal does not say why: %s", msg)
			break
		}
	}
	if got, err := countAll(ctx); err != nil || got != maxJenkinsServices {
		t.Errorf("JenkinsServices in the system: %d (%v), want %d", got, err, maxJenkinsServices)
	}
	if keys := etcdKeys(t, ctx, "/"+ns+"/"); len(keys) != maxJenkinsServices {
		t.Errorf("etcd holds %d JenkinsServices in %s, want %d", len(keys), ns, maxJenkinsServices)
	}

	// Both processes took part.
	var per []string
	for _, s := range env.cicd {
		served := s.countEvents(since, isCreateIn(ns))
		admitted := s.countEvents(since, func(e auditv1.Event) bool {
			return isCreateIn(ns)(e) && e.ResponseStatus != nil && e.ResponseStatus.Code == http.StatusCreated
		})
		per = append(per, fmt.Sprintf("%s served %d creates, admitted %d", s.name, served, admitted))
		if served == 0 {
			t.Errorf("%s served none of the creates: the load did not reach both processes", s.name)
		}
	}
	t.Log(strings.Join(per, "; "))

	// One more is refused, with a clear 403, on either process.
	_, err := env.js.CicdV1alpha().JenkinsServices(ns).Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "one-more"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("create beyond the limit (v1alpha): %v, want 403", err)
	}
}

// TestTwoServersStopOne: one process stops in the middle of a write load,
// gracefully (SIGTERM) or as in a crash (SIGKILL); the other serves on, the
// APIServices stay Available, and no acknowledged write is lost.
func TestTwoServersStopOne(t *testing.T) {
	t.Run("SIGTERM", func(t *testing.T) { testStopOne(t, syscall.SIGTERM) })
	t.Run("SIGKILL", func(t *testing.T) { testStopOne(t, syscall.SIGKILL) })
}

func testStopOne(t *testing.T, sig syscall.Signal) {
	ctx := testContext(t, 5*time.Minute)
	requireBothServers(t, ctx)
	waitNoJenkinsServices(t, ctx)
	ns := testNamespace(t)
	t.Cleanup(func() {
		for _, s := range env.cicd {
			restartIfStopped(t, s)
		}
	})

	actx, stopWatching := context.WithCancel(ctx)
	unavailable := watchAvailability(actx)
	begin := time.Now()
	l := startLoad(t, ctx, ns, 4, 6, 700*time.Millisecond)

	time.Sleep(3 * time.Second)
	// Stop the process that serves (most of) the load. kube-apiserver keeps
	// its connections open, so the load may well be all on one process:
	// stopping the other one would prove nothing.
	a, b := env.cicd[0], env.cicd[1]
	if a.countEvents(begin, isWriteIn(ns)) < b.countEvents(begin, isWriteIn(ns)) {
		a, b = b, a
	}
	t.Logf("in the first 3s %s served %d writes, %s %d; stopping %s", a.name, a.countEvents(begin, isWriteIn(ns)), b.name, b.countEvents(begin, isWriteIn(ns)), a.name)
	stopAt := time.Now()
	logf("stopping %s (%s) under load", a.name, sig)
	// A graceful shutdown lets requests in flight finish, and waits for the
	// HTTP server to shut down, which with a watch open (kube-controller-
	// manager's, through kube-apiserver) takes the server's ShutdownTimeout:
	// its request timeout, 60s. artifacts/deploy gives it 75s.
	exited := a.stop(sig, 75*time.Second)
	exitedAt := time.Now()
	logf("%s exited after %s (%v)", a.name, exitedAt.Sub(stopAt).Round(time.Millisecond), a.exitErr())
	t.Logf("%s exited %s after %s", a.name, exitedAt.Sub(stopAt).Round(time.Millisecond), sig)
	if !exited {
		t.Errorf("%s did not exit within 75s of %s", a.name, sig)
	} else if err := a.exitErr(); sig == syscall.SIGTERM && err != nil {
		t.Errorf("%s exited with %v after SIGTERM, want 0", a.name, err)
	}
	time.Sleep(4 * time.Second)
	outcomes := l.stop()
	stopWatching()
	bad := unavailable()

	t.Logf("load: %s", summary(outcomes))
	if len(bad) > 0 {
		t.Errorf("the APIServices were not Available while %s was stopped:\n%s", a.name, strings.Join(bad, "\n"))
	}
	acked := l.verify(t, ctx, outcomes)
	if acked == 0 {
		t.Fatal("no write was acknowledged")
	}
	// Once the stopped process is gone, the other one takes every request.
	for _, o := range outcomes {
		if o.start.After(exitedAt.Add(time.Second)) && !o.ok() {
			t.Errorf("failed after %s had exited and %s served alone: %v", a.name, b.name, o)
		}
		if !o.ok() && o.code != http.StatusServiceUnavailable && o.code != http.StatusGatewayTimeout && o.code != http.StatusInternalServerError {
			t.Errorf("a write failed without a clear server-side status while %s stopped: %v", a.name, o)
		} else if !o.ok() {
			t.Logf("failed while %s stopped (not acknowledged, may or may not have been applied): %v", a.name, o)
		}
	}
	before := a.countEvents(begin, isWriteIn(ns))
	after := b.countEvents(exitedAt, isWriteIn(ns))
	t.Logf("%s served %d writes before it stopped; %s served %d after", a.name, before, b.name, after)
	if before == 0 || after == 0 {
		t.Errorf("the load did not move from %s (%d writes) to %s (%d writes after the stop)", a.name, before, b.name, after)
	}

	// Back to two.
	if err := a.startAndWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := waitAPIServicesAvailable(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestEtcdOutage: the servers' etcd stops for 10s in the middle of a write
// load. The servers stay up and do not panic; /readyz fails while etcd is
// gone; a request either waits and succeeds or fails with a 503 or 504 and a
// message, and none outlasts the request timeout (one with a timeout of its
// own, ?timeout=3s, gets its 504 after 3s); within 5s of etcd's return (ready
// again) the servers serve and are ready; no acknowledged write is lost.
func TestEtcdOutage(t *testing.T) {
	ctx := testContext(t, 6*time.Minute)
	requireBothServers(t, ctx)
	waitNoJenkinsServices(t, ctx)
	ns := testNamespace(t)

	pctx, stopProbing := context.WithCancel(ctx)
	probes := probeReadyz(pctx, 4, 200*time.Millisecond)
	l := startLoad(t, ctx, ns, 4, 6, 3*time.Second)

	time.Sleep(3 * time.Second)
	logf("stopping the servers' etcd for 10s")
	down := time.Now()
	if !env.cicdEtcd.stop(syscall.SIGTERM, 20*time.Second) {
		t.Errorf("etcd did not stop within 20s of SIGTERM")
	}
	// A request with a short timeout of its own ends in good time, with a
	// 504 and a message, whether kube-apiserver or the server answers it.
	time.Sleep(3 * time.Second)
	short := shortTimeoutRequests(t, ns)
	time.Sleep(10*time.Second - time.Since(down))
	restart := time.Now()
	if err := startEtcd(ctx, env.cicdEtcd, env.cicdEtcdReadyURL); err != nil {
		t.Fatalf("restarting etcd: %v", err)
	}
	back := time.Now()
	logf("etcd is back after %s", back.Sub(down).Round(time.Millisecond))
	time.Sleep(8 * time.Second)
	outcomes := l.stop()
	stopProbing()
	ps := probes()

	t.Logf("load: %s", summary(outcomes))
	for _, s := range env.cicd {
		if !s.running() {
			t.Errorf("%s exited (%v) during the etcd outage", s.name, s.exitErr())
		}
		if p := s.panics(); len(p) > 0 {
			t.Errorf("%s panicked:\n%s", s.name, strings.Join(p, "\n"))
		}
	}

	// /readyz: failing while etcd is gone (allowing a moment to notice), and
	// ready again within 5s of its return.
	t.Logf("etcd stopped at %s, restarted at %s, ready at %s", down.Format("15:04:05.000"), restart.Format("15:04:05.000"), back.Format("15:04:05.000"))
	defer func() {
		if !t.Failed() {
			return
		}
		for _, p := range ps {
			t.Logf("probe %s-%s (%+.1fs from stop): %d %.120q", p.at.Format("15:04:05.000"), p.end.Format("15:04:05.000"), p.at.Sub(down).Seconds(), p.code, p.body)
		}
		for _, o := range outcomes {
			if o.end.Sub(o.start) > time.Second || !o.ok() {
				t.Logf("slow or failed: %v (%+.1fs from stop)", o, o.start.Sub(down).Seconds())
			}
		}
	}()
	var downProbes, failed int
	var firstFail, lastFail time.Time
	for _, p := range ps {
		if p.code != http.StatusOK {
			if firstFail.IsZero() {
				firstFail = p.at
			}
			lastFail = p.at
		}
		if p.at.After(down.Add(3*time.Second)) && p.end.Before(restart) {
			downProbes++
			if p.code != http.StatusOK {
				failed++
			} else {
				t.Errorf("/readyz answered 200 at %s, %s into the etcd outage", p.at.Format("15:04:05.000"), p.at.Sub(down).Round(time.Millisecond))
			}
		}
		if p.at.After(back.Add(5*time.Second)) && p.code != http.StatusOK {
			t.Errorf("/readyz at %s, %s after etcd returned: %d %s", p.at.Format("15:04:05.000"), p.at.Sub(back).Round(time.Millisecond), p.code, p.body)
		}
	}
	if downProbes == 0 || failed == 0 {
		t.Errorf("no /readyz failure seen during the outage (%d probes)", downProbes)
	} else {
		t.Logf("/readyz failed from %s after etcd stopped until %s after it returned", firstFail.Sub(down).Round(time.Millisecond), lastFail.Sub(back).Round(time.Millisecond))
	}
	for _, s := range env.cicd {
		n := s.countEvents(down, func(e auditv1.Event) bool {
			return strings.HasPrefix(e.RequestURI, "/readyz") && e.ResponseStatus != nil && e.ResponseStatus.Code != http.StatusOK && e.StageTimestamp.Time.Before(restart)
		})
		if n == 0 {
			t.Errorf("%s never answered /readyz with a failure during the outage", s.name)
		}
	}

	// Requests: a failure is a 503 or 504 with a message, none hangs past
	// the request timeout (60s), and from 5s after etcd's return all succeed.
	var longest time.Duration
	var firstOK time.Time
	for _, o := range outcomes {
		d := o.end.Sub(o.start)
		longest = max(longest, d)
		if d > 65*time.Second {
			t.Errorf("hung past the request timeout: %v", o)
		}
		if !o.ok() {
			msg := ""
			if s, ok := o.err.(apierrors.APIStatus); ok {
				msg = s.Status().Message
			}
			if (o.code != http.StatusServiceUnavailable && o.code != http.StatusGatewayTimeout) || strings.TrimSpace(msg) == "" {
				t.Errorf("failed without a clear 503 or 504: %v", o)
			}
			if o.start.After(back.Add(5 * time.Second)) {
				t.Errorf("failed more than 5s after etcd returned: %v", o)
			}
		} else if o.end.After(back) && (firstOK.IsZero() || o.end.Before(firstOK)) {
			firstOK = o.end
		}
	}
	if firstOK.IsZero() {
		t.Errorf("no write succeeded after etcd returned")
	} else {
		t.Logf("first write acknowledged %s after etcd returned; longest request %s", firstOK.Sub(back).Round(time.Millisecond), longest.Round(time.Millisecond))
		if firstOK.Sub(back) > 5*time.Second {
			t.Errorf("the first write after etcd returned was acknowledged %s later, want within 5s", firstOK.Sub(back).Round(time.Millisecond))
		}
	}
	for _, r := range short {
		if r.code != http.StatusGatewayTimeout || !strings.Contains(r.body, `"message"`) || r.took > 10*time.Second {
			t.Errorf("%s with ?timeout=3s while etcd was gone: %d after %s, want a 504 with a message within 10s\n%.300s", r.what, r.code, r.took.Round(time.Millisecond), r.body)
		} else {
			t.Logf("%s with ?timeout=3s while etcd was gone: %d after %s: %.200s", r.what, r.code, r.took.Round(time.Millisecond), r.body)
		}
	}
	if acked := l.verify(t, ctx, outcomes); acked == 0 {
		t.Error("no write was acknowledged")
	}
}

// requireBothServers makes sure both processes run (an earlier test may
// have left one stopped).
func requireBothServers(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, s := range env.cicd {
		restartIfStopped(t, s)
	}
	if err := waitAPIServicesAvailable(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func restartIfStopped(t *testing.T, s *cicdServer) {
	t.Helper()
	if s.running() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.startAndWait(ctx); err != nil {
		t.Fatalf("restarting %s: %v", s.name, err)
	}
}

type shortResult struct {
	what string
	code int
	body string
	took time.Duration
}

// shortTimeoutRequests sends a write and a read with ?timeout=3s through
// kube-apiserver, in parallel, and returns what came back.
func shortTimeoutRequests(t *testing.T, ns string) []shortResult {
	t.Helper()
	client, err := rest.HTTPClientFor(env.admin.config())
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = 70 * time.Second
	base := env.kubeURL + "/apis/autobusi.group.cicd/v1beta/namespaces/" + ns + "/jenkinsservices/w-0"
	reqs := []struct{ what, method, body string }{
		{"PATCH", http.MethodPatch, `{"metadata":{"labels":{"short":"timeout"}}}`},
		{"GET", http.MethodGet, ""},
	}
	res := make([]shortResult, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body io.Reader
			if r.body != "" {
				body = strings.NewReader(r.body)
			}
			req, _ := http.NewRequest(r.method, base+"?timeout=3s", body)
			req.Header.Set("Content-Type", "application/merge-patch+json")
			start := time.Now()
			resp, err := client.Do(req)
			res[i] = shortResult{what: r.what, took: time.Since(start)}
			if err != nil {
				res[i].body = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			res[i].code, res[i].body = resp.StatusCode, string(b)
		}()
	}
	wg.Wait()
	return res
}
