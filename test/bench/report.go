package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type report struct {
	o       *options
	env     *environment
	results map[string]*setupResult
	order   []string
	started time.Time
	elapsed time.Duration
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
	p := r.get(id, phase)
	if p == nil || p.Ops == 0 {
		return 0
	}
	total := 0.0
	for _, v := range p.CPU {
		total += v
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
	// cheaper is how many times less CPU an operation of a cost than of b.
	cheaper := func(a, aPhase, b, bPhase string) (float64, bool) {
		return ratio(r.cpuPerOp(b, bPhase), r.cpuPerOp(a, aPhase))
	}

	v, k := ratio(r.get("ours-pb", "create").Rate(), r.get("crd-beta", "create").Rate())
	c, ck := cheaper("ours-pb", "create", "crd-beta", "create")
	add("creates/s, us (protobuf) ÷ CRD (v1beta JSON)", "≥ 3", "ours-pb ÷ crd-beta", v, k, ge(3), c, ck)
	v, k = ratio(r.get("ours-pb", "create").Rate(), r.get("etcd", "create").Rate())
	c, ck = cheaper("ours-pb", "create", "etcd", "create")
	add("creates/s, us ÷ raw etcd puts", "≥ 0.35", "ours-pb ÷ etcd", v, k, ge(0.35), c, ck)
	v, k = ratio(r.get("crd-beta", "list").elapsedSeconds(), r.get("ours-pb", "list").elapsedSeconds())
	c, ck = cheaper("ours-pb", "list", "crd-beta", "list")
	add("full list of N decoded, CRD JSON time ÷ our protobuf time", "≥ 5", "crd-beta ÷ ours-pb", v, k, ge(5), c, ck)
	v, k = ratio(r.get("ours-alpha", "get").elapsedSeconds(), r.get("ours-pb", "get").elapsedSeconds())
	c, ck = cheaper("ours-pb", "get", "ours-alpha", "get")
	add("v1alpha GET time ÷ v1beta GET time, ours", "≤ 1.15", "ours-alpha ÷ ours-pb (both protobuf)", v, k, le(1.15), c, ck)
	v, k = ratio(r.get("ours-pb", "create").Rate(), r.get("deploy", "create").Rate())
	c, ck = cheaper("ours-pb", "create", "deploy", "create")
	add("creates/s, ours ÷ built-in Deployments", "≥ 1.5", "ours-pb ÷ deploy", v, k, ge(1.5), c, ck)
	v, k = ratio(r.get("ours-pb", "list").elapsedSeconds(), r.get("deploy", "list").elapsedSeconds())
	c, ck = cheaper("deploy", "list", "ours-pb", "list")
	add("full-list time, ours ÷ built-in Deployments", "≤ 0.5", "ours-pb ÷ deploy", v, k, le(0.5), c, ck)
	ours, crd := r.results["ours-pb"], r.results["crd-beta"]
	if ours != nil && crd != nil {
		v, k = ratio(float64(ours.RSSAfter-ours.RSSBefore), float64(crd.RSSAfter-crd.RSSBefore))
	} else {
		v, k = 0, false
	}
	add("resident memory growth per N objects, ours ÷ kube-apiserver's for the CRD", "≤ 0.5", "ours-pb ÷ crd-beta, RSS after − before create", v, k, le(0.5), 0, false)
	ow, cw := r.get("ours-pb", "watch"), r.get("crd-beta", "watch")
	v, k = 0, false
	if ow != nil && cw != nil {
		v, k = ratio(ow.EventsPerSec, cw.EventsPerSec)
	}
	c, ck = cheaper("ours-pb", "watch", "crd-beta", "watch")
	add("watch events/s to 10 watchers, ours ÷ CRD", "≥ 2", "ours-pb ÷ crd-beta", v, k, ge(2), c, ck)
	t := goal{figure: "watch p99 lag, ours", want: "< 20 ms", how: "ours-pb"}
	if ow != nil && ow.Events > 0 {
		t.value, t.known = float64(ow.LagP99)/float64(time.Millisecond), true
		t.ok = ow.LagP99 < 20*time.Millisecond
	}
	ts = append(ts, t)
	return ts
}

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
		"updates/s (conflicts)", "watch events/s", "watch lag p99", "delete-collection", "RSS before → after create", "stored bytes/object"}
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
		if w := ph["watch"]; w != nil && w.Events > 0 {
			row = append(row, fmt.Sprintf("%.0f", w.EventsPerSec), fmtDur(w.LagP99))
		} else {
			row = append(row, "–", "–")
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

var phaseOrder = []string{"create", "get", "list", "paged-list", "update", "watch", "delete"}

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
				parts = append(parts, s)
			}
			parts = append(parts, fmt.Sprintf("%.1f", p.CPU["etcd"]), fmt.Sprintf("%.1f", p.CPU["client"]))
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

