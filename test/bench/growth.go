package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// growthSetups are the setups -growth measures, when they run.
var growthSetups = []string{"ours-pb", "ours-agg", "crd-beta"}

// growthPoint is one setup at one N (the plot's input, test/bench/plot).
type growthPoint struct {
	Setup          string  `json:"setup"`
	N              int     `json:"n"`
	CreatesPerSec  float64 `json:"createsPerSec"`
	ListSeconds    float64 `json:"listSeconds"`
	RSSBytesPerObj float64 `json:"rssBytesPerObject"`
	Failed         string  `json:"failed,omitempty"`
}

func parseGrowth(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 100 {
			return nil, fmt.Errorf("-growth: %q is not a number of objects ≥ 100", f)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// growth creates N objects in each growth setup, lists them and deletes
// them, for each N on processes started for it: the create rate, the
// full-list time and the API server's resident memory per object against N.
func (b *bench) growth(ctx context.Context, env *environment, ns []int) ([]growthPoint, error) {
	var out []growthPoint
	saved := b.p
	defer func() { b.p = saved }()
	want := map[string]bool{}
	for _, id := range growthSetups {
		want[id] = env.o.setups[id]
	}
	for _, n := range ns {
		b.p.N = n
		steps := map[string]step{}
		for _, st := range b.steps() {
			steps[st.name] = st
		}
		// Fresh processes for each N: the runtime keeps the heap earlier
		// phases grew, so RSS per object is only meaningful from a start.
		var st stops
		b.logf("growth: starting %v for N=%d", growthSetups, n)
		setups, err := env.fresh(filepath.Join(env.o.workDir, fmt.Sprintf("growth-%d", n))).startSetups(ctx, want, &st)
		if err != nil {
			st.run()
			return out, fmt.Errorf("growth N=%d: %w", n, err)
		}
		for _, s := range setups {
			if ctx.Err() != nil {
				break
			}
			b.logf("[%s] growth: N=%d", s.id, n)
			res := b.newResult(s)
			for _, name := range []string{"create", "list", "delete"} {
				settle()
				steps[name].run(ctx, s, res)
			}
			pt := growthPoint{Setup: s.id, N: n, Failed: res.Failed,
				CreatesPerSec: res.Phases["create"].Rate(), ListSeconds: res.Phases["list"].elapsedSeconds()}
			if res.RSSAfter > 0 && s.baseRSS > 0 {
				pt.RSSBytesPerObj = float64(res.RSSAfter-s.baseRSS) / float64(n)
			}
			out = append(out, pt)
		}
		st.run()
	}
	return out, nil
}

// growthMemoryRatio is a's resident memory per object ÷ b's at the largest
// N both have.
func growthMemoryRatio(pts []growthPoint, a, b string) (float64, int, bool) {
	best := 0
	var ra, rb float64
	for _, p := range pts {
		if p.Setup != a || p.Failed != "" || p.RSSBytesPerObj <= 0 || p.N <= best {
			continue
		}
		for _, q := range pts {
			if q.Setup == b && q.N == p.N && q.Failed == "" && q.RSSBytesPerObj > 0 {
				best, ra, rb = p.N, p.RSSBytesPerObj, q.RSSBytesPerObj
			}
		}
	}
	if best == 0 {
		return 0, 0, false
	}
	return ra / rb, best, true
}

// slope is the least-squares slope of y against x.
func slope(x, y []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	var num, den float64
	for i := range x {
		num += (x[i] - mx) * (y[i] - my)
		den += (x[i] - mx) * (x[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// growthMarkdown is the growth section of docs/benchmarks.md.
func growthMarkdown(pts []growthPoint, plot string) string {
	if len(pts) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("\n## Growth with N\n\n")
	sb.WriteString("One create, full list (best of -lists) and delete-collection per setup and N, after the rounds, on processes started afresh for each N. Resident memory per object is the API server's RSS after the create phase less its RSS right after start, divided by N (kube-apiserver's for the CRD, cicd-apiserver's for ours-agg). Slopes are least-squares fits over the Ns.\n\n")
	rows := [][]string{{"setup", "N", "creates/s", "full list", "RSS per object"}}
	bySetup := map[string][]growthPoint{}
	var order []string
	for _, p := range pts {
		if _, ok := bySetup[p.Setup]; !ok {
			order = append(order, p.Setup)
		}
		bySetup[p.Setup] = append(bySetup[p.Setup], p)
		row := []string{p.Setup, strconv.Itoa(p.N), fmt.Sprintf("%.0f", p.CreatesPerSec), fmtDur(time.Duration(p.ListSeconds * float64(time.Second))), fmt.Sprintf("%.0f B", p.RSSBytesPerObj)}
		if p.Failed != "" {
			row[0] += " (FAILED: " + p.Failed + ")"
		}
		rows = append(rows, row)
	}
	sb.WriteString(markdownTable(rows))
	sb.WriteString("\nSlopes:\n\n")
	srows := [][]string{{"setup", "full list, ms per 1 000 objects", "creates/s per 10 000 more objects", "RSS per object, bytes per 10 000 more objects"}}
	for _, s := range order {
		var x, list, rate, rss []float64
		for _, p := range bySetup[s] {
			if p.Failed != "" {
				continue
			}
			x = append(x, float64(p.N))
			list = append(list, p.ListSeconds*1000)
			rate = append(rate, p.CreatesPerSec)
			rss = append(rss, p.RSSBytesPerObj)
		}
		srows = append(srows, []string{s, fmt.Sprintf("%.1f", slope(x, list)*1000), fmt.Sprintf("%+.0f", slope(x, rate)*10000), fmt.Sprintf("%+.0f", slope(x, rss)*10000)})
	}
	sb.WriteString(markdownTable(srows))
	if plot != "" {
		fmt.Fprintf(&sb, "\n![creates/s, full-list time and resident memory per object against N](%s)\n", plot)
	}
	return sb.String()
}

// drawGrowth writes the points as JSON into the work directory and runs the
// plot program (test/bench/plot, built by hack/bench.sh) to draw svg.
func drawGrowth(pts []growthPoint, plotBin, workDir, svg string) error {
	if plotBin == "" {
		return fmt.Errorf("no -plot program")
	}
	js := filepath.Join(workDir, "growth.json")
	b, err := json.MarshalIndent(pts, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(js, b, 0o644); err != nil {
		return err
	}
	out, err := exec.Command(plotBin, "-in", js, "-out", svg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", plotBin, err, out)
	}
	return nil
}
