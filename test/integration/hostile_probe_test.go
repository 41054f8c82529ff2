package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A black-box hunt for what the hostile-input tests did not cover (a 5xx, a
// panic, unbounded work, a refused request that changed something): each test
// here failed before its fix.

// doAccept sends a request with the caller's Accept header; a transport error
// (a reset, no answer) is returned, not fatal, so every case is tried.
func (r *rawClient) doAccept(method, path, contentType, accept string, body []byte) (rawResponse, time.Duration, error) {
	req, err := http.NewRequest(method, shared.URL()+path, bytes.NewReader(body))
	if err != nil {
		return rawResponse{}, 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	start := time.Now()
	resp, err := r.c.Do(req)
	if err != nil {
		return rawResponse{}, time.Since(start), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}, time.Since(start), err
}

// The body bounds of server/filters read the media type as strictly as
// mime.ParseMediaType, the handlers leniently: the patch handler takes
// whatever precedes the first ';', and create and update decode a body
// without Content-Type as JSON. A parameter that does not parse, or no
// Content-Type at all, took a body past the bounds: the merge patch
// of 9 990 levels with "application/merge-patch+json;x" was a 200 after
// seconds of CPU.
func TestHostileContentTypeParameters(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")
	p := collection("v1beta", ns) + "/x"
	deep := deepObject(9990)
	ops := "[" + strings.Repeat(`{"op":"test","path":"/kind","value":"JenkinsService"},`, 5000) + `{"op":"test","path":"/kind","value":"JenkinsService"}]`
	var cases []hostileCase
	for _, param := range []string{";x", "; a=1; a=2", ";=", "; charset"} {
		cases = append(cases,
			hostileCase{name: "merge" + param, method: http.MethodPatch, path: p, contentType: mergePatch + param,
				body: []byte(`{"spec":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: "status merge" + param, method: http.MethodPatch, path: p + "/status", contentType: mergePatch + param,
				body: []byte(`{"status":{"x":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: "json patch of 5000 operations" + param, method: http.MethodPatch, path: p, contentType: jsonPatchType + param,
				body: []byte(ops), code: 413, contains: "operations"},
			hostileCase{name: "strategic" + param, method: http.MethodPatch, path: p, contentType: strategicPatch + param,
				body: []byte(`{"metadata":{"labels":` + deep + `}}`), code: 400, contains: "max depth of"},
			hostileCase{name: "apply" + param, method: http.MethodPatch, path: p + "?fieldManager=test", contentType: applyPatch + param,
				body: []byte("apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: x\nspec:\n  x:\n" + deepYAML(1500)), code: 400, contains: "max depth of"},
		)
	}
	for _, c := range []struct{ name, method, path string }{
		{"create", http.MethodPost, collection("v1beta", ns)},
		{"update", http.MethodPut, p},
		{"delete", http.MethodDelete, p},
	} {
		cases = append(cases, hostileCase{name: c.name + " without Content-Type", method: c.method, path: c.path,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"x":` + deep + `}}`), code: 400, contains: "max depth of"})
	}
	// YAML: node properties before a flow collection, and UTF-16, which the
	// YAML decoder reads after a byte order mark.
	tagged := strings.Repeat("!!seq [", 5000) + strings.Repeat("]", 5000)
	anchored := ""
	for i := 0; i < 5000; i++ {
		anchored += fmt.Sprintf("&a%d [", i)
	}
	anchored += strings.Repeat("]", 5000)
	yamlObject := func(name, x string) []byte {
		return []byte("apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata: {name: " + name + "}\nspec:\n  x: " + x + "\n")
	}
	cases = append(cases,
		hostileCase{name: "YAML create, tags", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentYAML, body: yamlObject("deep", tagged), code: 400, contains: "max depth of"},
		hostileCase{name: "YAML create, anchors", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentYAML, body: yamlObject("deep", anchored), code: 400, contains: "max depth of"},
		hostileCase{name: "apply, tags", method: http.MethodPatch, path: p + "?fieldManager=test", contentType: applyPatch, body: yamlObject("x", tagged), code: 400, contains: "max depth of"},
		hostileCase{name: "YAML create, UTF-16", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentYAML,
			body: utf16LE(string(yamlObject("deep", strings.Repeat("[", 5000)+strings.Repeat("]", 5000)))), code: 400, contains: "max depth of"},
	)
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)
	if got := r.names(t, ns); len(got) != 1 {
		t.Errorf("objects after the requests: %v, want only [x]", got)
	}

	// A YAML body in UTF-16 that nests little is still served.
	if resp, _, err := r.tryDo(http.MethodPost, collection("v1beta", ns), contentYAML, utf16LE(string(yamlObject("utf16", "[[1]]")))); err != nil || resp.code != http.StatusCreated {
		t.Errorf("a YAML create in UTF-16: %v %v", resp, err)
	}
	// A body without Content-Type is still served as the JSON it is.
	if resp, _, err := r.tryDo(http.MethodPost, collection("v1beta", ns), "",
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"plain"}}`)); err != nil || resp.code != http.StatusCreated {
		t.Errorf("a create without Content-Type: %v %v", resp, err)
	}
}

const (
	acceptTable        = "application/json;as=Table;v=v1;g=meta.k8s.io"
	acceptPartial      = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
	acceptPartialList  = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
	acceptPartialProto = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
)

// The generic server converts the answer of a write into the Table or partial
// object metadata the Accept header asks for after the write is stored, and
// found only then that it could not: ?includeObject=bogus with a Table (400),
// a PartialObjectMetadataList of one object or a PartialObjectMetadata of a
// deleted collection (406). The client was told its request failed, and the
// object was created, changed or deleted all the same.
func TestHostileResponseConversion(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")
	coll := collection("v1beta", ns)
	p := coll + "/x"
	var obj map[string]any
	if err := json.Unmarshal(before, &obj); err != nil {
		t.Fatal(err)
	}
	obj["metadata"].(map[string]any)["labels"] = map[string]any{"changed": "yes"}
	put, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	create := []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"new"}}`)
	label := []byte(`{"metadata":{"labels":{"changed":"yes"}}}`)
	cases := []struct {
		name, method, path, contentType, accept string
		body                                    []byte
		code                                    int
	}{
		{"create, Table, includeObject=bogus", http.MethodPost, coll + "?includeObject=bogus", contentJSON, acceptTable, create, 400},
		{"update, Table, includeObject=bogus", http.MethodPut, p + "?includeObject=bogus", contentJSON, acceptTable, put, 400},
		{"patch, Table, includeObject=bogus", http.MethodPatch, p + "?includeObject=bogus", mergePatch, acceptTable, label, 400},
		{"apply, Table, includeObject=bogus", http.MethodPatch, p + "?includeObject=bogus&fieldManager=m", applyPatch, acceptTable,
			[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x","labels":{"changed":"yes"}}}`), 400},
		{"status, Table, includeObject=bogus", http.MethodPatch, p + "/status?includeObject=bogus", mergePatch, acceptTable, []byte(`{"status":{"observedGeneration":7}}`), 400},
		{"scale, Table, includeObject=bogus", http.MethodPatch, p + "/scale?includeObject=bogus", mergePatch, acceptTable, []byte(`{"spec":{"replicas":7}}`), 400},
		{"delete, Table, includeObject=bogus", http.MethodDelete, p + "?includeObject=bogus", "", acceptTable, nil, 400},
		{"deletecollection, Table, includeObject=bogus", http.MethodDelete, coll + "?includeObject=bogus", "", acceptTable, nil, 400},
		{"create, PartialObjectMetadataList", http.MethodPost, coll, contentJSON, acceptPartialList, create, 406},
		{"update, PartialObjectMetadataList", http.MethodPut, p, contentJSON, acceptPartialList, put, 406},
		{"patch, PartialObjectMetadataList", http.MethodPatch, p, mergePatch, acceptPartialList, label, 406},
		{"patch, PartialObjectMetadataList in protobuf", http.MethodPatch, p, mergePatch, acceptPartialProto, label, 406},
		{"status, PartialObjectMetadataList", http.MethodPatch, p + "/status", mergePatch, acceptPartialList, []byte(`{"status":{"observedGeneration":7}}`), 406},
		{"scale, PartialObjectMetadataList", http.MethodPatch, p + "/scale", mergePatch, acceptPartialList, []byte(`{"spec":{"replicas":7}}`), 406},
		{"deletecollection, PartialObjectMetadata", http.MethodDelete, coll, "", acceptPartial, nil, 406},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, took, err := r.doAccept(c.method, c.path, c.contentType, c.accept, c.body)
			switch {
			case err != nil:
				t.Fatalf("no answer: %v", err)
			case resp.code != c.code:
				t.Errorf("%v after %v, want %d", resp, took, c.code)
			case resp.message() == "":
				t.Errorf("the %d is not a Status: %v", resp.code, resp)
			}
			unchanged(t, r, ns, "x", before)
			if got := r.names(t, ns); len(got) != 1 {
				t.Errorf("objects after the refused request: %v, want only [x]", got)
			}
		})
	}

	// A delete answers with the object while finalizers hold it: it was
	// marked for deletion, and the client told 406.
	if resp := r.do(t, http.MethodPatch, p, mergePatch, []byte(`{"metadata":{"finalizers":["example.com/hold"]}}`)); resp.code != http.StatusOK {
		t.Fatalf("adding a finalizer: %v", resp)
	}
	held := r.do(t, http.MethodGet, p, "", nil).body
	if resp, _, err := r.doAccept(http.MethodDelete, p, "", acceptPartialList, nil); err != nil || resp.code != http.StatusNotAcceptable {
		t.Errorf("delete of an object with a finalizer, PartialObjectMetadataList: %v %v, want 406", resp, err)
	}
	unchanged(t, r, ns, "x", held)
	if resp := r.do(t, http.MethodPatch, p, mergePatch, []byte(`{"metadata":{"finalizers":null}}`)); resp.code != http.StatusOK {
		t.Fatalf("removing the finalizer: %v", resp)
	}

	// What can be converted still is, for every write.
	for _, c := range []struct {
		name, method, path, contentType, accept, kind string
		body                                          []byte
		code                                          int
	}{
		{"patch, Table, includeObject=Object", http.MethodPatch, p + "?includeObject=Object", mergePatch, acceptTable, "Table", []byte(`{"metadata":{"labels":{"a":"1"}}}`), 200},
		{"create, PartialObjectMetadata", http.MethodPost, coll, contentJSON, acceptPartial, "PartialObjectMetadata", create, 201},
		{"scale, Table", http.MethodPatch, p + "/scale", mergePatch, acceptTable, "Table", []byte(`{"spec":{"replicas":3}}`), 200},
		{"delete, PartialObjectMetadata (a Status answers)", http.MethodDelete, coll + "/new", "", acceptPartial, "Status", nil, 200},
		{"deletecollection, PartialObjectMetadataList", http.MethodDelete, coll, "", acceptPartialList, "PartialObjectMetadataList", nil, 200},
	} {
		resp, _, err := r.doAccept(c.method, c.path, c.contentType, c.accept, c.body)
		var got struct{ Kind string }
		if err != nil || resp.code != c.code || json.Unmarshal(resp.body, &got) != nil || got.Kind != c.kind {
			t.Errorf("%s: %v %v, want %d with a %s", c.name, resp, err, c.code, c.kind)
		}
	}
	if got := r.names(t, ns); len(got) != 0 {
		t.Errorf("objects after the delete-collection: %v", got)
	}
}

