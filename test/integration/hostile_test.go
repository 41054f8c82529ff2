package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Hostile input (issue 13): each request below once cost the server
// seconds of CPU and a gigabyte, reset the client's connection, or got a 500.
// Each must get a 4xx with a message that says what is wrong, quickly, and
// change nothing.

const (
	mergePatch     = "application/merge-patch+json"
	jsonPatchType  = "application/json-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
	applyPatch     = "application/apply-patch+yaml"
)

// hostileCase is one request and what must answer it.
type hostileCase struct {
	name, method, path, contentType string
	body                            []byte
	code                            int    // 0: any 4xx
	contains                        string // in the Status message
}

// tryDo is rawClient.do that reports a transport error (a reset, no answer)
// as a failed answer instead of ending the test, so every case is tried.
func (r *rawClient) tryDo(method, path, contentType string, body []byte) (rawResponse, time.Duration, error) {
	return r.doAccept(method, path, contentType, contentJSON, body)
}

// maxHostileTime is what one hostile request may take; the deep merge patch
// took 20 s before it was bounded, a bounded one takes milliseconds.
const maxHostileTime = 5 * time.Second

func runHostile(t *testing.T, r *rawClient, cases []hostileCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, took, err := r.tryDo(c.method, c.path, c.contentType, c.body)
			switch {
			case err != nil:
				t.Errorf("%s %s: no answer (%v) after %v", c.method, c.path, err, took)
			case resp.code >= 500 || resp.code < 400:
				t.Errorf("%s %s: %v, want a 4xx", c.method, c.path, resp)
			case c.code != 0 && resp.code != c.code:
				t.Errorf("%s %s: status %d, want %d: %v", c.method, c.path, resp.code, c.code, resp)
			case c.contains != "" && !strings.Contains(resp.message(), c.contains):
				t.Errorf("%s %s: the message does not say %q: %v", c.method, c.path, c.contains, resp)
			}
			if took > maxHostileTime {
				t.Errorf("%s %s took %v, more than %v", c.method, c.path, took, maxHostileTime)
			}
		})
	}
}

