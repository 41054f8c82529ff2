package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// params is the workload.
type params struct {
	N, C             int   // objects, concurrency
	Gets             int   // random GETs
	Lists            int   // repetitions of the full and the paged list
	PageLimit        int64 // page size of the paged list
	Updates          int   // read-modify-write updates on the hot keys
	HotKeys          int   // keys the updates go to
	Watchers         int   // watchers of the watch phase
	WatchUpdates     int   // M: updates each watcher receives
	ManyWatchers     int   // watchers of the second watch phase (0: none)
	ManyWatchUpdates int   // updates of the second watch phase
	Rounds           int   // rounds of every phase against every setup
}

// role is a process whose CPU time the bench records.
type role struct {
	name string // "server", "webhook", "etcd"
	pid  int
}

// setup is one of the setups, ready to run.
type setup struct {
	id, title string
	t         target
	roles     []role
	rssPID    int // the API server, whose memory is recorded
	// reviews, when set, returns the conversion webhook's counters.
	reviews func() webhookCounters
	// profile, when set, returns a function that fetches a CPU profile of
	// the server over d.
	profile func(d time.Duration) (io.ReadCloser, error)
	heap    func() (io.ReadCloser, error)
	// etcdProfile, when set, fetches a CPU profile of the setup's etcd.
	etcdProfile func(d time.Duration) (io.ReadCloser, error)
	// backendProfile, when set, fetches a CPU profile of the aggregated
	// server behind kube-apiserver (ours-agg).
	backendProfile func(d time.Duration) (io.ReadCloser, error)
	// ns is the namespace of the setup's objects.
	ns string
	// baseRSS is the API server's RSS before the first round.
	baseRSS int64
	// storedBytes is the size of one object as stored in etcd.
	storedBytes int
}

type phaseResult struct {
	Name      string
	Ops       int
	Errors    int
	FirstErr  string
	Elapsed   time.Duration // the whole phase; for lists the median repetition
	P50, P99  time.Duration
	Conflicts int
	CPU       map[string]float64 // CPU seconds per role during the phase
	Reviews   int64              // conversion reviews during the phase
	Converted int64              // objects converted by the webhook during the phase
	Pairs     map[string]int64   // objects converted during the phase, by "from→to" version
	Items     int                // items of a list
	Times     []time.Duration    // each repetition of a list
	Calls     int                // delete-collection calls it took

	Events       int
	EventsPerSec float64
	LagP50       time.Duration
	LagP99       time.Duration
}

// Rate is operations per second.
func (p *phaseResult) Rate() float64 {
	if p == nil || p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Ops) / p.Elapsed.Seconds()
}

type setupResult struct {
	ID, Title        string
	Phases           map[string]*phaseResult
	Order            []string
	RSSBefore        int64
	RSSAfter         int64
	Failed           string
	ServerRoles      []string
	StoredValueBytes int
}

type bench struct {
	roundNo    int // the round running, for profile names
	p          params
	profileDir string
	profileFor time.Duration
	logf       func(format string, args ...any)
}

// cpuOf reads the CPU seconds of the roles and of this process ("client":
// the clients, their decoding, the watchers).
func cpuOf(roles []role) map[string]float64 {
	m := map[string]float64{}
	if s, err := cpuSeconds(os.Getpid()); err == nil {
		m["client"] = s
	}
	for _, r := range roles {
		if s, err := cpuSeconds(r.pid); err == nil {
			m[r.name] = s
		}
	}
	return m
}

