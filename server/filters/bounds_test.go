package filters

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

func testCodecs() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	scheme.AddUnversionedTypes(schema.GroupVersion{Version: "v1"}, &metav1.Status{})
	return serializer.NewCodecFactory(scheme)
}

// serve sends one request through the filter to a handler that echoes the
// body it got, and returns the answer.
func serve(t *testing.T, method, target, contentType, body string) (*http.Response, string) {
	t.Helper()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("the handler could not read the body: %v", err)
		}
		_, _ = w.Write(b)
	})
	h := WithRequestBounds(echo, Limits{MaxBodyBytes: 1 << 20, MaxDepth: 10}, testCodecs())
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func statusMessage(t *testing.T, body string) string {
	t.Helper()
	var s metav1.Status
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Kind != "Status" {
		t.Fatalf("not a Status: %v: %s", err, body)
	}
	return s.Message
}

func TestWithRequestBounds(t *testing.T) {
	nest := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	cases := []struct {
		name, method, target, contentType, body string
		code                                    int
		contains                                string
	}{
		{"JSON at the limit", "POST", "/x", "application/json", nest(10), 200, ""},
		{"JSON over the limit", "POST", "/x", "application/json", nest(11), 400, "max depth of 10"},
		{"brackets in strings do not count", "POST", "/x", "application/json", `{"a":"` + strings.Repeat("[{", 50) + `\"` + `"}`, 200, ""},
		{"merge patch over the limit", "PATCH", "/x", "application/merge-patch+json", nest(11), 400, "max depth"},
		{"apply YAML block over the limit", "PATCH", "/x", "application/apply-patch+yaml", yamlBlock(12), 400, "max depth"},
		{"apply YAML block at the limit", "PATCH", "/x", "application/apply-patch+yaml", yamlBlock(9), 200, ""},
		{"YAML flow over the limit", "POST", "/x", "application/yaml", "a: " + strings.Repeat("[", 11) + strings.Repeat("]", 11), 400, "max depth"},
		{"YAML with a charset", "POST", "/x", "application/yaml; charset=utf-8", "a: " + strings.Repeat("[", 11) + strings.Repeat("]", 11), 400, "max depth"},
		{"protobuf is not scanned", "POST", "/x", "application/vnd.kubernetes.protobuf", strings.Repeat("[", 50), 200, ""},
		{"body over the size limit", "POST", "/x", "application/json", `"` + strings.Repeat("x", 1<<20) + `"`, 413, "larger than"},
		{"json patch without value", "PATCH", "/x", "application/json-patch+json", `[{"op":"test","path":""}]`, 400, `"value" is required`},
		{"json patch null value is a value", "PATCH", "/x", "application/json-patch+json", `[{"op":"add","path":"/a","value":null}]`, 200, ""},
		{"json patch move without from", "PATCH", "/x", "application/json-patch+json", `[{"op":"move","path":"/a"}]`, 400, `"from" is required`},
		{"json patch remove needs neither", "PATCH", "/x", "application/json-patch+json", `[{"op":"remove","path":"/a"}]`, 200, ""},
		{"json patch too many operations", "PATCH", "/x", "application/json-patch+json", "[" + strings.Repeat(`{"op":"remove","path":"/a"},`, maxJSONPatchOps) + `{"op":"remove","path":"/a"}]`, 413, "operations"},
		{"json patch not a list passes to the library", "PATCH", "/x", "application/json-patch+json", `{"op":"x"}`, 200, ""},
		{"strategic retainKeys of objects", "PATCH", "/x", "application/strategic-merge-patch+json", `{"spec":{"$retainKeys":[{"a":1}]}}`, 400, ".spec.$retainKeys"},
		{"strategic retainKeys of names", "PATCH", "/x", "application/strategic-merge-patch+json", `{"spec":{"$retainKeys":["a","b"],"a":1}}`, 200, ""},
		{"strategic deleteFromPrimitiveList of values", "PATCH", "/x", "application/strategic-merge-patch+json", `{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}`, 200, ""},
		{"strategic deleteFromPrimitiveList of lists", "PATCH", "/x", "application/strategic-merge-patch+json", `{"metadata":{"$deleteFromPrimitiveList/finalizers":[["a"]]}}`, 400, "$deleteFromPrimitiveList"},
		{"strategic setElementOrder of merge keys", "PATCH", "/x", "application/strategic-merge-patch+json", `{"status":{"$setElementOrder/conditions":[{"type":"Ready"}]}}`, 200, ""},
		{"strategic setElementOrder in a list entry", "PATCH", "/x", "application/strategic-merge-patch+json", `{"status":{"conditions":[{"type":"A","$setElementOrder/x":[{"a":{}}]}]}}`, 400, ".status.conditions[0].$setElementOrder/x"},
		{"strategic patch directive not a string", "PATCH", "/x", "application/strategic-merge-patch+json", `{"spec":{"$patch":1}}`, 400, "$patch"},
		{"query resourceVersion not a number", "GET", "/x?resourceVersion=-1", "", "", 400, `resourceVersion: Invalid value: "-1"`},
		{"query resourceVersion too large", "GET", "/x?watch=1&resourceVersion=99999999999999999999", "", "", 400, "resourceVersion"},
		{"query resourceVersion 0", "GET", "/x?resourceVersion=0", "", "", 200, ""},
		{"query resourceVersion empty", "GET", "/x?resourceVersion=", "", "", 200, ""},
		{"DELETE options over the limit", "DELETE", "/x", "application/json", nest(11), 400, "max depth"},
		{"unknown query parameter, Strict", "POST", "/x?fieldValidation=Strict&bogus=1&dryRun=All", "application/json", "{}", 400, `unknown query parameters ["bogus"]`},
		{"known query parameters, Strict", "PATCH", "/x?fieldValidation=Strict&fieldManager=m&force=true&dryRun=All&pretty=true&timeout=3s", "application/apply-patch+yaml", "a: 1\n", 200, ""},
		{"unknown query parameter, not Strict", "POST", "/x?fieldValidation=Warn&bogus=1", "application/json", "{}", 200, ""},
		{"unknown query parameter on a read", "GET", "/x?fieldValidation=Strict&bogus=1", "", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := serve(t, c.method, c.target, c.contentType, c.body)
			if resp.StatusCode != c.code {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, c.code, body)
			}
			if c.code == 200 {
				if body != c.body {
					t.Errorf("the handler got %.200q, want the body sent %.200q", body, c.body)
				}
				return
			}
			if msg := statusMessage(t, body); !strings.Contains(msg, c.contains) {
				t.Errorf("message %q does not say %q", msg, c.contains)
			}
		})
	}
}