// hostileObject creates ns/name in v1beta and returns its body, to compare
// with after the hostile requests.
func hostileObject(t *testing.T, r *rawClient, ns, name string) []byte {
	t.Helper()
	created := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"`+name+`","labels":{"team":"a"}},"spec":{"replicas":2}}`))
	if created.code != http.StatusCreated {
		t.Fatalf("create: %v", created)
	}
	return r.do(t, http.MethodGet, collection("v1beta", ns)+"/"+name, "", nil).body
}

func unchanged(t *testing.T, r *rawClient, ns, name string, before []byte) {
	t.Helper()
	if after := r.do(t, http.MethodGet, collection("v1beta", ns)+"/"+name, "", nil); !bytes.Equal(before, after.body) {
		t.Errorf("the hostile requests changed the object:\nbefore %s\nafter  %s", before, after.body)
	}
}

// deepObject is a JSON object depth levels deep: {"a":{"a":…1…}}.
func deepObject(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// deepYAML is a YAML block mapping depth levels deep under "spec: x:".
func deepYAML(depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString(strings.Repeat(" ", 4+i))
		b.WriteString("a:\n")
	}
	return b.String()
}

// The subresources a patch can go to, and the versions.
var patchTargets = []struct{ version, sub string }{
	{"v1beta", ""}, {"v1beta", "/status"}, {"v1beta", "/scale"},
	{"v1alpha", ""}, {"v1alpha", "/status"}, {"v1alpha", "/scale"},
}

// Issue 13, reproduction 1: a deeply nested body is refused before any
// decoding or patching, whatever the patch type, subresource or version.
func TestHostileDeepNesting(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")

	// 2000 levels are under the decoders' own limit (10 000), so without a
	// bound of ours they are decoded and patched (about a second of CPU).
	deep := deepObject(2000)
	// The reproduction of the issue: 9 990 levels, 20 s of CPU and 1 GB.
	cases := []hostileCase{{name: "merge, the issue's reproduction", method: http.MethodPatch, path: collection("v1beta", ns) + "/x",
		contentType: mergePatch, body: []byte(`{"spec":{"x":` + deepObject(9990) + `}}`), code: 400, contains: "max depth of"}}
	for _, tg := range patchTargets {
		p := collection(tg.version, ns) + "/x" + tg.sub
		cases = append(cases,
			hostileCase{name: tg.version + tg.sub + " merge", method: http.MethodPatch, path: p, contentType: mergePatch,
				body: []byte(`{"spec":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: tg.version + tg.sub + " merge, three chains", method: http.MethodPatch, path: p, contentType: mergePatch,
				body: []byte(`{"spec":{"x":` + deep + `,"y":` + deep + `,"z":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: tg.version + tg.sub + " strategic", method: http.MethodPatch, path: p, contentType: strategicPatch,
				body: []byte(`{"metadata":{"labels":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: tg.version + tg.sub + " json patch", method: http.MethodPatch, path: p, contentType: jsonPatchType,
				body: []byte(`[{"op":"add","path":"/spec/x","value":` + deep + `}]`), code: 400, contains: "max depth of"},
			hostileCase{name: tg.version + tg.sub + " apply", method: http.MethodPatch, path: p + "?fieldManager=test", contentType: applyPatch,
				body: []byte("apiVersion: autobusi.group.cicd/" + tg.version + "\nkind: JenkinsService\nmetadata:\n  name: x\nspec:\n  x:\n" + deepYAML(1500)), code: 400, contains: "max depth of"},
			hostileCase{name: tg.version + tg.sub + " put", method: http.MethodPut, path: p, contentType: contentJSON,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/` + tg.version + `","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
		)
	}
	cases = append(cases,
		hostileCase{name: "create JSON", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"y"},"spec":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
		hostileCase{name: "create YAML flow", method: http.MethodPost, path: collection("v1alpha", ns), contentType: contentYAML,
			body: []byte("apiVersion: autobusi.group.cicd/v1alpha\nkind: JenkinsService\nmetadata: {name: y}\nspec: {x: " + deep + "}\n"), code: 400, contains: "max depth of"},
		hostileCase{name: "approval", method: http.MethodPut, path: collection("v1beta", ns) + "/x/approval", contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x"},"status":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
	)
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)

	// What a real object nests (managedFields of an apply and of status
	// writers) stays well inside the bound.
	apply := "apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: x\n  labels:\n    team: a\nspec:\n  replicas: 3\n  resources:\n    cpu: 1500m\n"
	if resp := r.do(t, http.MethodPatch, collection("v1beta", ns)+"/x?fieldManager=test&force=true", applyPatch, []byte(apply)); resp.code != http.StatusOK {
		t.Fatalf("a normal apply: %v", resp)
	}
	obj := r.do(t, http.MethodGet, collection("v1beta", ns)+"/x", "", nil)
	if resp := r.do(t, http.MethodPut, collection("v1beta", ns)+"/x", contentJSON, obj.body); resp.code != http.StatusOK {
		t.Fatalf("writing back the object with its managedFields: %v", resp)
	}
}

// Issue 13, reproduction 2: patches the libraries cannot apply are 400s with
// a message on every subresource, not a reset connection.
func TestHostileUnappliablePatches(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")

	bodies := []struct {
		name, contentType, body, contains string
	}{
		{"json test of the root without value", jsonPatchType, `[{"op":"test","path":""}]`, `"value" is required`},
		{"json replace of the root without value", jsonPatchType, `[{"op":"replace","path":""}]`, `"value" is required`},
		{"json replace of the root from", jsonPatchType, `[{"op":"replace","path":"","from":"/spec"}]`, `"value" is required`},
		{"json add without value", jsonPatchType, `[{"op":"add","path":"/spec/replicas"}]`, `"value" is required`},
		{"json copy without from", jsonPatchType, `[{"op":"copy","path":"/spec/image"}]`, `"from" is required`},
		{"json too many operations", jsonPatchType, "[" + strings.Repeat(`{"op":"test","path":"/kind","value":"JenkinsService"},`, 5000) + `{"op":"test","path":"/kind","value":"JenkinsService"}]`, "operations"},
		{"strategic retainKeys of objects in spec", strategicPatch, `{"spec":{"$retainKeys":[{"a":1}]}}`, "$retainKeys"},
		{"strategic retainKeys of objects in metadata", strategicPatch, `{"metadata":{"$retainKeys":[{"a":1}]}}`, "$retainKeys"},
		{"strategic retainKeys of numbers", strategicPatch, `{"status":{"$retainKeys":[1,2]}}`, "$retainKeys"},
		{"strategic deleteFromPrimitiveList of objects", strategicPatch, `{"metadata":{"$deleteFromPrimitiveList/finalizers":[{"a":[1]}]}}`, "$deleteFromPrimitiveList"},
		{"strategic setElementOrder of lists", strategicPatch, `{"status":{"$setElementOrder/conditions":[[1]]}}`, "$setElementOrder"},
		{"strategic patch directive an object", strategicPatch, `{"spec":{"$patch":{"a":1}}}`, "$patch"},
	}
	var cases []hostileCase
	for _, tg := range patchTargets {
		for _, b := range bodies {
			cases = append(cases, hostileCase{name: tg.version + tg.sub + " " + b.name, method: http.MethodPatch,
				path: collection(tg.version, ns) + "/x" + tg.sub, contentType: b.contentType, body: []byte(b.body), contains: b.contains})
		}
	}
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)
	r.serves(t, ns, "after")
}