// runPhase runs fn and records the CPU the roles used meanwhile, the
// webhook's reviews and, with -profile-dir, a CPU profile of the server.
func (b *bench) runPhase(ctx context.Context, s *setup, res *setupResult, name string, fn func(ctx context.Context, pr *phaseResult) error) {
	pr := &phaseResult{Name: name}
	res.Phases[name] = pr
	res.Order = append(res.Order, name)
	if res.Failed != "" {
		return
	}
	var profWG sync.WaitGroup
	if b.profileDir != "" {
		profiles := map[string]func(time.Duration) (io.ReadCloser, error){
			fmt.Sprintf("%s-r%d-%s.pprof", s.id, b.roundNo+1, name):         s.profile,
			fmt.Sprintf("%s-r%d-%s-etcd.pprof", s.id, b.roundNo+1, name):    s.etcdProfile,
			fmt.Sprintf("%s-r%d-%s-backend.pprof", s.id, b.roundNo+1, name): s.backendProfile,
		}
		started := false
		for file, profile := range profiles {
			if profile == nil {
				continue
			}
			started = true
			profWG.Add(1)
			go func() {
				defer profWG.Done()
				b.fetch(profile(b.profileFor))(filepath.Join(b.profileDir, file))
			}()
		}
		if started {
			time.Sleep(100 * time.Millisecond) // let the profiles start
		}
	}
	var w0 webhookCounters
	if s.reviews != nil {
		w0 = s.reviews()
	}
	before := cpuOf(s.roles)
	err := fn(ctx, pr)
	after := cpuOf(s.roles)
	pr.CPU = map[string]float64{}
	for k, v := range after {
		pr.CPU[k] = v - before[k]
	}
	if s.reviews != nil {
		w1 := s.reviews()
		pr.Reviews, pr.Converted = w1.Reviews-w0.Reviews, w1.Objects-w0.Objects
		pr.Pairs = map[string]int64{}
		for k, v := range w1.Pairs {
			if d := v - w0.Pairs[k]; d > 0 {
				pr.Pairs[k] = d
			}
		}
	}
	if err != nil {
		pr.Errors++
		if pr.FirstErr == "" {
			pr.FirstErr = err.Error()
		}
	}
	if pr.Errors > 0 && res.Failed == "" && name != "delete" {
		res.Failed = fmt.Sprintf("%s: %d errors, first: %s", name, pr.Errors, pr.FirstErr)
	}
	b.logf("[%s] %s", s.id, describePhase(pr))
	profWG.Wait()
}

func (b *bench) fetch(rc io.ReadCloser, err error) func(path string) {
	return func(path string) {
		if err != nil {
			b.logf("profile %s: %v", filepath.Base(path), err)
			return
		}
		defer rc.Close()
		f, err := os.Create(path)
		if err != nil {
			b.logf("profile: %v", err)
			return
		}
		defer f.Close()
		if _, err := io.Copy(f, rc); err != nil {
			b.logf("profile %s: %v", filepath.Base(path), err)
		}
	}
}

func describePhase(pr *phaseResult) string {
	var sb strings.Builder
	switch pr.Name {
	case "list", "paged-list":
		var ts []string
		for _, t := range pr.Times {
			ts = append(ts, round(t).String())
		}
		fmt.Fprintf(&sb, "%s: %d items in %s (best of %d; median %s; each: %s)", pr.Name, pr.Items, round(pr.Elapsed), pr.Ops, round(pr.P50), strings.Join(ts, ", "))
	case "watch", manyWatchPhase:
		fmt.Fprintf(&sb, "%s: %d events in %s = %.0f events/s, lag p50 %s p99 %s", pr.Name, pr.Events, round(pr.Elapsed),
			pr.EventsPerSec, round(pr.LagP50), round(pr.LagP99))
	case "delete":
		fmt.Fprintf(&sb, "delete-collection: %d objects in %s (%d calls)", pr.Ops, round(pr.Elapsed), pr.Calls)
	default:
		fmt.Fprintf(&sb, "%s: %d in %s = %.0f/s, p50 %s p99 %s", pr.Name, pr.Ops, round(pr.Elapsed), pr.Rate(), round(pr.P50), round(pr.P99))
	}
	if pr.Conflicts > 0 {
		fmt.Fprintf(&sb, ", %d conflicts", pr.Conflicts)
	}
	var cpu []string
	for _, k := range []string{"server", "webhook", "backend", "etcd", "kube-etcd", "client"} {
		if v, ok := pr.CPU[k]; ok {
			cpu = append(cpu, fmt.Sprintf("%s %.1fs", k, v))
		}
	}
	if len(cpu) > 0 {
		fmt.Fprintf(&sb, " | cpu %s", strings.Join(cpu, ", "))
	}
	if pr.Reviews > 0 {
		fmt.Fprintf(&sb, " | webhook %d reviews, %d objects (%s)", pr.Reviews, pr.Converted, pairsString(pr.Pairs))
	}
	if pr.Errors > 0 {
		fmt.Fprintf(&sb, " | %d ERRORS, first: %s", pr.Errors, pr.FirstErr)
	}
	return sb.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// parallel runs op for k in [0, total) on c workers and records latencies.
// It stops early after too many errors.
func parallel(ctx context.Context, c, total int, pr *phaseResult, op func(ctx context.Context, k int) error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	maxErrors := int64(max(10, total/100))
	var next, errs atomic.Int64
	var mu sync.Mutex
	var first string
	lats := make([][]time.Duration, c)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= total || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := op(ctx, k)
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err.Error()
						mu.Unlock()
					}
					if errs.Load() >= maxErrors {
						cancel()
					}
					continue
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	pr.Elapsed = time.Since(start)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	pr.Ops = len(all)
	pr.P50, pr.P99 = percentile(all, 0.50), percentile(all, 0.99)
	pr.Errors += int(errs.Load())
	if first != "" && pr.FirstErr == "" {
		pr.FirstErr = first
	}
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d))*q+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// newResult is an empty result of one round of a setup.
func (b *bench) newResult(s *setup) *setupResult {
	res := &setupResult{ID: s.id, Title: s.title, Phases: map[string]*phaseResult{}}
	for _, r := range s.roles {
		if !strings.HasSuffix(r.name, "etcd") {
			res.ServerRoles = append(res.ServerRoles, r.name)
		}
	}
	return res
}

