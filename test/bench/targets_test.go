package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// fakeReport has every setup with distinct figures: setup i's phase j takes
// (i+2)·(j+3) s for 1000 operations, costs its server (i+1)+(j+1)/10 CPU
// seconds, its etcd 0.5, its client 0.25 and, behind the aggregator, our
// server 2; its watchers get (i+1)·100 + j events/s with a p99 lag of i+j ms.
func fakeReport() *report {
	setups := []string{"ours-pb", "ours-alpha", "crd-beta", "ours-agg", "ours-agg-json", "etcd", "deploy"}
	phases := []string{"create", "get", "list", "update", "watch", manyWatchPhase, "delete"}
	res := map[string]*setupResult{}
	for i, id := range setups {
		s := &setupResult{ID: id, Phases: map[string]*phaseResult{}, RSSBefore: 100, RSSAfter: 100 + int64(i+1)*1000}
		for j, ph := range phases {
			cpu := map[string]float64{"server": float64(i+1) + float64(j+1)/10, "etcd": 0.5, "client": 0.25}
			if strings.HasPrefix(id, "ours-agg") {
				cpu["backend"] = 2
			}
			s.Phases[ph] = &phaseResult{
				Ops: 1000, Elapsed: time.Duration((i+2)*(j+3)) * time.Second, CPU: cpu,
				Events: 10, EventsPerSec: float64((i+1)*100 + j), LagP99: time.Duration(i+j) * time.Millisecond,
			}
		}
		res[id] = s
	}
	o := &options{}
	o.p.ManyWatchers, o.p.Watchers, o.p.N = 100, 10, 1000
	return &report{o: o, results: res}
}

// Each kind of target divides the right figures the right way round.
func TestTargets(t *testing.T) {
	got := map[string]goal{}
	for _, g := range fakeReport().targets() {
		got[g.figure] = g
	}
	for _, c := range []struct {
		figure, how           string
		value, byCPU, ceiling float64
		ok                    bool
	}{
		// creates: crd-beta 12 s, ours-agg 15 s for 1000; CPU 3.85 s, and
		// 6.85 s of which 4.35 s besides our server and its etcd.
		{"creates/s through the aggregator, ours (protobuf) ÷ CRD (v1beta JSON)", "ours-agg ÷ crd-beta", 12.0 / 15, 3.85 / 6.85, 3.85 / 4.35, false},
		// list: crd-beta 20 s, ours-agg 25 s.
		{"full list of N through the aggregator, CRD time ÷ ours", "crd-beta ÷ ours-agg", 20.0 / 25, 4.05 / 7.05, 4.05 / 4.55, false},
		// 100 watchers: 405 and 305 events/s.
		{"watch through the aggregator, 100 watchers: events/s ours ÷ CRD", "ours-agg ÷ crd-beta", 405.0 / 305, 4.35 / 7.35, 4.35 / 4.85, false},
		// GETs: ours-alpha 12 s, ours-pb 8 s; no ceiling between our own setups.
		{"v1alpha GET time ÷ v1beta GET time, ours", "ours-alpha ÷ ours-pb (both protobuf, local)", 12.0 / 8, 2.95 / 1.95, 0, false},
		// deletes: crd-beta 36 s, ours-pb 18 s; locally only the client is not us.
		{"delete-collection of N, CRD time ÷ ours local", "crd-beta ÷ ours-pb", 2, 4.45 / 2.45, 4.45 / 0.25, false},
	} {
		g, ok := got[c.figure]
		if !ok {
			t.Errorf("no target %q", c.figure)
			continue
		}
		if g.how != c.how || !g.known || math.Abs(g.value-c.value) > 1e-9 || math.Abs(g.byCPU-c.byCPU) > 1e-9 || g.ok != c.ok ||
			math.Abs(g.ceiling-c.ceiling) > 1e-9 || g.ceilingKnown != (c.ceiling != 0) {
			t.Errorf("%s: %q %v (known %v, ok %v, by CPU %v, ceiling %v), want %q %v (ok %v, by CPU %v, ceiling %v)", c.figure, g.how, g.value, g.known, g.ok, g.byCPU, g.ceiling, c.how, c.value, c.ok, c.byCPU, c.ceiling)
		}
	}
	if g := got["watch through the aggregator, 100 watchers: p99 lag ours"]; !g.known || g.value != 8 || !g.ok {
		t.Errorf("lag target %+v, want 8 ms, met", g)
	}
}
