//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// outcome is one request of a load.
type outcome struct {
	op         string // "patch" or "create"
	object     string
	seq        int
	start, end time.Time
	code       int // HTTP status; 0 when there was no response
	err        error
}

func (o outcome) ok() bool { return o.err == nil }

func (o outcome) String() string {
	s := fmt.Sprintf("%s %s #%d at %s (%s)", o.op, o.object, o.seq, o.start.Format("15:04:05.000"), o.end.Sub(o.start).Round(time.Millisecond))
	if o.err != nil {
		s += fmt.Sprintf(": %d %v", o.code, o.err)
	}
	return s
}

func classify(err error) int {
	var s apierrors.APIStatus
	if errors.As(err, &s) {
		return int(s.Status().Code)
	}
	return 0
}

// load writes through kube-apiserver until stopped: one worker per object
// patches a label "seq" with 1, 2, 3, ... (odd numbers through v1alpha, even
// through v1beta), and a creator creates new objects, one every interval, up
// to creates. Every outcome is recorded, so that afterwards each
// acknowledged write can be looked for.
type load struct {
	ns      string
	objects []string
	client  versioned.Interface

	mu       sync.Mutex
	outcomes []outcome
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// startLoad creates the objects and starts writing to them.
func startLoad(t *testing.T, ctx context.Context, ns string, objects, creates int, interval time.Duration) *load {
	t.Helper()
	cfg := env.admin.config()
	// Longer than the servers' and kube-apiserver's request timeout (60s):
	// a request that hangs past it shows up as a client-side timeout.
	cfg.Timeout = 75 * time.Second
	client, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := &load{ns: ns, client: client}
	for i := range objects {
		name := fmt.Sprintf("w-%d", i)
		if _, err := env.js.CicdV1beta().JenkinsServices(ns).Create(ctx, jenkinsService(ns, name, 1), metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
		l.objects = append(l.objects, name)
	}
	lctx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	for _, name := range l.objects {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for seq := 1; lctx.Err() == nil; seq++ {
				patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{"seq":"%d"}}}`, seq))
				o := outcome{op: "patch", object: name, seq: seq, start: time.Now()}
				if seq%2 == 1 {
					_, o.err = client.CicdV1alpha().JenkinsServices(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{})
				} else {
					_, o.err = client.CicdV1beta().JenkinsServices(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{})
				}
				o.end, o.code = time.Now(), classify(o.err)
				l.record(o)
				if o.err != nil {
					sleepCtx(lctx, 100*time.Millisecond)
				}
			}
		}()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; i < creates && lctx.Err() == nil; i++ {
			name := fmt.Sprintf("c-%d", i)
			o := outcome{op: "create", object: name, seq: 1, start: time.Now()}
			_, o.err = client.CicdV1beta().JenkinsServices(ns).Create(context.Background(), jenkinsService(ns, name, 1), metav1.CreateOptions{})
			o.end, o.code = time.Now(), classify(o.err)
			l.record(o)
			sleepCtx(lctx, interval)
		}
	}()
	return l
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (l *load) record(o outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
}

// stop ends the load and waits for the requests in flight.
func (l *load) stop() []outcome {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	res := append([]outcome(nil), l.outcomes...)
	sort.Slice(res, func(i, j int) bool { return res[i].start.Before(res[j].start) })
	return res
}

// verify checks that every acknowledged write is there: each object's label
// is at least its last acknowledged seq (and one that was sent), and each
// acknowledged create exists. It returns the number of acknowledged writes.
func (l *load) verify(t *testing.T, ctx context.Context, outcomes []outcome) int {
	t.Helper()
	acked := 0
	lastAcked := map[string]int{}
	sent := map[string]map[int]bool{}
	for _, o := range outcomes {
		if sent[o.object] == nil {
			sent[o.object] = map[int]bool{}
		}
		sent[o.object][o.seq] = true
		if o.ok() {
			acked++
			if o.seq > lastAcked[o.object] {
				lastAcked[o.object] = o.seq
			}
		}
	}
	for _, name := range l.objects {
		js, err := env.js.CicdV1beta().JenkinsServices(l.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := 0
		if v, ok := js.Labels["seq"]; ok {
			got, _ = strconv.Atoi(v)
		}
		if got < lastAcked[name] || (got > 0 && !sent[name][got]) {
			t.Errorf("%s: label seq=%d, but write #%d was acknowledged: an acknowledged write is lost", name, got, lastAcked[name])
		}
	}
	for _, o := range outcomes {
		if o.op == "create" && o.ok() {
			if _, err := env.js.CicdV1beta().JenkinsServices(l.ns).Get(ctx, o.object, metav1.GetOptions{}); err != nil {
				t.Errorf("acknowledged create of %s is lost: %v", o.object, err)
			}
		}
	}
	return acked
}

// summary counts outcomes by result.
func summary(outcomes []outcome) string {
	counts := map[string]int{}
	for _, o := range outcomes {
		k := "ok"
		if !o.ok() {
			k = fmt.Sprintf("%d", o.code)
		}
		counts[o.op+" "+k]++
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// probe is one GET /readyz on the servers' shared port.
type probe struct {
	at, end time.Time
	code    int
	body    string
}

// probeReadyz polls /readyz on the shared port with parallel probers, each
// every interval and each time on a new connection (so either process may
// answer), until ctx ends.
func probeReadyz(ctx context.Context, probers int, interval time.Duration) func() []probe {
	var (
		mu     sync.Mutex
		probes []probe
		wg     sync.WaitGroup
	)
	client := insecureClient(10 * time.Second)
	for range probers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				p := probe{at: time.Now()}
				req, _ := http.NewRequest(http.MethodGet, env.cicd[0].url("/readyz"), nil)
				if resp, err := client.Do(req); err == nil {
					var b strings.Builder
					buf := make([]byte, 4096)
					n, _ := resp.Body.Read(buf)
					b.Write(buf[:n])
					resp.Body.Close()
					p.code, p.body = resp.StatusCode, b.String()
				} else {
					p.body = err.Error()
				}
				p.end = time.Now()
				mu.Lock()
				probes = append(probes, p)
				mu.Unlock()
				sleepCtx(ctx, interval)
			}
		}()
	}
	return func() []probe {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		res := append([]probe(nil), probes...)
		sort.Slice(res, func(i, j int) bool { return res[i].at.Before(res[j].at) })
		return res
	}
}

// watchAvailability records every state of the APIServices' Available
// condition other than True, until ctx ends.
func watchAvailability(ctx context.Context) func() []string {
	var (
		mu   sync.Mutex
		bad  []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			conds, err := apiServiceAvailable(context.Background())
			now := time.Now().Format("15:04:05.000")
			mu.Lock()
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", now, err))
			}
			for _, name := range apiServiceNames {
				if c, ok := conds[name]; err == nil && (!ok || c.Status != metav1.ConditionTrue) {
					bad = append(bad, fmt.Sprintf("%s: %s Available=%s %s: %s", now, name, c.Status, c.Reason, c.Message))
				}
			}
			mu.Unlock()
			sleepCtx(ctx, 250*time.Millisecond)
		}
	}()
	return func() []string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return bad
	}
}