// utf16LE is s (ASCII) in UTF-16, little endian, after a byte order mark.
func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// jsonList is a JSON list of n strings made by item.
func jsonList(n int, item func(int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func finalizerName(i int) string { return fmt.Sprintf(`"example.com/f%d"`, i) }

// A strategic merge patch of a list with the merge strategy sorts it with a
// linear search per comparison: n² log n in the patch's list and in the
// stored one. 16 000 finalizers in a 229 KB patch took 4.3 s of CPU, and a
// 40-byte patch of an object storing 16 000 finalizers 3.6 s.
func TestHostileStrategicMergeListLengths(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	created := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x","finalizers":["example.com/keep"]},"spec":{"replicas":2}}`))
	if created.code != http.StatusCreated {
		t.Fatalf("create: %v", created)
	}
	before := r.do(t, http.MethodGet, collection("v1beta", ns)+"/x", "", nil).body
	p := collection("v1beta", ns) + "/x"
	condition := func(i int) string {
		return fmt.Sprintf(`{"type":"T%d","status":"True","reason":"R","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}`, i)
	}
	owner := func(i int) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","name":"o%d","uid":"u%d"}`, i, i)
	}
	cases := []hostileCase{
		{name: "16000 finalizers", method: http.MethodPatch, path: p, contentType: strategicPatch,
			body: []byte(`{"metadata":{"finalizers":` + jsonList(16000, finalizerName) + `}}`), code: 413, contains: ".metadata.finalizers has 16000 items"},
		{name: "16000 finalizers, a parameter in the media type", method: http.MethodPatch, path: p, contentType: strategicPatch + ";x",
			body: []byte(`{"metadata":{"finalizers":` + jsonList(16000, finalizerName) + `}}`), code: 413},
		{name: "setElementOrder of 16000 finalizers", method: http.MethodPatch, path: p, contentType: strategicPatch,
			body: []byte(`{"metadata":{"$setElementOrder/finalizers":` + jsonList(16000, finalizerName) + `}}`), code: 413, contains: "$setElementOrder/finalizers"},
		{name: "8000 ownerReferences", method: http.MethodPatch, path: p, contentType: strategicPatch,
			body: []byte(`{"metadata":{"ownerReferences":` + jsonList(8000, owner) + `}}`), code: 413},
		{name: "8000 conditions", method: http.MethodPatch, path: p + "/status", contentType: strategicPatch,
			body: []byte(`{"status":{"conditions":` + jsonList(8000, condition) + `}}`), code: 413},
		// What is stored is bounded too: a strategic patch costs as much in the stored list.
		{name: "merge patch to 16000 finalizers", method: http.MethodPatch, path: p, contentType: mergePatch,
			body: []byte(`{"metadata":{"finalizers":` + jsonList(16000, finalizerName) + `}}`), code: 422, contains: "metadata.finalizers: Too many"},
		{name: "create with 1001 finalizers", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"y","finalizers":` + jsonList(1001, finalizerName) + `}}`), code: 422, contains: "metadata.finalizers: Too many"},
		{name: "create with 1001 ownerReferences", method: http.MethodPost, path: collection("v1alpha", ns), contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"y","ownerReferences":` + jsonList(1001, owner) + `}}`), code: 422, contains: "metadata.ownerReferences: Too many"},
	}
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)

	// Lists of a real size merge as before.
	resp := r.do(t, http.MethodPatch, p, strategicPatch, []byte(`{"metadata":{"finalizers":`+jsonList(10, finalizerName)+`}}`))
	var got struct {
		Metadata struct{ Finalizers []string }
	}
	if resp.code != http.StatusOK || json.Unmarshal(resp.body, &got) != nil || len(got.Metadata.Finalizers) != 11 {
		t.Errorf("a strategic patch of 10 finalizers onto 1: %v", resp)
	}
	if resp := r.do(t, http.MethodPatch, p, mergePatch, []byte(`{"metadata":{"finalizers":null}}`)); resp.code != http.StatusOK {
		t.Errorf("removing the finalizers: %v", resp)
	}
}