// Issue 13, reproduction 3: a resourceVersion that is not one, in a body or
// a query, is the client's mistake: 4xx, not 500. So are bad continue
// tokens and selectors.
func TestHostileResourceVersions(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")

	var cases []hostileCase
	for _, rv := range []string{"abc", "-1", "1.5", "99999999999999999999999", " 1", "0x10"} {
		for _, version := range []string{"v1beta", "v1alpha"} {
			obj := fmt.Sprintf(`{"apiVersion":"autobusi.group.cicd/%s","kind":"JenkinsService","metadata":{"name":"x","resourceVersion":%q}}`, version, rv)
			scale := fmt.Sprintf(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"x","resourceVersion":%q},"spec":{"replicas":2}}`, rv)
			patch := fmt.Sprintf(`{"metadata":{"resourceVersion":%q}}`, rv)
			base := collection(version, ns) + "/x"
			for _, sub := range []string{"", "/status", "/approval"} {
				cases = append(cases, hostileCase{name: version + sub + " PUT " + rv, method: http.MethodPut, path: base + sub, contentType: contentJSON, body: []byte(obj), contains: "resourceVersion"})
			}
			cases = append(cases, hostileCase{name: version + "/scale PUT " + rv, method: http.MethodPut, path: base + "/scale", contentType: contentJSON, body: []byte(scale), contains: "resourceVersion"})
			for _, sub := range []string{"", "/status", "/scale"} {
				cases = append(cases,
					hostileCase{name: version + sub + " merge " + rv, method: http.MethodPatch, path: base + sub, contentType: mergePatch, body: []byte(patch), contains: "resourceVersion"},
					hostileCase{name: version + sub + " json " + rv, method: http.MethodPatch, path: base + sub, contentType: jsonPatchType,
						body: []byte(fmt.Sprintf(`[{"op":"replace","path":"/metadata/resourceVersion","value":%q}]`, rv)), contains: "resourceVersion"},
					hostileCase{name: version + sub + " strategic " + rv, method: http.MethodPatch, path: base + sub, contentType: strategicPatch, body: []byte(patch), contains: "resourceVersion"},
				)
			}
			cases = append(cases, hostileCase{name: version + " apply " + rv, method: http.MethodPatch, path: base + "?fieldManager=test", contentType: applyPatch, body: []byte(obj), contains: "resourceVersion"})
		}
		q := "?resourceVersion=" + rv
		cases = append(cases,
			hostileCase{name: "GET " + rv, method: http.MethodGet, path: collection("v1beta", ns) + "/x" + q, code: 400, contains: "resourceVersion"},
			hostileCase{name: "GET scale " + rv, method: http.MethodGet, path: collection("v1beta", ns) + "/x/scale" + q, code: 400, contains: "resourceVersion"},
			hostileCase{name: "LIST " + rv, method: http.MethodGet, path: collection("v1beta", ns) + q, code: 400, contains: "resourceVersion"},
			hostileCase{name: "WATCH " + rv, method: http.MethodGet, path: collection("v1beta", ns) + q + "&watch=true", code: 400, contains: "resourceVersion"},
			hostileCase{name: "LIST all namespaces " + rv, method: http.MethodGet, path: "/apis/autobusi.group.cicd/v1alpha/jenkinsservices" + q, code: 400, contains: "resourceVersion"},
		)
	}
	cases = append(cases,
		hostileCase{name: "continue garbage", method: http.MethodGet, path: collection("v1beta", ns) + "?limit=1&continue=garbage", code: 400},
		hostileCase{name: "continue base64 of garbage", method: http.MethodGet, path: collection("v1beta", ns) + "?limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9", code: 400},
		hostileCase{name: "label selector", method: http.MethodGet, path: collection("v1beta", ns) + "?labelSelector=a%3D%3D%3Db", code: 400},
		hostileCase{name: "field selector", method: http.MethodGet, path: collection("v1beta", ns) + "?fieldSelector=spec.nope%3D1", code: 400},
		hostileCase{name: "resourceVersionMatch without resourceVersion", method: http.MethodGet, path: collection("v1beta", ns) + "?resourceVersionMatch=Exact"},
		hostileCase{name: "limit not a number", method: http.MethodGet, path: collection("v1beta", ns) + "?limit=many", code: 400},
		hostileCase{name: "unknown query parameter, Strict", method: http.MethodPost, path: collection("v1beta", ns) + "?fieldValidation=Strict&bogus=1", contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"z"}}`), code: 400, contains: "bogus"},
		hostileCase{name: "unknown query parameter, Strict, patch", method: http.MethodPatch, path: collection("v1beta", ns) + "/x?fieldValidation=Strict&replicas=3", contentType: mergePatch,
			body: []byte(`{"spec":{"replicas":3}}`), code: 400, contains: "replicas"},
		hostileCase{name: "timeoutSeconds not a number", method: http.MethodGet, path: collection("v1beta", ns) + "?watch=true&timeoutSeconds=x", code: 400},
	)
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)
}

