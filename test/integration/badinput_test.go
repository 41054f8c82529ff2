package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	clientscheme "github.com/autobusi/cicd-apiserver/generated/clientset/versioned/scheme"
)

// Bad input over raw HTTP (net/http with the admin certificate of the shared
// server's data dir): every bad request gets a 4xx, never a 5xx, creates or
// changes nothing, and the server serves normally afterwards.

const (
	contentJSON     = "application/json"
	contentYAML     = "application/yaml"
	contentProtobuf = "application/vnd.kubernetes.protobuf"
)

// The server's limit on request bodies (k8s.io/apiserver's default
// MaxRequestBodyBytes, 3 MiB).
const maxRequestBodyBytes = 3 << 20

type rawResponse struct {
	code        int
	contentType string
	body        []byte
}

func (r rawResponse) String() string {
	b := r.body
	if len(b) > 2000 {
		b = append(b[:2000:2000], "…"...)
	}
	return fmt.Sprintf("%d %s: %s", r.code, r.contentType, b)
}

// message is the message of a metav1.Status body ("" when the body is not one).
func (r rawResponse) message() string {
	var s metav1.Status
	if json.Unmarshal(r.body, &s) != nil {
		return ""
	}
	return s.Message
}

// rawClient sends raw requests to the shared server with the admin
// certificate.
type rawClient struct {
	c *http.Client
}

func newRawClient(t testing.TB) *rawClient {
	t.Helper()
	c, err := shared.PKIHTTPClient(60 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return &rawClient{c: c}
}

// do sends a request; a transport error (the server did not answer) fails
// the test.
func (r *rawClient) do(t testing.TB, method, path, contentType string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, shared.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", contentJSON)
	resp, err := r.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s (%s, %d bytes): the server did not answer: %v", method, path, contentType, len(body), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	return rawResponse{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// serves checks that the server is ready and that a normal create and get
// work in ns.
func (r *rawClient) serves(t testing.TB, ns, name string) {
	t.Helper()
	if resp := r.do(t, http.MethodGet, "/readyz", "", nil); resp.code != http.StatusOK {
		t.Fatalf("/readyz after bad input: %v", resp)
	}
	body := fmt.Sprintf(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":%q},"spec":{"replicas":2}}`, name)
	if resp := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON, []byte(body)); resp.code != http.StatusCreated {
		t.Fatalf("a normal create after bad input: %v", resp)
	}
	resp := r.do(t, http.MethodGet, collection("v1beta", ns)+"/"+name, "", nil)
	var js v1beta.JenkinsService
	if resp.code != http.StatusOK || json.Unmarshal(resp.body, &js) != nil || js.Name != name || js.Spec.Replicas == nil || *js.Spec.Replicas != 2 {
		t.Fatalf("a normal get after bad input: %v", resp)
	}
}

// names lists the names of the JenkinsServices in ns.
func (r *rawClient) names(t testing.TB, ns string) []string {
	t.Helper()
	resp := r.do(t, http.MethodGet, collection("v1beta", ns), "", nil)
	var list v1beta.JenkinsServiceList
	if resp.code != http.StatusOK {
		t.Fatalf("list: %v", resp)
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		t.Fatalf("list: %v: %v", err, resp)
	}
	var n []string
	for _, js := range list.Items {
		n = append(n, js.Name)
	}
	return n
}

func collection(version, ns string) string {
	return "/apis/autobusi.group.cicd/" + version + "/namespaces/" + ns + "/jenkinsservices"
}

// protobufBody is obj in the protobuf wire format (the k8s\x00 envelope),
// with the apiVersion and kind of its TypeMeta.
func protobufBody(t testing.TB, obj runtime.Object) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := protobuf.NewSerializer(clientscheme.Scheme, clientscheme.Scheme).Encode(obj, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// protobufEnvelope is the k8s\x00 envelope (runtime.Unknown) around raw,
// claiming the given apiVersion and kind.
func protobufEnvelope(t testing.TB, apiVersion, kind string, raw []byte) []byte {
	t.Helper()
	u := runtime.Unknown{TypeMeta: runtime.TypeMeta{APIVersion: apiVersion, Kind: kind}, Raw: raw, ContentType: contentProtobuf}
	m, err := u.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("k8s\x00"), m...)
}

func validV1beta(name string) *v1beta.JenkinsService {
	return &v1beta.JenkinsService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autobusi.group.cicd/v1beta", Kind: "JenkinsService"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"team": "a"}},
		Spec:       v1beta.JenkinsServiceSpec{Replicas: ptr.To[int32](2), Image: "jenkins/jenkins:2.462.3-lts"},
	}
}

func validV1alpha(name string) *v1alpha.JenkinsService {
	return &v1alpha.JenkinsService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autobusi.group.cicd/v1alpha", Kind: "JenkinsService"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 3},
	}
}