// A create with metadata.resourceVersion was the storage's 500 ("resourceVersion
// should not be set on objects to be created"), and a 201 as a dry run.
func TestHostileCreateWithResourceVersion(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	withRV := validV1beta("pb")
	withRV.ResourceVersion = "5"
	alpha := validV1alpha("pb-alpha")
	alpha.ResourceVersion = "12"
	var cases []hostileCase
	for _, q := range []string{"", "?dryRun=All"} {
		cases = append(cases,
			hostileCase{name: "JSON" + q, method: http.MethodPost, path: collection("v1beta", ns) + q, contentType: contentJSON,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"j","resourceVersion":"5"}}`), code: 422, contains: "metadata.resourceVersion"},
			hostileCase{name: "JSON, generateName" + q, method: http.MethodPost, path: collection("v1beta", ns) + q, contentType: contentJSON,
				body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"generateName":"g-","resourceVersion":"99999999999"}}`), code: 422, contains: "metadata.resourceVersion"},
			hostileCase{name: "YAML, v1alpha" + q, method: http.MethodPost, path: collection("v1alpha", ns) + q, contentType: contentYAML,
				body: []byte("apiVersion: autobusi.group.cicd/v1alpha\nkind: JenkinsService\nmetadata:\n  name: yml\n  resourceVersion: \"1\"\n"), code: 422, contains: "metadata.resourceVersion"},
			hostileCase{name: "protobuf" + q, method: http.MethodPost, path: collection("v1beta", ns) + q, contentType: contentProtobuf,
				body: protobufBody(t, withRV), code: 422, contains: "metadata.resourceVersion"},
			hostileCase{name: "protobuf, v1alpha" + q, method: http.MethodPost, path: collection("v1alpha", ns) + q, contentType: contentProtobuf,
				body: protobufBody(t, alpha), code: 422, contains: "metadata.resourceVersion"},
		)
	}
	runHostile(t, r, cases)
	if got := r.names(t, ns); len(got) != 0 {
		t.Errorf("objects after the refused creates: %v", got)
	}
	// "0" is what the storage takes for no resourceVersion.
	if resp := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"zero","resourceVersion":"0"}}`)); resp.code != http.StatusCreated {
		t.Errorf("a create with resourceVersion 0: %v", resp)
	}
}

// Protobuf bodies are not depth-scanned. A create whose managedFields held a
// fieldsV1 nested 500 levels was stored; then no JSON client could write the
// object back (the 100-level body bound) and Python's json module could not
// read it (RecursionError at 5000).
func TestHostileManagedFieldsDepth(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	withFields := func(name string, depth int) []byte {
		obj := validV1beta(name)
		obj.ManagedFields = []metav1.ManagedFieldsEntry{{
			Manager: "m", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autobusi.group.cicd/v1beta", FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(strings.Repeat(`{"f:a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)),
		}}
		return protobufBody(t, obj)
	}
	runHostile(t, r, []hostileCase{
		{name: "fieldsV1 of 500 levels", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentProtobuf,
			body: withFields("deep", 500), code: 422, contains: "metadata.managedFields[0].fieldsV1"},
		{name: "fieldsV1 of 33 levels", method: http.MethodPost, path: collection("v1beta", ns), contentType: contentProtobuf,
			body: withFields("deep", 33), code: 422, contains: "must nest at most 32 levels"},
	})
	if got := r.names(t, ns); len(got) != 0 {
		t.Errorf("objects after the refused creates: %v", got)
	}
	// Within the bound, what is stored can be written back as JSON.
	if resp := r.do(t, http.MethodPost, collection("v1beta", ns), contentProtobuf, withFields("ok", 30)); resp.code != http.StatusCreated {
		t.Fatalf("a create with fieldsV1 of 30 levels: %v", resp)
	}
	obj := r.do(t, http.MethodGet, collection("v1beta", ns)+"/ok", "", nil)
	if resp := r.do(t, http.MethodPut, collection("v1beta", ns)+"/ok", contentJSON, obj.body); resp.code != http.StatusOK {
		t.Errorf("writing back what was read: %v", resp)
	}
}