// step is one phase of the workload, run against one setup.
type step struct {
	name string
	run  func(ctx context.Context, s *setup, res *setupResult)
}

// round runs the workload once against every setup, phase by phase: the
// create phase of every setup, then the GET phase of every setup, and so on,
// so that a burst of load from elsewhere on the machine hits them alike.
func (b *bench) round(ctx context.Context, setups []*setup, round int) map[string]*setupResult {
	b.roundNo = round
	out := map[string]*setupResult{}
	for _, s := range setups {
		out[s.id] = b.newResult(s)
		b.logf("[%s] round %d: %s: N=%d C=%d", s.id, round+1, s.title, b.p.N, b.p.C)
	}
	for _, st := range b.steps() {
		for _, s := range setups {
			if ctx.Err() != nil {
				return out
			}
			settle()
			st.run(ctx, s, out[s.id])
		}
	}
	for _, s := range setups {
		if res := out[s.id]; res.Failed != "" {
			b.logf("[%s] round %d FAILED: %s", s.id, round+1, res.Failed)
			// Leave nothing behind for the next round.
			_ = s.t.deleteCollection(ctx)
		}
	}
	return out
}

// settle runs before each phase: the clients' garbage of the previous phase
// is collected and the servers get a moment to finish theirs, so that
// neither falls on the next setup in line (in one run, v1alpha GETs right
// after v1beta's were 17–23% slower, and 9% faster when not adjacent).
func settle() {
	runtime.GC()
	time.Sleep(300 * time.Millisecond)
}

