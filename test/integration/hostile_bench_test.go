package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkHostileBodies sends the worst body of each class of issue 13 to
// the shared server (a process of its own) and reports what one request
// costs the server: its CPU time (server-ms/op, from /proc/<pid>/stat) and
// the growth of its peak resident memory over the run (peak-MB). The
// answers are not checked here (TestHostile* do that); a benchmark of the
// classes the server refuses early shows what the bound saves.
//
//	go test -run '^$' -bench BenchmarkHostileBodies -benchtime 3x ./test/integration/
func BenchmarkHostileBodies(b *testing.B) {
	r := newRawClient(b)
	ns := "hostile-bench"
	name := "x"
	created := r.do(b, http.MethodPost, collection("v1beta", ns), contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"replicas":1}}`))
	if created.code != http.StatusCreated && created.code != http.StatusConflict {
		b.Fatalf("create: %v", created)
	}
	obj := collection("v1beta", ns) + "/" + name
	labels := func(n int) string {
		var s strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				s.WriteByte(',')
			}
			fmt.Fprintf(&s, `"k%d":"%s"`, i, strings.Repeat("v", 60))
		}
		return "{" + s.String() + "}"
	}
	classes := []struct {
		name, method, path, contentType, body string
	}{
		// 1. Amplification: the merge patch, and the deepest body
		// of the other patch types and of a create.
		{"deep/merge-9990", http.MethodPatch, obj, mergePatch, `{"spec":{"x":` + deepObject(9990) + `}}`},
		{"deep/merge-9990-status", http.MethodPatch, obj + "/status", mergePatch, `{"status":{"x":` + deepObject(9990) + `}}`},
		{"deep/json-patch-9990", http.MethodPatch, obj, jsonPatchType, `[{"op":"add","path":"/spec/x","value":` + deepObject(9990) + `}]`},
		{"deep/strategic-9990", http.MethodPatch, obj, strategicPatch, `{"spec":{"x":` + deepObject(9990) + `}}`},
		{"deep/apply-yaml-1500", http.MethodPatch, obj + "?fieldManager=bench", applyPatch, "apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: x\nspec:\n  x:\n" + deepYAML(1500)},
		{"deep/create-9990", http.MethodPost, collection("v1beta", ns), contentJSON, `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"deep"},"spec":{"x":` + deepObject(9990) + `}}`},
		// Within the bound: the deepest merge patch that is let through.
		{"deep/merge-97-allowed", http.MethodPatch, obj, mergePatch, `{"spec":{"x":` + deepObject(97) + `}}`},
		// 2. Patches the libraries cannot apply.
		{"unappliable/json-test-root", http.MethodPatch, obj, jsonPatchType, `[{"op":"test","path":""}]`},
		{"unappliable/strategic-retainKeys", http.MethodPatch, obj, strategicPatch, `{"spec":{"$retainKeys":[{"a":1}]}}`},
		{"unappliable/json-patch-5000-ops", http.MethodPatch, obj, jsonPatchType, "[" + strings.Repeat(`{"op":"test","path":"/kind","value":"JenkinsService"},`, 4999) + `{"op":"test","path":"/kind","value":"JenkinsService"}]`},
		// 3. resourceVersions that are not.
		{"resourceversion/merge-abc", http.MethodPatch, obj, mergePatch, `{"metadata":{"resourceVersion":"abc"}}`},
		{"resourceversion/get-minus-1", http.MethodGet, obj + "?resourceVersion=-1", "", ""},
		// 4. Too large to store: 2.9 MB of labels, under the 3 MiB body limit.
		{"oversize/create-2.9MB", http.MethodPost, collection("v1beta", ns), contentJSON, `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"big","labels":` + labels(38000) + `}}`},
		{"oversize/apply-2.1MB", http.MethodPatch, obj + "?fieldManager=bench", applyPatch, `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x","labels":` + labels(28000) + `}}`},
	}
	for _, c := range classes {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			if err := shared.ResetPeakMemory(); err != nil {
				b.Fatal(err)
			}
			before, err := shared.ProcStat()
			if err != nil {
				b.Fatal(err)
			}
			codes := map[int]int{}
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, _, err := r.tryDo(c.method, c.path, c.contentType, body)
				if err != nil {
					codes[0]++
					continue
				}
				codes[resp.code]++
			}
			b.StopTimer()
			after, err := shared.ProcStat()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((after.CPUSeconds-before.CPUSeconds)*1000/float64(b.N), "server-ms/op")
			b.ReportMetric(float64(after.PeakBytes-before.RSSBytes)/(1<<20), "peak-MB")
			b.Logf("answers (0: no answer): %v", codes)
			// Whatever was created is deleted again.
			for _, n := range []string{"deep", "big"} {
				_, _, _ = r.tryDo(http.MethodDelete, collection("v1beta", ns)+"/"+n, "", nil) // absent is fine
			}
		})
	}
}
