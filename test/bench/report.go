package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

type report struct {
	o   *options
	env *environment
	// results are the medians over the rounds, per setup and figure.
	results map[string]*setupResult
	rounds  []map[string]*setupResult
	order   []string
	started time.Time
	elapsed time.Duration
	growth  []growthPoint
	plot    string // the growth plot, relative to the report
	// first, when set, is the first round, whose memory figures count (a
	// process's RSS does not shrink back between rounds).
	first map[string]*setupResult
}

func newReport(o *options, env *environment, rounds []map[string]*setupResult, order []string, started time.Time) *report {
	r := &report{o: o, env: env, rounds: rounds, order: order, started: started, elapsed: time.Since(started), results: map[string]*setupResult{}}
	for _, id := range order {
		var rs []*setupResult
		for _, round := range rounds {
			if res := round[id]; res != nil {
				rs = append(rs, res)
			}
		}
		r.results[id] = medianResult(rs)
	}
	return r
}

func medianOf[T int | int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianResult is a setup's result whose every figure is the median of
// that figure over the rounds that did not fail.
func medianResult(rs []*setupResult) *setupResult {
	if len(rs) == 0 {
		return &setupResult{Phases: map[string]*phaseResult{}}
	}
	out := &setupResult{ID: rs[0].ID, Title: rs[0].Title, Phases: map[string]*phaseResult{}, Order: rs[0].Order,
		ServerRoles: rs[0].ServerRoles, StoredValueBytes: rs[0].StoredValueBytes}
	var ok []*setupResult
	var failures []string
	for i, r := range rs {
		if r.Failed != "" {
			failures = append(failures, fmt.Sprintf("round %d: %s", i+1, r.Failed))
			continue
		}
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		out.Failed = strings.Join(failures, "; ")
		return out
	}
	// Memory from the first round that passed: later rounds start with the
	// heap the earlier ones grew, which the Go runtime keeps.
	out.RSSBefore, out.RSSAfter = ok[0].RSSBefore, ok[0].RSSAfter
	for _, name := range out.Order {
		var ps []*phaseResult
		for _, r := range ok {
			if p := r.Phases[name]; p != nil {
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			continue
		}
		m := *ps[0]
		pick := func(f func(p *phaseResult) float64) float64 {
			var xs []float64
			for _, p := range ps {
				xs = append(xs, f(p))
			}
			return medianOf(xs)
		}
		dur := func(f func(p *phaseResult) time.Duration) time.Duration {
			var xs []time.Duration
			for _, p := range ps {
				xs = append(xs, f(p))
			}
			return medianOf(xs)
		}
		m.Elapsed = dur(func(p *phaseResult) time.Duration { return p.Elapsed })
		m.P50 = dur(func(p *phaseResult) time.Duration { return p.P50 })
		m.P99 = dur(func(p *phaseResult) time.Duration { return p.P99 })
		m.LagP50 = dur(func(p *phaseResult) time.Duration { return p.LagP50 })
		m.LagP99 = dur(func(p *phaseResult) time.Duration { return p.LagP99 })
		m.EventsPerSec = pick(func(p *phaseResult) float64 { return p.EventsPerSec })
		m.Conflicts = int(pick(func(p *phaseResult) float64 { return float64(p.Conflicts) }))
		m.Reviews = int64(pick(func(p *phaseResult) float64 { return float64(p.Reviews) }))
		m.Converted = int64(pick(func(p *phaseResult) float64 { return float64(p.Converted) }))
		m.CPU = map[string]float64{}
		for k := range ps[0].CPU {
			m.CPU[k] = pick(func(p *phaseResult) float64 { return p.CPU[k] })
		}
		out.Phases[name] = &m
	}
	if len(failures) > 0 {
		// The medians are of the rounds that passed; say which did not.
		out.Title += " (" + strings.Join(failures, "; ") + ")"
	}
	return out
}

// notesMarker starts the part of docs/benchmarks.md that make bench keeps.
const notesMarker = "<!-- Everything below this line is kept when make bench rewrites the file. -->"

type goal struct {
	figure, want, how string
	value             float64
	ok, known         bool
	// byCPU is the same ratio from the CPU time each operation cost (API
	// server, webhook, etcd and client together): what the ratio would be on
	// a machine where CPU is the limit and nothing else runs.
	byCPU      float64
	byCPUKnown bool
	// ceiling is byCPU with cicd-apiserver and its etcd at no CPU: the most
	// any work on our server could reach, the rest of the path as measured.
	ceiling      float64
	ceilingKnown bool
}

func ratio(a, b float64) (float64, bool) {
	if a <= 0 || b <= 0 {
		return 0, false
	}
	return a / b, true
}

func (r *report) get(id, phase string) *phaseResult {
	res := r.results[id]
	if res == nil || res.Failed != "" {
		return nil
	}
	return res.Phases[phase]
}

func (p *phaseResult) elapsedSeconds() float64 {
	if p == nil {
		return 0
	}
	return p.Elapsed.Seconds()
}

// cpuPerOp is the CPU time (all roles, the client included) per operation
// of a phase.
func (r *report) cpuPerOp(id, phase string) float64 {
	return r.cpuPerOpWithout(id, phase)
}

// cpuPerOpBesidesUs is cpuPerOp without cicd-apiserver and its etcd: what
// the clients, and for the deployed path kube-apiserver and its etcd, spend.
func (r *report) cpuPerOpBesidesUs(id, phase string) float64 {
	p := r.get(id, phase)
	if p == nil || !strings.HasPrefix(id, "ours") {
		return 0
	}
	if _, ok := p.CPU["backend"]; ok { // behind the aggregator
		return r.cpuPerOpWithout(id, phase, "backend", "etcd")
	}
	return r.cpuPerOpWithout(id, phase, "server", "etcd")
}

// cpuPerOpWithout is the CPU time per operation of a phase of all roles but
// those left out.
func (r *report) cpuPerOpWithout(id, phase string, leftOut ...string) float64 {
	p := r.get(id, phase)
	if p == nil || p.Ops == 0 {
		return 0
	}
	total := 0.0
	for k, v := range p.CPU {
		if !slices.Contains(leftOut, k) {
			total += v
		}
	}
	return total / float64(p.Ops)
}

// targets are the figures, computed from this run.
func (r *report) targets() []goal {
	var ts []goal
	add := func(figure, want, how string, v float64, known bool, ok func(float64) bool, cpu float64, cpuKnown bool) {
		t := goal{figure: figure, want: want, how: how, value: v, known: known, byCPU: cpu, byCPUKnown: cpuKnown}
		if known {
			t.ok = ok(v)
		}
		ts = append(ts, t)
	}
	ge := func(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
	le := func(x float64) func(float64) bool { return func(v float64) bool { return v <= x } }
	// compare adds how many times ours beats other in phase, by the measure
	// of, and by the CPU an operation costs.
	compare := func(figure, want string, ok func(float64) bool, of measure, ours, other, phase, note string) {
		po, pt := r.get(ours, phase), r.get(other, phase)
		var v float64
		var k bool
		how := ours + " ÷ " + other
		switch of {
		case byRate:
			v, k = ratio(po.Rate(), pt.Rate())
		case byEvents:
			if po != nil && pt != nil {
				v, k = ratio(po.EventsPerSec, pt.EventsPerSec)
			}
		case byTime:
			v, k = ratio(pt.elapsedSeconds(), po.elapsedSeconds())
			how = other + " ÷ " + ours
		}
		c, ck := ratio(r.cpuPerOp(other, phase), r.cpuPerOp(ours, phase))
		add(figure, want, how+note, v, k, ok, c, ck)
		if !strings.HasPrefix(other, "ours") {
			ts[len(ts)-1].ceiling, ts[len(ts)-1].ceilingKnown = ratio(r.cpuPerOp(other, phase), r.cpuPerOpBesidesUs(ours, phase))
		}
	}
	lag := func(figure, want, id, phase string, limit time.Duration) {
		t := goal{figure: figure, want: want, how: id}
		if w := r.get(id, phase); w != nil && w.Events > 0 {
			t.value, t.known = float64(w.LagP99)/float64(time.Millisecond), true
			t.ok = w.LagP99 < limit
		}
		ts = append(ts, t)
	}
	many := fmt.Sprintf("%d watchers", r.o.p.ManyWatchers)

	// The deployed path: through kube-apiserver's aggregator.
	compare("creates/s through the aggregator, ours (protobuf) ÷ CRD (v1beta JSON)", "≥ 2.5", ge(2.5), byRate, "ours-agg", "crd-beta", "create", "")
	compare("GETs/s through the aggregator, ours ÷ CRD", "≥ 1.5", ge(1.5), byRate, "ours-agg", "crd-beta", "get", "")
	compare("full list of N through the aggregator, CRD time ÷ ours", "≥ 5", ge(5), byTime, "ours-agg", "crd-beta", "list", "")
	compare("watch through the aggregator, "+many+": events/s ours ÷ CRD", "≥ 3", ge(3), byEvents, "ours-agg", "crd-beta", manyWatchPhase, "")
	lag("watch through the aggregator, "+many+": p99 lag ours", "< 10 ms", "ours-agg", manyWatchPhase, 10*time.Millisecond)
	compare(fmt.Sprintf("watch through the aggregator, %d watchers: events/s ours ÷ CRD", r.o.p.Watchers), "–", ge(0), byEvents, "ours-agg", "crd-beta", "watch", "")
	compare("creates/s through the aggregator, ours (JSON) ÷ CRD", "–", ge(0), byRate, "ours-agg-json", "crd-beta", "create", "")
	compare("GETs/s through the aggregator, ours (JSON) ÷ CRD", "–", ge(0), byRate, "ours-agg-json", "crd-beta", "get", "")
	compare("delete-collection of N through the aggregator, CRD time ÷ ours", "≥ 10", ge(10), byTime, "ours-agg", "crd-beta", "delete", "")

	// Local mode: clients talk to cicd-apiserver directly.
	compare("creates/s, ours local ÷ CRD", "≥ 4", ge(4), byRate, "ours-pb", "crd-beta", "create", "")
	compare("creates/s, ours local ÷ raw etcd puts", "≥ 0.4", ge(0.4), byRate, "ours-pb", "etcd", "create", "")
	compare("GETs/s, ours local ÷ CRD", "–", ge(0), byRate, "ours-pb", "crd-beta", "get", "")
	compare("full list of N, CRD time ÷ ours local", "–", ge(0), byTime, "ours-pb", "crd-beta", "list", "")
	compare("watch, "+many+": events/s ours local ÷ CRD", "–", ge(0), byEvents, "ours-pb", "crd-beta", manyWatchPhase, "")
	compare("v1alpha GET time ÷ v1beta GET time, ours", "≤ 1.05", le(1.05), byTime, "ours-pb", "ours-alpha", "get", " (both protobuf, local)")
	compare("delete-collection of N, CRD time ÷ ours local", "≥ 10", ge(10), byTime, "ours-pb", "crd-beta", "delete", "")
	var v float64
	var k bool
	mem := r.results
	if r.first != nil {
		mem = r.first
	}
	ours, crd := mem["ours-pb"], mem["crd-beta"]
	if ours != nil && crd != nil && ours.Failed == "" && crd.Failed == "" {
		v, k = ratio(float64(ours.RSSAfter-ours.RSSBefore), float64(crd.RSSAfter-crd.RSSBefore))
	} else {
		v, k = 0, false
	}
	// The target is at the largest N of -growth (processes started for it);
	// without -growth, at N in the first round.
	if gv, gn, ok := growthMemoryRatio(r.growth, "ours-pb", "crd-beta"); ok {
		add(fmt.Sprintf("resident memory per object at N=%d, ours ÷ CRD", gn), "≤ 0.3", "ours-pb ÷ crd-beta, growth: RSS after create − RSS after start", gv, true, le(0.3), 0, false)
		add(fmt.Sprintf("resident memory per object at N=%d, ours ÷ CRD", r.o.p.N), "–", "ours-pb ÷ crd-beta, RSS after − before create, first round (fresh processes)", v, k, ge(0), 0, false)
	} else {
		add("resident memory per object, ours ÷ CRD", "≤ 0.3", "ours-pb ÷ crd-beta, RSS after − before create, first round (fresh processes)", v, k, le(0.3), 0, false)
	}
	compare("creates/s, ours local ÷ built-in Deployments", "≥ 1.5", ge(1.5), byRate, "ours-pb", "deploy", "create", "")
	return ts
}

// measure is what a target compares.
type measure int

const (
	byRate   measure = iota // operations per second
	byTime                  // the phase's time, the other's ÷ ours
	byEvents                // watch events per second
)

func fmtRate(p *phaseResult) string {
	if p == nil || p.Ops == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", p.Rate())
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func (r *report) rows() [][]string {
	head := []string{"setup", "create/s", "create p99", "GET/s", "GET p99", "full list", "paged list (500)",
		"updates/s (conflicts)", "watch events/s", "watch lag p99", "watch events/s, many", "lag p99, many", "delete-collection", "RSS before → after create", "stored bytes/object"}
	rows := [][]string{head}
	for _, id := range r.order {
		res := r.results[id]
		ph := res.Phases
		row := []string{id}
		row = append(row, fmtRate(ph["create"]), fmtP99(ph["create"]), fmtRate(ph["get"]), fmtP99(ph["get"]),
			fmtElapsed(ph["list"]), fmtElapsed(ph["paged-list"]))
		if u := ph["update"]; u != nil && u.Ops > 0 {
			row = append(row, fmt.Sprintf("%.0f (%d)", u.Rate(), u.Conflicts))
		} else {
			row = append(row, "–")
		}
		for _, name := range []string{"watch", manyWatchPhase} {
			if w := ph[name]; w != nil && w.Events > 0 {
				row = append(row, fmt.Sprintf("%.0f", w.EventsPerSec), fmtDur(w.LagP99))
			} else {
				row = append(row, "–", "–")
			}
		}
		row = append(row, fmtElapsed(ph["delete"]))
		if res.RSSBefore > 0 {
			row = append(row, fmt.Sprintf("%s → %s", mib(res.RSSBefore), mib(res.RSSAfter)))
		} else {
			row = append(row, "–")
		}
		if res.StoredValueBytes > 0 {
			row = append(row, fmt.Sprint(res.StoredValueBytes))
		} else {
			row = append(row, "–")
		}
		if res.Failed != "" {
			row[0] += " (FAILED)"
		}
		rows = append(rows, row)
	}
	return rows
}

func fmtP99(p *phaseResult) string {
	if p == nil || p.Ops == 0 {
		return "–"
	}
	return fmtDur(p.P99)
}

func fmtElapsed(p *phaseResult) string {
	if p == nil || p.Ops == 0 {
		return "–"
	}
	return fmtDur(p.Elapsed)
}

var phaseOrder = []string{"create", "get", "list", "paged-list", "update", "watch", manyWatchPhase, "delete"}

func (r *report) cpuRows() [][]string {
	rows := [][]string{append([]string{"setup"}, phaseOrder...)}
	for _, id := range r.order {
		res := r.results[id]
		row := []string{id}
		for _, ph := range phaseOrder {
			p := res.Phases[ph]
			if p == nil || p.CPU == nil {
				row = append(row, "–")
				continue
			}
			var parts []string
			srv := p.CPU["server"]
			if _, ok := p.CPU["server"]; ok {
				s := fmt.Sprintf("%.1f", srv)
				if wh, ok := p.CPU["webhook"]; ok {
					s = fmt.Sprintf("%.1f+%.1f", srv, wh)
				}
				if be, ok := p.CPU["backend"]; ok {
					s = fmt.Sprintf("%.1f+%.1f", srv, be)
				}
				parts = append(parts, s)
			}
			etcd := fmt.Sprintf("%.1f", p.CPU["etcd"])
			if ke, ok := p.CPU["kube-etcd"]; ok {
				etcd = fmt.Sprintf("%.1f+%.1f", p.CPU["etcd"], ke)
			}
			parts = append(parts, etcd, fmt.Sprintf("%.1f", p.CPU["client"]))
			row = append(row, strings.Join(parts, " / "))
		}
		rows = append(rows, row)
	}
	return rows
}

func (r *report) webhookRows() [][]string {
	rows := [][]string{{"setup", "phase", "operations", "conversion reviews", "objects converted", "reviews per operation", "objects by conversion"}}
	for _, id := range r.order {
		res := r.results[id]
		for _, ph := range phaseOrder {
			p := res.Phases[ph]
			if p == nil || p.Reviews == 0 {
				continue
			}
			ops := p.Ops
			switch ph {
			case "watch":
				ops = p.Ops // updates written; events are Ops × watchers
			}
			per := "–"
			if ops > 0 {
				per = fmt.Sprintf("%.2f", float64(p.Reviews)/float64(ops))
			}
			rows = append(rows, []string{id, ph, fmt.Sprint(ops), fmt.Sprint(p.Reviews), fmt.Sprint(p.Converted), per, pairsString(p.Pairs)})
		}
	}
	return rows
}

// roundTargets are the targets computed within each round.
func (r *report) roundTargets() [][]goal {
	var out [][]goal
	for _, round := range r.rounds {
		v := &report{o: r.o, env: r.env, results: round, order: r.order, first: r.rounds[0], growth: r.growth}
		out = append(out, v.targets())
	}
	return out
}

// targetRows: each target's ratio within each round, judged on the median
// over the rounds, with the spread (lowest–highest) beside it.
func (r *report) targetRows() [][]string {
	rows := [][]string{{"figure", "target", "median", "", "spread (rounds)", "by CPU per operation (median)", "ceiling: ours and its etcd at no CPU", "from"}}
	per := r.roundTargets()
	if len(per) == 0 {
		return rows
	}
	for i, t := range per[0] {
		var vals, cpus, ceilings []float64
		for _, round := range per {
			g := round[i]
			if g.known {
				vals = append(vals, g.value)
			}
			if g.byCPUKnown {
				cpus = append(cpus, g.byCPU)
			}
			if g.ceilingKnown {
				ceilings = append(ceilings, g.ceiling)
			}
		}
		f := func(x float64) string {
			if strings.Contains(t.want, "ms") {
				return fmt.Sprintf("%.1f ms", x)
			}
			return fmt.Sprintf("%.2f", x)
		}
		val, verdict, spread, cpu, ceiling := "not measured", "–", "–", "–", "–"
		if len(vals) > 0 {
			m := medianOf(vals)
			val = f(m)
			if t.want != "–" {
				verdict = "missed"
				if targetMet(t.want, m) {
					verdict = "met"
				}
			}
			lo, hi := vals[0], vals[0]
			for _, x := range vals {
				lo, hi = min(lo, x), max(hi, x)
			}
			spread = fmt.Sprintf("%s–%s (%d)", f(lo), f(hi), len(vals))
		}
		if len(cpus) > 0 {
			cpu = fmt.Sprintf("%.2f", medianOf(cpus))
		}
		if len(ceilings) > 0 {
			ceiling = fmt.Sprintf("%.2f", medianOf(ceilings))
		}
		rows = append(rows, []string{t.figure, t.want, val, verdict, spread, cpu, ceiling, t.how})
	}
	return rows
}

// targetMet judges a median against a target written as "≥ x", "≤ x" or
// "< x ms".
func targetMet(want string, v float64) bool {
	var x float64
	switch {
	case strings.HasPrefix(want, "≥"):
		_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(want, "≥")), "%g", &x)
		return v >= x
	case strings.HasPrefix(want, "≤"):
		_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(want, "≤")), "%g", &x)
		return v <= x
	case strings.HasPrefix(want, "<"):
		_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(want, "<")), "%g", &x)
		return v < x
	}
	return false
}