// steps are the workload's phases in order.
func (b *bench) steps() []step {
	p := b.p
	phase := func(name string, fn func(ctx context.Context, t target, pr *phaseResult) error) step {
		return step{name, func(ctx context.Context, s *setup, res *setupResult) {
			b.runPhase(ctx, s, res, name, func(ctx context.Context, pr *phaseResult) error { return fn(ctx, s.t, pr) })
		}}
	}
	var steps []step
	steps = append(steps, step{"create", func(ctx context.Context, s *setup, res *setupResult) {
		if s.rssPID != 0 {
			res.RSSBefore, _ = rssBytes(s.rssPID)
		}
		b.runPhase(ctx, s, res, "create", func(ctx context.Context, pr *phaseResult) error {
			parallel(ctx, p.C, p.N, pr, func(ctx context.Context, k int) error { return s.t.create(ctx, k) })
			return nil
		})
		if s.rssPID != 0 {
			res.RSSAfter, _ = rssBytes(s.rssPID)
			b.logf("[%s] resident memory of the API server: %s before create, %s after (+%s)", s.id,
				mib(res.RSSBefore), mib(res.RSSAfter), mib(res.RSSAfter-res.RSSBefore))
		}
		if b.profileDir != "" && s.heap != nil {
			b.fetch(s.heap())(filepath.Join(b.profileDir, fmt.Sprintf("%s-r%d-heap-after-create.pprof", s.id, b.roundNo+1)))
		}
	}})

	steps = append(steps, phase("get", func(ctx context.Context, t target, pr *phaseResult) error {
		rnd := rand.New(rand.NewPCG(1, 2))
		idx := make([]int, p.Gets)
		for k := range idx {
			idx[k] = rnd.IntN(p.N)
		}
		parallel(ctx, p.C, p.Gets, pr, func(ctx context.Context, k int) error { return t.get(ctx, idx[k]) })
		return nil
	}))

	listPhase := func(limit int64) func(ctx context.Context, t target, pr *phaseResult) error {
		return func(ctx context.Context, t target, pr *phaseResult) error {
			var times []time.Duration
			for rep := 0; rep < p.Lists; rep++ {
				t0 := time.Now()
				total, cont := 0, ""
				for pages := 0; ; pages++ {
					n, next, _, err := t.list(ctx, limit, cont)
					if err != nil {
						return err
					}
					total += n
					if next == "" {
						break
					}
					if pages > p.N {
						return fmt.Errorf("more than %d pages", pages)
					}
					cont = next
				}
				times = append(times, time.Since(t0))
				pr.Items = total
				if total != p.N {
					return fmt.Errorf("listed %d items, want %d", total, p.N)
				}
			}
			pr.Ops = len(times)
			pr.Times = append([]time.Duration(nil), times...)
			// The best repetition: other work on the machine only ever adds time.
			pr.Elapsed = percentile(times, 0)
			pr.P50, pr.P99 = percentile(times, 0.5), percentile(times, 1)
			return nil
		}
	}
	steps = append(steps, phase("list", listPhase(0)), phase("paged-list", listPhase(p.PageLimit)))

	steps = append(steps, phase("update", func(ctx context.Context, t target, pr *phaseResult) error {
		var conflicts atomic.Int64
		rnd := rand.New(rand.NewPCG(3, 4))
		keys := make([]int, p.Updates)
		for k := range keys {
			keys[k] = rnd.IntN(min(p.HotKeys, p.N))
		}
		parallel(ctx, p.C, p.Updates, pr, func(ctx context.Context, k int) error {
			_, c, err := t.update(ctx, keys[k])
			conflicts.Add(int64(c))
			return err
		})
		pr.Conflicts = int(conflicts.Load())
		return nil
	}))

	steps = append(steps, phase("watch", func(ctx context.Context, t target, pr *phaseResult) error {
		return b.watchPhase(ctx, t, pr, p.Watchers, p.WatchUpdates)
	}))
	if p.ManyWatchers > 0 {
		m := p.ManyWatchUpdates
		steps = append(steps, phase(manyWatchPhase, func(ctx context.Context, t target, pr *phaseResult) error {
			return b.watchPhase(ctx, t, pr, p.ManyWatchers, m)
		}))
	}

	steps = append(steps, phase("delete", func(ctx context.Context, t target, pr *phaseResult) error {
		// An API server ends a request after its --request-timeout (60s by
		// default), also a delete-collection that is still deleting; a
		// client then calls again, as this one does, until nothing is left.
		t0 := time.Now()
		calls := 0
		err := waitFor(ctx, 10*time.Minute, 200*time.Millisecond, func() (bool, error) {
			calls++
			derr := t.deleteCollection(ctx)
			n, _, _, err := t.list(ctx, 0, "")
			if err != nil {
				return false, err
			}
			if n == 0 {
				return true, nil
			}
			if derr != nil {
				return false, fmt.Errorf("%d left after %d calls: %v", n, calls, derr)
			}
			return false, fmt.Errorf("%d left after %d calls", n, calls)
		})
		pr.Elapsed = time.Since(t0)
		pr.Ops = p.N
		pr.Calls = calls
		return err
	}))
	return steps
}