// nested is a JSON value depth levels deep: [[[…]]].
func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

type badRequest struct {
	name        string
	method      string // POST when empty
	version     string // v1beta when empty
	sub         string // "/<name>[/<subresource>]" after the collection
	query       string
	contentType string
	body        []byte
	code        int    // the expected status; any 4xx when 0
	contains    string // the Status message contains it, when set
}

func TestBadInputCreate(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	rnd := rand.New(rand.NewSource(1))
	random := func(n int) []byte {
		b := make([]byte, n)
		rnd.Read(b)
		return b
	}
	beta := func(rest string) []byte {
		return []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"bad"}` + rest + `}`)
	}
	validProto := protobufBody(t, validV1beta("bad"))
	validAlphaProto := protobufBody(t, validV1alpha("bad"))
	labelValue := func(n int) []byte {
		return []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"bad","labels":{"big":"` + strings.Repeat("v", n) + `"}}}`)
	}
	bigBody, _ := json.Marshal(validV1beta("bad"))
	bigBody = append(bigBody[:len(bigBody)-1:len(bigBody)-1], []byte(`,"padding":"`+strings.Repeat("x", maxRequestBodyBytes)+`"}`)...)

	cases := []badRequest{
		// Not JSON.
		{name: "malformed JSON", contentType: contentJSON, body: []byte(`{"apiVersion":`), code: 400},
		{name: "empty JSON body", contentType: contentJSON, body: nil, code: 400},
		{name: "JSON array", contentType: contentJSON, body: []byte(`[1,2,3]`), code: 400},
		{name: "JSON string", contentType: contentJSON, body: []byte(`"JenkinsService"`), code: 400},
		{name: "JSON with a NUL byte", contentType: contentJSON, body: append(beta(""), 0), code: 400},
		{name: "binary as JSON", contentType: contentJSON, body: random(512), code: 400},
		{name: "malformed YAML", contentType: contentYAML, body: []byte("apiVersion: [autobusi.group.cicd/v1beta\nkind: JenkinsService\n"), code: 400},
		{name: "YAML anchor cycle", contentType: contentYAML, body: []byte("a: &a [*a]\n"), code: 400},
		// Not protobuf.
		{name: "random bytes as protobuf", contentType: contentProtobuf, body: random(300), code: 400, contains: "protobuf"},
		{name: "JSON as protobuf", contentType: contentProtobuf, body: beta(""), code: 400},
		{name: "k8s prefix, broken message", contentType: contentProtobuf, body: append([]byte("k8s\x00\x0a\x05\xff\xff"), random(64)...), code: 400},
		{name: "k8s prefix only", contentType: contentProtobuf, body: []byte("k8s\x00"), code: 400},
		{name: "k8s prefix, right kind, garbage object", contentType: contentProtobuf,
			body: protobufEnvelope(t, "autobusi.group.cicd/v1beta", "JenkinsService", random(200)), code: 400},
		{name: "k8s prefix, right kind, truncated object", contentType: contentProtobuf,
			body: protobufEnvelope(t, "autobusi.group.cicd/v1beta", "JenkinsService", append([]byte{0x0a, 0x7f}, []byte("short")...)), code: 400},
		{name: "truncated protobuf", contentType: contentProtobuf, body: validProto[:len(validProto)*2/3], code: 400},
		{name: "protobuf of another kind", contentType: contentProtobuf,
			body: protobufEnvelope(t, "v1", "Pod", validProto[4:]), code: 400},
		{name: "protobuf v1alpha to the v1beta URL", contentType: contentProtobuf, body: validAlphaProto, code: 400},
		// The wrong kind, group or version.
		{name: "wrong kind", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"Pod","metadata":{"name":"bad"}}`), code: 400},
		{name: "list kind", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsServiceList","items":[]}`), code: 400},
		{name: "wrong group", contentType: contentJSON, body: []byte(`{"apiVersion":"apps/v1","kind":"JenkinsService","metadata":{"name":"bad"}}`), code: 400},
		{name: "unknown version of the group", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v2","kind":"JenkinsService","metadata":{"name":"bad"}}`), code: 400},
		{name: "v1alpha body to the v1beta URL", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"bad"}}`), code: 400, contains: "does not match the expected API version"},
		{name: "v1beta body to the v1alpha URL", version: "v1alpha", contentType: contentJSON, body: beta(""), code: 400, contains: "does not match the expected API version"},
		{name: "v1alpha YAML to the v1beta URL", contentType: contentYAML, body: []byte("apiVersion: autobusi.group.cicd/v1alpha\nkind: JenkinsService\nmetadata:\n  name: bad\n"), code: 400},
		{name: "another namespace in the body", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"bad","namespace":"elsewhere"}}`), code: 400},
		// Unknown and duplicate fields with strict field validation.
		{name: "unknown spec field, Strict", query: "?fieldValidation=Strict", contentType: contentJSON, body: beta(`,"spec":{"replicas":1,"bogusField":1}`), code: 400, contains: `unknown field "spec.bogusField"`},
		{name: "unknown top-level field, Strict", query: "?fieldValidation=Strict", contentType: contentJSON, body: beta(`,"extra":true`), code: 400, contains: `unknown field "extra"`},
		{name: "v1beta field through v1alpha, Strict", version: "v1alpha", query: "?fieldValidation=Strict", contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"bad"},"spec":{"replicas":2}}`), code: 400, contains: `unknown field "spec.replicas"`},
		{name: "unknown field, Strict, YAML", query: "?fieldValidation=Strict", contentType: contentYAML,
			body: []byte("apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: bad\nspec:\n  resources:\n    disk: 1Gi\n"), code: 400, contains: `unknown field "spec.resources.disk"`},
		{name: "duplicate field, Strict", query: "?fieldValidation=Strict", contentType: contentJSON, body: beta(`,"spec":{"replicas":1,"replicas":2}`), code: 400, contains: `duplicate field "spec.replicas"`},
		{name: "unknown fieldValidation", query: "?fieldValidation=Loose", contentType: contentJSON, body: beta(""), code: 422, contains: "fieldValidation"},
		// Wrong types and values.
		{name: "replicas a string", contentType: contentJSON, body: beta(`,"spec":{"replicas":"many"}`), code: 400},
		{name: "replicas beyond int32", contentType: contentJSON, body: beta(`,"spec":{"replicas":99999999999}`), code: 400},
		{name: "cpu not a quantity", contentType: contentJSON, body: beta(`,"spec":{"resources":{"cpu":"lots"}}`), code: 400},
		{name: "cpu a huge exponent", contentType: contentJSON, body: beta(`,"spec":{"resources":{"cpu":"1e100000"}}`), code: 422, contains: "spec.resources.cpu"},
		{name: "negative instancecpu", version: "v1alpha", contentType: contentJSON,
			body: []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"bad"},"spec":{"instancecpu":-5}}`), code: 422, contains: "spec.instancecpu"},
		{name: "invalid name", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"Bad_Name"}}`), code: 422, contains: "metadata.name"},
		{name: "no name", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService"}`), code: 422, contains: "metadata.name"},
		{name: "invalid image", contentType: contentJSON, body: beta(`,"spec":{"image":"Not A Valid/Image!!"}`), code: 422, contains: "spec.image"},
		// Size and depth.
		{name: "1 MiB label value", contentType: contentJSON, body: labelValue(1 << 20), code: 422, contains: "metadata.labels"},
		{name: "4 MiB label value", contentType: contentJSON, body: labelValue(4 << 20), code: 413},
		{name: "body over the limit, JSON", contentType: contentJSON, body: bigBody, code: 413},
		{name: "body over the limit, protobuf", contentType: contentProtobuf,
			body: protobufEnvelope(t, "autobusi.group.cicd/v1beta", "JenkinsService", random(maxRequestBodyBytes+1024)), code: 413},
		{name: "deeply nested JSON in spec", contentType: contentJSON, body: beta(`,"spec":{"x":` + nested(20000) + `}`), code: 400, contains: "max depth"},
		{name: "deeply nested JSON in metadata", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"bad","labels":` + nested(20000) + `}}`), code: 400},
		{name: "deeply nested YAML", contentType: contentYAML,
			body: []byte("apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: bad\nspec:\n  x: " + nested(20000) + "\n"), code: 400, contains: "max depth"},
		{name: "deeply nested JSON, Strict", query: "?fieldValidation=Strict", contentType: contentJSON, body: beta(`,"spec":{"x":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `}`), code: 400, contains: "max depth of 100"},
		// Media types.
		{name: "text/plain", contentType: "text/plain", body: beta(""), code: 415},
		// Subresources.
		{name: "status: malformed JSON", method: http.MethodPut, sub: "/existing/status", contentType: contentJSON, body: []byte(`{"status":`), code: 400},
		{name: "approval: random protobuf", method: http.MethodPut, sub: "/existing/approval", contentType: contentProtobuf, body: random(100), code: 400},
		{name: "scale: a JenkinsService body", method: http.MethodPut, sub: "/existing/scale", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"existing"}}`), code: 400},
		{name: "scale: replicas a string", method: http.MethodPut, sub: "/existing/scale", contentType: contentJSON, body: []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"Scale","metadata":{"name":"existing"},"spec":{"replicas":"x"}}`), code: 400},
		{name: "scale: replicas 1000", method: http.MethodPut, sub: "/existing/scale", contentType: contentJSON, body: []byte(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"existing"},"spec":{"replicas":1000}}`), code: 422, contains: "spec.replicas"},
	}

	// The object the subresource cases write to.
	existing := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON, []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"existing"},"spec":{"replicas":1}}`))
	if existing.code != http.StatusCreated {
		t.Fatalf("creating the object: %v", existing)
	}
	before := r.do(t, http.MethodGet, collection("v1beta", ns)+"/existing", "", nil)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, version := c.method, c.version
			if method == "" {
				method = http.MethodPost
			}
			if version == "" {
				version = "v1beta"
			}
			resp := r.do(t, method, collection(version, ns)+c.sub+c.query, c.contentType, c.body)
			switch {
			case resp.code >= 500:
				t.Errorf("server error for bad input: %v", resp)
			case resp.code < 400:
				t.Errorf("bad input accepted: %v", resp)
			case c.code != 0 && resp.code != c.code:
				t.Errorf("status %d, want %d: %v", resp.code, c.code, resp)
			case c.contains != "" && !strings.Contains(resp.message(), c.contains):
				t.Errorf("the message does not say %q: %v", c.contains, resp)
			}
			if got := r.names(t, ns); len(got) != 1 || got[0] != "existing" {
				t.Errorf("objects after the bad request: %v, want only [existing]", got)
			}
		})
	}

	if after := r.do(t, http.MethodGet, collection("v1beta", ns)+"/existing", "", nil); !bytes.Equal(before.body, after.body) {
		t.Errorf("the bad subresource requests changed the object:\nbefore %s\nafter  %s", before.body, after.body)
	}
	r.serves(t, ns, "after")
}