// Issue 13, reproduction 4: an object too large for etcd's request limit is
// a 413 that says the limit, on create, update and patch.
func TestHostileObjectTooLargeToStore(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")

	labels := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":"%s"`, i, strings.Repeat("v", 60))
		}
		return "{" + b.String() + "}"
	}
	const limit = "1572864" // etcd's default --max-request-bytes, the server's default
	var cases []hostileCase
	for _, n := range []int{22000, 28000, 38000} { // about 1.6, 2.1 and 2.9 MB of labels
		l := labels(n)
		cases = append(cases,
			hostileCase{name: fmt.Sprintf("create %d labels", n), method: http.MethodPost, path: collection("v1beta", ns), contentType: contentJSON,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"big","labels":` + l + `}}`), code: 413, contains: limit},
			hostileCase{name: fmt.Sprintf("put %d labels", n), method: http.MethodPut, path: collection("v1alpha", ns) + "/x", contentType: contentJSON,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"x","annotations":{"autobusi.group.cicd/requested-by":"admin"},"labels":` + l + `}}`), code: 413, contains: limit},
			hostileCase{name: fmt.Sprintf("merge patch %d labels", n), method: http.MethodPatch, path: collection("v1beta", ns) + "/x", contentType: mergePatch,
				body: []byte(`{"metadata":{"labels":` + l + `}}`), code: 413, contains: limit},
			hostileCase{name: fmt.Sprintf("apply %d labels", n), method: http.MethodPatch, path: collection("v1beta", ns) + "/x?fieldManager=big", contentType: applyPatch,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x","labels":` + l + `}}`), code: 413, contains: limit},
		)
	}
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)
	if got := r.names(t, ns); len(got) != 1 {
		t.Errorf("objects after the large writes: %v, want only [x]", got)
	}
}
