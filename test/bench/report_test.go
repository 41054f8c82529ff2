package main

import (
	"math"
	"testing"
	"time"
)

func TestMedianOf(t *testing.T) {
	if got := medianOf([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3,1,2 = %v", got)
	}
	if got := medianOf([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4,1,3,2 = %v, want (2+3)/2 truncated", got)
	}
	if got := medianOf([]int{}); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
}

func TestTargetMet(t *testing.T) {
	for _, c := range []struct {
		want string
		v    float64
		ok   bool
	}{
		{"≥ 2.5", 2.5, true}, {"≥ 2.5", 2.49, false},
		{"≤ 1.05", 1.05, true}, {"≤ 1.05", 1.06, false},
		{"< 10 ms", 9.9, true}, {"< 10 ms", 10, false},
		{"–", 100, false},
	} {
		if got := targetMet(c.want, c.v); got != c.ok {
			t.Errorf("targetMet(%q, %v) = %v, want %v", c.want, c.v, got, c.ok)
		}
	}
}

func TestSlope(t *testing.T) {
	if got := slope([]float64{1000, 10000, 50000}, []float64{12, 102, 502}); math.Abs(got-0.01) > 1e-9 {
		t.Errorf("slope = %v, want 0.01", got)
	}
	if got := slope([]float64{5}, []float64{1}); got != 0 {
		t.Errorf("slope of one point = %v", got)
	}
}

// The median result skips failed rounds and says which failed; each
// figure is the median over the others.
func TestMedianResult(t *testing.T) {
	round := func(elapsed time.Duration, failed string) *setupResult {
		return &setupResult{ID: "s", Title: "t", Failed: failed, Order: []string{"create"},
			Phases: map[string]*phaseResult{"create": {Name: "create", Ops: 100, Elapsed: elapsed, CPU: map[string]float64{"server": elapsed.Seconds()}}}}
	}
	m := medianResult([]*setupResult{round(3*time.Second, ""), round(time.Second, ""), round(time.Hour, "create: boom"), round(2*time.Second, "")})
	if m.Failed != "" {
		t.Fatalf("failed: %s", m.Failed)
	}
	p := m.Phases["create"]
	if p.Elapsed != 2*time.Second || p.CPU["server"] != 2 {
		t.Errorf("median elapsed %v cpu %v, want 2s and 2 (the failed round left out)", p.Elapsed, p.CPU["server"])
	}
	if m.Title != "t (round 3: create: boom)" {
		t.Errorf("title %q does not name the failed round", m.Title)
	}
	all := medianResult([]*setupResult{round(time.Second, "x"), round(time.Second, "y")})
	if all.Failed != "round 1: x; round 2: y" {
		t.Errorf("every round failed: Failed = %q", all.Failed)
	}
}

func TestGrowthMemoryRatio(t *testing.T) {
	pts := []growthPoint{
		{Setup: "ours-pb", N: 1000, RSSBytesPerObj: 10},
		{Setup: "crd-beta", N: 1000, RSSBytesPerObj: 20},
		{Setup: "ours-pb", N: 50000, RSSBytesPerObj: 9},
		{Setup: "crd-beta", N: 50000, RSSBytesPerObj: 36},
		{Setup: "ours-pb", N: 90000, RSSBytesPerObj: 8}, // no CRD point at this N
		{Setup: "crd-beta", N: 90000, Failed: "timeout"},
	}
	v, n, ok := growthMemoryRatio(pts, "ours-pb", "crd-beta")
	if !ok || n != 50000 || v != 0.25 {
		t.Errorf("growthMemoryRatio = %v at N=%d (%v), want 0.25 at 50000", v, n, ok)
	}
	if _, _, ok := growthMemoryRatio(pts[:1], "ours-pb", "crd-beta"); ok {
		t.Error("a ratio without a CRD point")
	}
}