func TestBadInputPatch(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	r := newRawClient(t)
	const (
		merge     = "application/merge-patch+json"
		jsonPatch = "application/json-patch+json"
		strategic = "application/strategic-merge-patch+json"
		apply     = "application/apply-patch+yaml"
	)
	created := r.do(t, http.MethodPost, collection("v1beta", ns), contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci","labels":{"team":"a"}},"spec":{"replicas":2}}`))
	if created.code != http.StatusCreated {
		t.Fatalf("create: %v", created)
	}
	if resp := r.do(t, http.MethodPatch, collection("v1beta", ns)+"/ci/status", merge,
		[]byte(`{"status":{"conditions":[{"type":"Ready","status":"False","reason":"Provisioning","message":"m","lastTransitionTime":"2026-11-23T08:00:00Z"}]}}`)); resp.code != http.StatusOK {
		t.Fatalf("status patch: %v", resp)
	}
	before := r.do(t, http.MethodGet, collection("v1beta", ns)+"/ci", "", nil)

	// Some of these are errors that k8s.io/apiserver passes on as plain errors
	// and answers 500 to, for built-in APIs as well (strategic merge patch errors
	// that endpoints/handlers/patch.go does not map to 4xx, server-side apply's
	// "failed to create typed patch object"); the registry turns them into 400.
	type patchCase struct {
		name, sub, contentType, query, body string
		code                                int
		contains                            string
	}
	cases := []patchCase{
		{name: "merge: malformed", contentType: merge, body: `{"spec":`, code: 400},
		{name: "merge: an array", contentType: merge, body: `[1,2]`, code: 400},
		{name: "merge: empty", contentType: merge, body: ``, code: 400},
		{name: "merge: replicas a string", contentType: merge, body: `{"spec":{"replicas":"many"}}`, code: 422},
		{name: "merge: replicas an object", contentType: merge, body: `{"spec":{"replicas":{"a":1}}}`, code: 422},
		{name: "merge: invalid replicas", contentType: merge, body: `{"spec":{"replicas":1000}}`, code: 422, contains: "spec.replicas"},
		{name: "merge: another name", contentType: merge, body: `{"metadata":{"name":"other"}}`, code: 400},
		// As for built-in APIs, strict decoding errors of patches are 422.
		{name: "merge: unknown field, Strict", contentType: merge, query: "?fieldValidation=Strict", body: `{"spec":{"bogusField":1}}`, code: 422, contains: `unknown field "spec.bogusField"`},
		{name: "json: unknown field, Strict", contentType: jsonPatch, query: "?fieldValidation=Strict", body: `[{"op":"add","path":"/spec/bogusField","value":1}]`, code: 422, contains: "bogusField"},
		{name: "merge: deeply nested", contentType: merge, body: `{"spec":{"x":` + nested(20000) + `}}`, code: 400},
		{name: "json: malformed", contentType: jsonPatch, body: `[{"op":`, code: 400},
		{name: "json: not a list", contentType: jsonPatch, body: `{"op":"replace","path":"/spec/replicas","value":3}`, code: 400},
		{name: "json: unknown op", contentType: jsonPatch, body: `[{"op":"explode","path":"/spec"}]`, code: 422},
		{name: "json: missing path", contentType: jsonPatch, body: `[{"op":"replace","path":"/spec/nope/deeper","value":1}]`, code: 422},
		{name: "json: failing test", contentType: jsonPatch, body: `[{"op":"test","path":"/spec/replicas","value":99},{"op":"replace","path":"/spec/replicas","value":3}]`, code: 422},
		{name: "json: rename", contentType: jsonPatch, body: `[{"op":"replace","path":"/metadata/name","value":"other"}]`, code: 400},
		{name: "json: replicas an object", contentType: jsonPatch, body: `[{"op":"replace","path":"/spec/replicas","value":{"a":1}}]`, code: 422},
		{name: "json: remove the root", contentType: jsonPatch, body: `[{"op":"remove","path":""}]`},
		{name: "strategic: malformed", contentType: strategic, body: `nope`, code: 400},
		{name: "strategic: an array", contentType: strategic, body: `[{"spec":{}}]`, code: 400},
		{name: "strategic: replicas a string", contentType: strategic, body: `{"spec":{"replicas":"many"}}`, code: 422},
		{name: "strategic: unknown directive", contentType: strategic, body: `{"metadata":{"$patch":"bogus"}}`, code: 400, contains: "unknown patch type: bogus"},
		{name: "strategic: condition without its merge key", sub: "/status", contentType: strategic, body: `{"status":{"conditions":[{"$patch":"delete"}]}}`, code: 400, contains: "does not contain declared merge key: type"},
		{name: "strategic: deeply nested", contentType: strategic, body: `{"spec":{"x":` + nested(20000) + `}}`, code: 400},
		{name: "apply: malformed YAML", contentType: apply, query: "?fieldManager=test", body: "a: [b", code: 400},
		{name: "apply: no field manager", contentType: apply, body: `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci"}}`, code: 422, contains: "fieldManager"},
		{name: "apply: another name", contentType: apply, query: "?fieldManager=test", body: `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"other"}}`, code: 400},
		{name: "apply: wrong kind", contentType: apply, query: "?fieldManager=test", body: `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"Pod","metadata":{"name":"ci"}}`},
		{name: "apply: v1alpha body to the v1beta URL", contentType: apply, query: "?fieldManager=test", body: `{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"ci"},"spec":{"instanceamount":5}}`},
		{name: "apply: unknown field", contentType: apply, query: "?fieldManager=test", body: `{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"ci"},"spec":{"bogusField":1}}`,
			code: 400, contains: ".spec.bogusField: field not declared in schema"},
		{name: "apply: deeply nested YAML", contentType: apply, query: "?fieldManager=test", body: "apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: ci\nspec:\n  x: " + nested(20000) + "\n", code: 400},
		{name: "patch over the size limit", contentType: merge, body: `{"metadata":{"labels":{"big":"` + strings.Repeat("v", maxRequestBodyBytes) + `"}}}`, code: 413},
		{name: "unsupported patch type", contentType: "text/plain", body: `{"spec":{"replicas":3}}`, code: 415},
		{name: "status: malformed merge patch", sub: "/status", contentType: merge, body: `{"status":`, code: 400},
		{name: "scale: replicas a string", sub: "/scale", contentType: merge, body: `{"spec":{"replicas":"x"}}`, code: 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := r.do(t, http.MethodPatch, collection("v1beta", ns)+"/ci"+c.sub+c.query, c.contentType, []byte(c.body))
			switch {
			case resp.code >= 500:
				t.Errorf("server error for a bad patch: %v", resp)
			case resp.code < 400:
				t.Errorf("bad patch accepted: %v", resp)
			case c.code != 0 && resp.code != c.code:
				t.Errorf("status %d, want %d: %v", resp.code, c.code, resp)
			case c.contains != "" && !strings.Contains(resp.message(), c.contains):
				t.Errorf("the message does not say %q: %v", c.contains, resp)
			}
			if after := r.do(t, http.MethodGet, collection("v1beta", ns)+"/ci", "", nil); !bytes.Equal(before.body, after.body) {
				t.Errorf("the bad patch changed the object:\nbefore %s\nafter  %s", before.body, after.body)
			}
		})
	}
	if got := r.names(t, ns); len(got) != 1 || got[0] != "ci" {
		t.Errorf("objects after the bad patches: %v, want only [ci]", got)
	}
	r.serves(t, ns, "after")
}