// yamlBlock is a YAML block mapping n levels deep.
func yamlBlock(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat("  ", i) + "a:\n")
	}
	b.WriteString(strings.Repeat("  ", n) + "b: 1\n")
	return b.String()
}

func TestYAMLDepth(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		depth int // the least limit it passes
	}{
		{"flat", "a: 1\nb: 2\n", 1},
		{"block", "a:\n  b:\n    c: 1\n", 3},
		{"dedent", "a:\n  b:\n    c: 1\nd:\n  e: 1\n", 3},
		{"sequence of sequences", "a:\n- - - 1\n", 4},
		{"flow in block", "a:\n  b: {c: [1, {d: 2}]}\n", 5},
		{"brackets in a plain scalar", "a: b[1]{2}\n", 1},
		{"brackets in quotes", "a: \"[[[[\"\nb: '{{{{'\n", 1},
		{"brackets in a comment", "a: 1 # [[[[[[\n", 1},
		{"literal block scalar", "a: |\n  [[[[[[\n      deeper text\n        and deeper\nb: 1\n", 1},
		{"folded block scalar with indicators", "a: >-\n  x\n   y\n    z\nb: 1\n", 1},
		{"document separator", "---\na: 1\n---\nb: 1\n", 1},
		{"a JSON document (its line counts as a level)", `{"a":{"b":[1]}}`, 4},
		{"flow across lines", "a: [\n  [\n    1\n  ]\n]\nb: 1\n", 3},
		// Tags and anchors before a flow collection ("!!seq [", "&a [") hid
		// its nesting: each '[' followed a letter, where no value starts.
		{"tags", "a: !!seq [!!seq [!!map {b: 1}]]\n", 4},
		{"anchors", "a: &x [&y [1]]\n", 3},
		{"anchor right before a bracket", "a: &x[&y[1]]\n", 3},
		{"local tag", "a: !t [!u [1]]\n", 3},
		{"tag and anchor", "a: !!seq &x [!!seq &y [1]]\n", 3},
		{"tag of a block mapping", "a: !!map\n  b: 1\n", 2},
		{"exclamation mark in a plain scalar", "a: b!c[d]\n", 1},
		{"ampersand in a plain scalar", "a: b&c[d]\n", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := yamlDepth([]byte(c.yaml), c.depth); d != nil {
				t.Errorf("refused at limit %d (byte %d)", c.depth, d.offset)
			}
			if c.depth > 1 {
				if d := yamlDepth([]byte(c.yaml), c.depth-1); d == nil {
					t.Errorf("passed at limit %d, want refused", c.depth-1)
				}
			}
		})
	}
}

func TestJSONDepth(t *testing.T) {
	for _, c := range []struct {
		json  string
		depth int
	}{
		{`{}`, 1}, {`{"a":[{"b":1}]}`, 3}, {`["\"[[[["]`, 1}, {`{"a":"\\"}`, 1}, {`[[],[[]],[]]`, 3},
	} {
		if d := jsonDepth([]byte(c.json), c.depth); d != nil {
			t.Errorf("%s refused at limit %d", c.json, c.depth)
		}
		if d := jsonDepth([]byte(c.json), c.depth-1); d == nil {
			t.Errorf("%s passed at limit %d", c.json, c.depth-1)
		}
	}
}

func TestEarlierDeadline(t *testing.T) {
	var got time.Duration
	h := WithRequestBounds(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := r.Context().Deadline()
		if !ok {
			t.Fatal("the handler has no deadline")
		}
		got = time.Until(dl)
	}), Limits{}, testCodecs())
	req := httptest.NewRequest("GET", "/x", nil)
	ctx, cancel := contextWithTimeout(req, 3*time.Second)
	defer cancel()
	h.ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))
	// 3 s less a tenth: 2.7 s.
	if got > 2750*time.Millisecond || got < 2500*time.Millisecond {
		t.Errorf("the handler's deadline is %v away, want about 2.7s", got)
	}
}