// An approval with two Approved conditions applied the first in silence (200);
// which one the client meant is anyone's guess.
func TestHostileApprovalDuplicates(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	before := hostileObject(t, r, ns, "x")
	approval := func(conditions ...string) []byte {
		return []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x"},"status":{"conditions":[` + strings.Join(conditions, ",") + `]}}`)
	}
	approved := func(status string) string {
		return `{"type":"Approved","status":"` + status + `","reason":"R","message":"m","lastTransitionTime":"2026-01-01T00:00:00Z"}`
	}
	runHostile(t, r, []hostileCase{
		{name: "True, then False", method: http.MethodPut, path: collection("v1beta", ns) + "/x/approval", contentType: contentJSON,
			body: approval(approved("True"), approved("False")), code: 422, contains: "status.conditions[1]: Duplicate value"},
		{name: "True twice, a Ready between", method: http.MethodPut, path: collection("v1beta", ns) + "/x/approval?dryRun=All", contentType: contentJSON,
			body: approval(approved("True"), `{"type":"Ready","status":"True","reason":"R","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}`, approved("True")),
			code: 422, contains: "status.conditions[2]"},
	})
	unchanged(t, r, ns, "x", before)
	if resp := r.do(t, http.MethodPut, collection("v1beta", ns)+"/x/approval", contentJSON, approval(approved("True"))); resp.code != http.StatusOK {
		t.Errorf("an approval with one Approved condition: %v", resp)
	}
}