func (r *report) targetRows() [][]string {
	rows := [][]string{{"figure", "target", "this run", "", "by CPU per operation", "from"}}
	for _, t := range r.targets() {
		val, verdict, cpu := "not measured", "–", "–"
		if t.known {
			if strings.Contains(t.want, "ms") {
				val = fmt.Sprintf("%.1f ms", t.value)
			} else {
				val = fmt.Sprintf("%.2f", t.value)
			}
			verdict = "missed"
			if t.ok {
				verdict = "met"
			}
		}
		if t.byCPUKnown {
			cpu = fmt.Sprintf("%.2f", t.byCPU)
		}
		rows = append(rows, []string{t.figure, t.want, val, verdict, cpu, t.how})
	}
	return rows
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
	fmt.Fprintf(&sb, "Results (N=%d, C=%d), %s:\n\n", r.o.p.N, r.o.p.C, r.elapsed.Round(time.Second))
	sb.WriteString(textTable(r.rows()))
	sb.WriteString("\nCPU seconds per phase (API server[+webhook] / etcd / bench client):\n\n")
	sb.WriteString(textTable(r.cpuRows()))
	if rows := r.webhookRows(); len(rows) > 1 {
		sb.WriteString("\nConversion webhook calls:\n\n")
		sb.WriteString(textTable(rows))
	}
	sb.WriteString("\nTargets (ratios within this run):\n\n")
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
	sb.WriteString("The same workload runs against seven setups on one machine, one after the other; every\n")
	sb.WriteString("API server gets an etcd of its own, started fresh with the same flags. Absolute numbers\n")
	sb.WriteString("move up to 2× between runs on a shared machine: compare the ratios within one run.\n\n")
	fmt.Fprintf(&sb, "- date: %s (run took %s)\n", r.started.UTC().Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	fmt.Fprintf(&sb, "- machine: %s; load average at the end %s (other work shares the machine)\n", machine(), loadavg())
	fmt.Fprintf(&sb, "- versions: cicd-apiserver `%s` built from the working tree at commit `%s`; kube-apiserver `%s`; etcd %s; %s (client and webhook)\n",
		r.env.versions["cicd-apiserver"], gitCommit(), orDash(r.env.versions["kube-apiserver"]), orDash(r.env.versions["etcd"]), runtime.Version())
	fmt.Fprintf(&sb, "- workload: N=%d, C=%d; %d random GETs; full list ×%d and paged list (limit %d) ×%d, the best counts; %d read-modify-write updates on %d hot keys with conflict retry; %d watchers × %d updates; delete-collection\n",
		p.N, p.C, p.Gets, p.Lists, p.PageLimit, p.Lists, p.Updates, p.HotKeys, p.Watchers, p.WatchUpdates)
	fsync := "etcd fsyncs its WAL (default)"
	if !r.o.fsync {
		fsync = "etcd runs with --unsafe-no-fsync"
	}
	if noGzip {
		sb.WriteString("- clients do not accept gzip (-no-gzip)\n")
	}
	fmt.Fprintf(&sb, "- %s; cicd-apiserver runs in local mode with `--etcd-servers` (an etcd process like kube-apiserver's, so that the server's CPU and memory are its own)\n\n", fsync)

	if r.env.preferred["ours"] != "" || r.env.preferred["crd"] != "" {
		fmt.Fprintf(&sb, "Discovery's preferred version of `autobusi.group.cicd`: cicd-apiserver `%s`, the CRD `%s` (a CRD orders versions without a trailing number alphabetically).\n\n",
			orDash(r.env.preferred["ours"]), orDash(r.env.preferred["crd"]))
	}
	sb.WriteString("## Setups\n\n")
	for _, id := range r.order {
		fmt.Fprintf(&sb, "- `%s`: %s\n", id, r.results[id].Title)
	}
	sb.WriteString("\n## Results\n\n")
	sb.WriteString(markdownTable(r.rows()))
	fmt.Fprintf(&sb, "\nGET and create latencies are per request; list times are one full listing (all pages for the paged list), decoded into typed objects by the client (raw etcd: values not decoded), the best of %d; update latency includes the conflict retries; watch events/s counts the events all watchers received from the first write to the last event; the lag of an event runs from the acknowledgement of its write to its arrival (0 when it arrives first). Delete-collection runs until a list is empty, calling again when the server ends the call at its 60s request timeout (raw etcd: one range delete).\n\n", p.Lists)
	sb.WriteString("### CPU seconds per phase\n\nFrom `/proc/PID/stat` (user + system): API server (+ conversion webhook) / etcd / the bench process (clients and watchers, decoding included).\n\n")
	sb.WriteString(markdownTable(r.cpuRows()))
	if rows := r.webhookRows(); len(rows) > 1 {
		sb.WriteString("\n### Conversion webhook calls\n\n")
		sb.WriteString(markdownTable(rows))
	}
	sb.WriteString("\n## Targets\n\nRatios from this run (issue 6). The machine is shared and every setup is CPU-bound, so a rate is the CPU the setup got divided by the CPU an operation costs; \"by CPU per operation\" is the same ratio computed from the CPU time of each operation (API server, webhook, etcd and the bench client together, from the table above), which does not depend on how much CPU other work left to the setup.\n\n")
	sb.WriteString(markdownTable(r.targetRows()))
	for _, id := range r.order {
		if f := r.results[id].Failed; f != "" {
			fmt.Fprintf(&sb, "\n**%s failed**: %s\n", id, f)
		}
	}
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
