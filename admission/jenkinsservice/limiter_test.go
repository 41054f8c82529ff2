package jenkinsservice

import (
	"slices"
	"testing"
	"time"
)

func TestCoversAll(t *testing.T) {
	for _, tc := range []struct {
		reservations, creations []int64
		want                    bool
	}{
		{[]int64{10}, nil, false},
		{[]int64{10}, []int64{}, false},
		{[]int64{10}, []int64{11}, true},
		{[]int64{10}, []int64{10}, false},
		{[]int64{10, 20}, []int64{15}, false},
		{[]int64{10, 20}, []int64{15, 25}, true},
		{[]int64{20, 10}, []int64{25, 15}, true},
		{[]int64{10, 20}, []int64{25, 30}, true},
		{[]int64{10, 20}, []int64{12, 15}, false},
		{[]int64{10, 20}, []int64{5, 25}, false},
	} {
		if got := coversAll(tc.reservations, tc.creations); got != tc.want {
			t.Errorf("coversAll(%v, %v) = %v, want %v", tc.reservations, tc.creations, got, tc.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	now := time.Unix(1000, 0)
	live, dead := now.Add(time.Minute), now.Add(-time.Second)
	snap := &snapshot{
		revision: 100,
		stored:   4,
		reservations: []reservation{
			{Key: "created", Revision: 10, Expires: live},    // exists, created after: done
			{Key: "old", Revision: 10, Expires: live},        // existed before: kept, not counted
			{Key: "expired", Revision: 10, Expires: dead},    // dropped
			{Key: "pending", Revision: 50, Expires: live},    // missing: counted
			{Key: "twice", Revision: 20, Expires: live},      // missing twice: counted once
			{Key: "twice", Revision: 30, Expires: live},      //
			{Key: "two-exists", Revision: 20, Expires: live}, // exists, two creates: kept
			{Key: "two-exists", Revision: 30, Expires: live}, //
			{Key: "deleted", Revision: 60, Expires: live},    // resolved by history below
		},
		keys: map[string]keyState{
			"created":    {exists: true, createRevision: 11},
			"old":        {exists: true, createRevision: 5},
			"two-exists": {exists: true, createRevision: 40},
		},
	}
	ev := evaluate(snap, now, nil)
	if ev.used != 4+3 {
		t.Errorf("used = %d, want 7", ev.used)
	}
	if !ev.pruned {
		t.Error("not pruned")
	}
	var kept []string
	for _, r := range ev.keep {
		kept = append(kept, r.Key)
	}
	want := []string{"old", "pending", "twice", "twice", "two-exists", "two-exists", "deleted"}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	if len(ev.unresolved) != 3 || ev.unresolved["twice"] != 20 || ev.unresolved["deleted"] != 60 {
		t.Errorf("unresolved = %v", ev.unresolved)
	}

	ev = evaluate(snap, now, map[string][]int64{
		"deleted": {70}, // created after its reservation and deleted again: done
		"twice":   {25}, // only one of two creates seen: still counts
		"pending": {},   // never created: counts
	})
	if ev.used != 4+2 {
		t.Errorf("with history: used = %d, want 6", ev.used)
	}
	if len(ev.unresolved) != 0 {
		t.Errorf("with history: unresolved = %v", ev.unresolved)
	}
	for _, r := range ev.keep {
		if r.Key == "deleted" {
			t.Error("with history: the reservation of a created and deleted object was kept")
		}
	}
}