// A patch that sets apiVersion to the group's other version was decoded as
// that version: {"apiVersion":"autobusi.group.cicd/v1alpha"} sent to v1beta
// reset replicas, memory and image to the defaults (200), and a v1alpha URL
// took v1beta's spec.replicas. Creates and updates refuse such bodies (400).
func TestHostilePatchAPIVersion(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	hostileObject(t, r, ns, "x")
	if resp := r.do(t, http.MethodPatch, collection("v1beta", ns)+"/x", mergePatch,
		[]byte(`{"spec":{"replicas":3,"resources":{"memory":"4Gi"},"image":"jenkins/jenkins:2.462.3-lts"}}`)); resp.code != http.StatusOK {
		t.Fatalf("patch: %v", resp)
	}
	before := r.do(t, http.MethodGet, collection("v1beta", ns)+"/x", "", nil).body
	var cases []hostileCase
	for _, v := range []struct{ url, other string }{{"v1beta", "v1alpha"}, {"v1alpha", "v1beta"}} {
		p := collection(v.url, ns) + "/x"
		other := `"autobusi.group.cicd/` + v.other + `"`
		for _, sub := range []string{"", "/status"} {
			cases = append(cases,
				hostileCase{name: v.url + sub + " merge", method: http.MethodPatch, path: p + sub, contentType: mergePatch,
					body: []byte(`{"apiVersion":` + other + `,"spec":{"replicas":7}}`), code: 400, contains: "does not match the expected API version"},
				hostileCase{name: v.url + sub + " strategic", method: http.MethodPatch, path: p + sub, contentType: strategicPatch,
					body: []byte(`{"apiVersion":` + other + `}`), code: 400, contains: "does not match the expected API version"},
				hostileCase{name: v.url + sub + " json", method: http.MethodPatch, path: p + sub, contentType: jsonPatchType,
					body: []byte(`[{"op":"replace","path":"/apiVersion","value":` + other + `}]`), code: 400, contains: "does not match the expected API version"},
			)
		}
	}
	runHostile(t, r, cases)
	unchanged(t, r, ns, "x", before)
	if resp := r.do(t, http.MethodPatch, collection("v1beta", ns)+"/x", mergePatch,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","metadata":{"labels":{"same":"version"}}}`)); resp.code != http.StatusOK {
		t.Errorf("a patch naming the URL's version: %v", resp)
	}
}