func markdownTable(rows [][]string) string {
	var sb strings.Builder
	for i, row := range rows {
		sb.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			seps := make([]string, len(row))
			for j := range seps {
				seps[j] = "---"
			}
			sb.WriteString("| " + strings.Join(seps, " | ") + " |\n")
		}
	}
	return sb.String()
}

func textTable(rows [][]string) string {
	widths := map[int]int{}
	for _, row := range rows {
		for j, c := range row {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	var sb strings.Builder
	for _, row := range rows {
		for j, c := range row {
			sb.WriteString(c + strings.Repeat(" ", widths[j]-len([]rune(c))+2))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func (r *report) terminal() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Results (N=%d, C=%d, medians of %d rounds), %s:\n\n", r.o.p.N, r.o.p.C, len(r.rounds), r.elapsed.Round(time.Second))
	sb.WriteString(textTable(r.rows()))
	sb.WriteString("\nCPU seconds per phase, medians (API server[+webhook or +cicd-apiserver behind the aggregator] / etcd[+kube-apiserver's etcd] / bench client):\n\n")
	sb.WriteString(textTable(r.cpuRows()))
	if rows := r.webhookRows(); len(rows) > 1 {
		sb.WriteString("\nConversion webhook calls:\n\n")
		sb.WriteString(textTable(rows))
	}
	fmt.Fprintf(&sb, "\nTargets (ratios within each of %d rounds; median and spread):\n\n", len(r.rounds))
	sb.WriteString(textTable(r.targetRows()))
	for _, id := range r.order {
		if f := r.results[id].Failed; f != "" {
			fmt.Fprintf(&sb, "\n%s FAILED: %s\n", id, f)
		}
	}
	return sb.String()
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb); err == nil {
					mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
				}
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d CPUs%s, Linux %s", model, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func gitCommit() string {
	out, err := exec.Command("git", "log", "-1", "--format=%h").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func (r *report) markdown() string {
	var sb strings.Builder
	p := r.o.p
	sb.WriteString("# Benchmarks\n\n")
	sb.WriteString("Written by `make bench` (`hack/bench.sh`, `test/bench`); do not edit above the notes marker.\n")
	sb.WriteString("The same workload runs against every setup on one machine. All setups are started first;\n")
	sb.WriteString("then each round runs every phase against every setup in turn (the creates of all, then\n")
	sb.WriteString("the GETs of all, ...; each round starts with another setup), and the report gives the\n")
	sb.WriteString("median over the rounds of each figure, and of each target ratio computed within a round,\n")
	sb.WriteString("with its spread. Every API server has an etcd of its own, started fresh with the same\n")
	sb.WriteString("flags. Setups that share a server (the CRD's versions; ours-agg and ours-agg-json) use a\n")
	sb.WriteString("namespace each.\n\n")
	fmt.Fprintf(&sb, "- date: %s (run took %s)\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	fmt.Fprintf(&sb, "- machine: %s; load average at the end %s (other work shares the machine)\n", machine(), loadavg())
	fmt.Fprintf(&sb, "- versions: cicd-apiserver `%s` built from the working tree at commit `%s`; kube-apiserver `%s`; etcd %s; %s (client and webhook)\n",
		r.env.versions["cicd-apiserver"], gitCommit(), orDash(r.env.versions["kube-apiserver"]), orDash(r.env.versions["etcd"]), runtime.Version())
	fmt.Fprintf(&sb, "- workload, %d rounds: N=%d, C=%d; %d random GETs; full list ×%d and paged list (limit %d) ×%d, the best counts; %d read-modify-write updates on %d hot keys with conflict retry; %d watchers × %d updates, then %d watchers × %d updates (\"many\"); delete-collection\n",
		len(r.rounds), p.N, p.C, p.Gets, p.Lists, p.PageLimit, p.Lists, p.Updates, p.HotKeys, p.Watchers, p.WatchUpdates, p.ManyWatchers, p.ManyWatchUpdates)
	fsync := "etcd fsyncs its WAL (default)"
	if !r.o.fsync {
		fsync = "etcd runs with --unsafe-no-fsync"
	}
	if noGzip {
		sb.WriteString("- clients do not accept gzip (-no-gzip)\n")
	}
	if len(r.o.aggServerFlags) > 0 {
		fmt.Fprintf(&sb, "- cicd-apiserver behind the aggregator runs with `%s` (-agg-server-flags)\n", strings.Join(r.o.aggServerFlags, " "))
	}
	if r.o.aggRouting {
		sb.WriteString("- kube-apiserver runs with `--enable-aggregator-routing` (-agg-routing): it picks an endpoint of the Service per request\n")
	}
	if r.o.clientAuth == clientAuthCert {
		sb.WriteString("- clients of kube-apiserver authenticate with the admin's client certificate (system:masters; -client-auth cert)\n")
	} else {
		sb.WriteString("- clients of kube-apiserver (the CRD's, Deployments', ours through the aggregator) authenticate with a ServiceAccount token and are authorized by an RBAC ClusterRole, as in-cluster clients are; clients of cicd-apiserver in local mode with a client certificate\n")
	}
	fmt.Fprintf(&sb, "- %s; cicd-apiserver runs in local mode with `--etcd-servers` (an etcd process like kube-apiserver's, so that the server's CPU and memory are its own); for `ours-agg*` it runs in delegated mode behind a kube-apiserver of its own with the aggregation layer (front-proxy client certificate of a CA of its own, `--requestheader-*`, APIServices for both versions pointing at a Service), and the clients talk to that kube-apiserver\n\n", fsync)

	if r.env.preferred["ours"] != "" || r.env.preferred["crd"] != "" {
		fmt.Fprintf(&sb, "Discovery's preferred version of `autobusi.group.cicd`: cicd-apiserver `%s` (through the aggregator `%s`), the CRD `%s` (a CRD orders versions without a trailing number alphabetically).\n\n",
			orDash(r.env.preferred["ours"]), orDash(r.env.preferred["agg"]), orDash(r.env.preferred["crd"]))
	}
	sb.WriteString("## Setups\n\n")
	for _, id := range r.order {
		fmt.Fprintf(&sb, "- `%s`: %s\n", id, r.results[id].Title)
	}
	fmt.Fprintf(&sb, "\n## Results (medians of %d rounds)\n\n", len(r.rounds))
	sb.WriteString(markdownTable(r.rows()))
	fmt.Fprintf(&sb, "\nGET and create latencies are per request; list times are one full listing (all pages for the paged list), decoded into typed objects by the client (raw etcd: values not decoded), the best of %d; update latency includes the conflict retries; watch events/s counts the events all watchers received from the first write to the last event; the lag of an event runs from the acknowledgement of its write to its arrival (0 when it arrives first). Delete-collection runs until a list is empty, calling again when the server ends the call at its 60s request timeout (raw etcd: one range delete).\n\n", p.Lists)
	sb.WriteString("### CPU seconds per phase\n\nMedians over the rounds, from `/proc/PID/stat` (user + system): API server (+ conversion webhook, or + cicd-apiserver behind the aggregator) / etcd (+ kube-apiserver's etcd for the deployed path) / the bench process (clients and watchers, decoding included).\n\n")
	sb.WriteString(markdownTable(r.cpuRows()))
	if rows := r.webhookRows(); len(rows) > 1 {
		sb.WriteString("\n### Conversion webhook calls\n\n")
		sb.WriteString(markdownTable(rows))
	}
	sb.WriteString("\n## Targets\n\nRatios within each round (issue 14), judged on the median over the rounds; the spread is the lowest and highest round. The machine is shared and every setup is CPU-bound, so a rate is the CPU the setup got divided by the CPU an operation costs; \"by CPU per operation\" is the same ratio computed from the CPU time of each operation (API server, webhook, etcd and the bench client together, from the table above), which does not depend on how much CPU other work left to the setup. \"Ceiling\" is that ratio with cicd-apiserver and its etcd costing no CPU at all: what the clients, and on the deployed path kube-apiserver, spend already; a target above it cannot be met by any work on our server.\n\n")
	sb.WriteString(markdownTable(r.targetRows()))
	for _, id := range r.order {
		if f := r.results[id].Failed; f != "" {
			fmt.Fprintf(&sb, "\n**%s failed**: %s\n", id, f)
		}
	}
	sb.WriteString(growthMarkdown(r.growth, r.plot))
	return sb.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// write writes text to path, keeping whatever follows the notes marker in
// the file that is there.
func (r *report) write(path, text string) error {
	notes := notesMarker + "\n\n## Notes\n\n(none yet)\n"
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(old), notesMarker); i >= 0 {
			notes = string(old[i:])
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text+"\n"+notes), 0o644)
}