// manyWatchPhase is the name of the watch phase with -many-watchers.
const manyWatchPhase = "watch-many"

// watchPhase starts the watchers at the current resourceVersion, makes M
// updates on C workers (distinct keys, no conflicts) and measures how fast
// and how late the watchers receive them. The lag of an event is the time
// from the acknowledgement of its write to its arrival (0 when it arrives
// before the acknowledgement).
func (b *bench) watchPhase(ctx context.Context, t target, pr *phaseResult, watchers, updates int) error {
	p := b.p
	p.Watchers = watchers
	m := min(updates, p.N-min(p.HotKeys, p.N))
	_, _, rv, err := t.list(ctx, 1, "")
	if err != nil {
		return err
	}
	type recv struct {
		rv string
		at time.Time
	}
	got := make([][]recv, p.Watchers)
	var wg sync.WaitGroup
	var stops []func()
	defer func() {
		for _, s := range stops {
			s()
		}
	}()
	complete := make(chan int, p.Watchers)
	for w := 0; w < p.Watchers; w++ {
		ch, stop, err := t.watch(ctx, rv)
		if err != nil {
			return fmt.Errorf("watch %d: %w", w, err)
		}
		stops = append(stops, stop)
		got[w] = make([]recv, 0, m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rv := range ch {
				got[w] = append(got[w], recv{rv, time.Now()})
				if len(got[w]) == m {
					complete <- w
				}
			}
		}()
	}

	var mu sync.Mutex
	acks := make(map[string]time.Time, m)
	hot := min(p.HotKeys, p.N)
	start := time.Now()
	var writes phaseResult
	parallel(ctx, p.C, m, &writes, func(ctx context.Context, k int) error {
		rv, _, err := t.update(ctx, hot+k)
		if err != nil {
			return err
		}
		now := time.Now()
		mu.Lock()
		acks[rv] = now
		mu.Unlock()
		return nil
	})
	if writes.Errors > 0 {
		pr.Errors += writes.Errors
		pr.FirstErr = writes.FirstErr
	}
	timeout := time.After(60 * time.Second)
	for done := 0; done < p.Watchers; {
		select {
		case <-complete:
			done++
		case <-timeout:
			done = p.Watchers
			pr.Errors++
			pr.FirstErr = "watchers did not receive every update within 60s"
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, s := range stops {
		s()
	}
	stops = nil
	wg.Wait()

	var last time.Time
	var lags []time.Duration
	for _, g := range got {
		pr.Events += len(g)
		for _, r := range g {
			if r.at.After(last) {
				last = r.at
			}
			if ack, ok := acks[r.rv]; ok {
				lags = append(lags, max(r.at.Sub(ack), 0))
			}
		}
	}
	pr.Ops = m
	pr.Elapsed = last.Sub(start)
	if pr.Elapsed > 0 {
		pr.EventsPerSec = float64(pr.Events) / pr.Elapsed.Seconds()
	}
	pr.LagP50, pr.LagP99 = percentile(lags, 0.5), percentile(lags, 0.99)
	pr.P50, pr.P99 = writes.P50, writes.P99
	if want := m * p.Watchers; pr.Events != want && pr.FirstErr == "" {
		pr.Errors++
		pr.FirstErr = fmt.Sprintf("watchers received %d events, want %d", pr.Events, want)
	}
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// httpGetter makes the profile functions of a server.
func httpGetter(client *http.Client, base string) (func(time.Duration) (io.ReadCloser, error), func() (io.ReadCloser, error)) {
	get := func(path string) (io.ReadCloser, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
		}
		return resp.Body, nil
	}
	return func(d time.Duration) (io.ReadCloser, error) {
			return get(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())))
		}, func() (io.ReadCloser, error) {
			return get("/debug/pprof/heap")
		}
}

func pairsString(p map[string]int64) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, p[k]))
	}
	return strings.Join(parts, ", ")
}