// A label or field selector was bounded only by the request line (1 MB):
// 40 000 requirements cost 2.0 s of CPU for one list of 3 000 objects, linear
// in the objects, and as much again for every event of a watch.
func TestHostileSelectorRequirements(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	hostileObject(t, r, ns, "x")
	terms := func(term string, n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(term, i)
		}
		return url.QueryEscape(strings.Join(parts, ","))
	}
	coll := collection("v1beta", ns)
	var cases []hostileCase
	for _, sel := range []string{"labelSelector=" + terms("a!=w%d", 20000), "labelSelector=" + terms("a!=w%d", 1001), "fieldSelector=" + terms("metadata.name!=w%d", 5000)} {
		cases = append(cases,
			hostileCase{name: "list " + sel[:13], method: http.MethodGet, path: coll + "?" + sel, code: 400, contains: "requirements; the limit is 1000"},
			hostileCase{name: "list all namespaces " + sel[:13], method: http.MethodGet, path: "/apis/autobusi.group.cicd/v1alpha/jenkinsservices?" + sel, code: 400},
			hostileCase{name: "watch " + sel[:13], method: http.MethodGet, path: coll + "?watch=true&timeoutSeconds=1&" + sel, code: 400},
			hostileCase{name: "delete-collection " + sel[:13], method: http.MethodDelete, path: coll + "?" + sel, code: 400},
		)
	}
	runHostile(t, r, cases)
	if got := r.names(t, ns); len(got) != 1 {
		t.Errorf("objects after the refused requests: %v, want [x]", got)
	}
	for _, sel := range []string{"labelSelector=" + terms("a!=w%d", 1000), "fieldSelector=" + terms("metadata.name!=w%d", 1000),
		"labelSelector=" + url.QueryEscape("team in (a,"+strings.Repeat("b,", 5000)+"c)")} {
		var list struct{ Items []json.RawMessage }
		if resp := r.do(t, http.MethodGet, coll+"?"+sel, "", nil); resp.code != http.StatusOK || json.Unmarshal(resp.body, &list) != nil || len(list.Items) != 1 {
			t.Errorf("a list with %.40s…: %v", sel, resp)
		}
	}
}
