package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// fuzzNamespace is where FuzzRequestBodies creates; what gets created is
// deleted again at once.
const fuzzNamespace = "fuzz-request-bodies"

var fuzzHTTP struct {
	once sync.Once
	c    *rawClient
	err  error
}

// fuzzClient is one raw client for all inputs of a process (a new TLS
// connection per input would make fuzzing slow).
func fuzzClient(t *testing.T) *rawClient {
	fuzzHTTP.once.Do(func() {
		c, err := shared.PKIHTTPClient(60 * time.Second)
		fuzzHTTP.c, fuzzHTTP.err = &rawClient{c: c}, err
	})
	if fuzzHTTP.err != nil {
		t.Fatal(fuzzHTTP.err)
	}
	return fuzzHTTP.c
}

// fuzzSeeds are valid bodies of both versions in JSON, YAML and protobuf,
// and broken ones. The bool is whether the body is meant for v1alpha.
func fuzzSeeds(f *testing.F) []struct {
	v1alpha bool
	body    []byte
} {
	beta := validV1beta("seed-beta")
	beta.Annotations = map[string]string{"note": "x", "autobusi.group.cicd/requested-by": "someone"}
	beta.Spec.Resources = v1beta.JenkinsServiceResources{CPU: ptr.To(resource.MustParse("1500m")), Memory: ptr.To(resource.MustParse("4Gi"))}
	beta.Status = v1beta.JenkinsServiceStatus{
		ObservedGeneration: 3,
		Conditions: []metav1.Condition{{Type: "Approved", Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", Message: "ok",
			LastTransitionTime: metav1.NewTime(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))}},
		Instances: []v1beta.JenkinsServerInstance{{Name: "ci-0", CPU: resource.MustParse("1500m"), Running: true}},
	}
	zero := validV1beta("")
	zero.GenerateName = "seed-zero-"
	zero.Spec.Replicas = ptr.To[int32](0)
	alpha := validV1alpha("seed-alpha")
	alpha.Annotations = map[string]string{
		"autobusi.group.cicd/preserved-spec":   `{"cpu":"1500m","memory":"4Gi","image":"jenkins/jenkins:2.462.3-lts"}`,
		"autobusi.group.cicd/preserved-status": `{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z","reason":"R","message":"m"}]}`,
	}
	alpha.Status = v1alpha.JenkinsServiceStatus{ApprovalStatus: v1alpha.ApprovalApproved, Instances: []v1alpha.JenkinsServerInstance{{Cpu: 2, Running: true}}}

	var seeds []struct {
		v1alpha bool
		body    []byte
	}
	add := func(v1alpha bool, body []byte) {
		seeds = append(seeds, struct {
			v1alpha bool
			body    []byte
		}{v1alpha, body})
	}
	for _, obj := range []any{beta, zero, alpha} {
		_, isAlpha := obj.(*v1alpha.JenkinsService)
		j, err := json.Marshal(obj)
		if err != nil {
			f.Fatal(err)
		}
		y, err := yaml.Marshal(obj)
		if err != nil {
			f.Fatal(err)
		}
		add(isAlpha, j)
		add(isAlpha, y)
		add(!isAlpha, j) // the other version's URL
		add(isAlpha, j[:len(j)/2])
	}
	pb := protobufBody(f, beta)
	add(false, pb)
	add(false, pb[:len(pb)-7])
	add(true, protobufBody(f, alpha))
	add(false, protobufBody(f, zero))
	add(false, protobufEnvelope(f, "autobusi.group.cicd/v1beta", "JenkinsService", []byte{0x0a, 0x03, 'a', 'b'}))
	add(false, []byte("k8s\x00\x0a\x05\xff\xff\xff\xff\xff"))
	add(false, []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"x"},"spec":{"replicas":"many","resources":{"cpu":"1e100000"}}}`))
	add(true, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"y","annotations":{"autobusi.group.cicd/preserved-spec":"{not json"}},"spec":{"instanceamount":0}}`))
	add(true, []byte(`{"apiVersion":"autobusi.group.cicd/v1alpha","kind":"JenkinsService","metadata":{"name":"z","annotations":{"autobusi.group.cicd/preserved-spec":"{\"cpu\":\"-1\",\"memory\":\"1e9999\",\"replicas\":-4}"}}}`))
	add(false, []byte("a: &a [*a, *a]\nb: *a\n"))
	add(false, []byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	add(false, []byte{})
	return seeds
}

// fuzzTarget is where and how FuzzRequestBodies sends an input: a method, a
// path after the collection ("" for the collection itself, "/fuzz..." for
// the object fuzzObject and its subresources) and the content types to try.
type fuzzTarget struct {
	method, sub, query string
	contentTypes       []string
}

// fuzzObject is the object the PUT and PATCH targets write to; it is
// created again when an input removed it.
const fuzzObject = "fuzz"

// fuzzTargets: POST as every wire format, PUT to the object and every
// subresource, and every patch type to every subresource that patches.
var fuzzTargets = func() []fuzzTarget {
	wire := []string{contentJSON, contentYAML, contentProtobuf}
	targets := []fuzzTarget{{method: http.MethodPost, contentTypes: wire}}
	for _, sub := range []string{"", "/status", "/approval", "/scale"} {
		targets = append(targets, fuzzTarget{method: http.MethodPut, sub: "/" + fuzzObject + sub, contentTypes: wire})
	}
	for _, sub := range []string{"", "/status", "/scale"} {
		for _, pt := range []string{mergePatch, jsonPatchType, strategicPatch} {
			targets = append(targets, fuzzTarget{method: http.MethodPatch, sub: "/" + fuzzObject + sub, contentTypes: []string{pt}})
		}
		targets = append(targets, fuzzTarget{method: http.MethodPatch, sub: "/" + fuzzObject + sub, query: "fieldManager=fuzz", contentTypes: []string{applyPatch}})
	}
	return targets
}()

// FuzzRequestBodies sends each input to the shared server's jenkinsservices
// (v1beta or v1alpha, with or without ?fieldValidation=Strict) on one of
// fuzzTargets, chosen by the input's target byte: POSTed to the collection
// as JSON, YAML (application/yaml) and protobuf, PUT to the object and its
// subresources, or as every patch type to the object, /status and /scale.
// It checks that every request gets an answer (no reset), none a 5xx, that
// a 4xx is a metav1.Status, that what was created can be deleted, that the
// server stays ready, and that its log has no "Observed a panic".
//
// `go test` runs it over the seed corpus (fuzzSeeds and the classes of issue
// 13 in testdata/fuzz/FuzzRequestBodies: every patch type on every
// subresource, deep nesting, resourceVersion strings, oversize objects). To
// fuzz, bounded in time:
//
//	go test -run '^$' -fuzz FuzzRequestBodies -fuzztime 60s ./test/integration/
//
// The fuzz engine runs the inputs in worker processes, which are the test
// binary again and run TestMain again: they use the shared server of the
// coordinating process, found through the environment (see TestMain).
func FuzzRequestBodies(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.v1alpha, false, uint8(0), s.body)
		f.Add(s.v1alpha, true, uint8(0), s.body)
	}
	// An object too large for etcd (1.7 MB of labels), to every target.
	big := []byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"fuzz","labels":{"team":"a"` +
		oversizeLabels(24000) + `}}}`)
	for i := range fuzzTargets {
		f.Add(false, false, uint8(i), big)
	}
	f.Fuzz(func(t *testing.T, alpha, strict bool, target uint8, body []byte) {
		r := fuzzClient(t)
		version := "v1beta"
		if alpha {
			version = "v1alpha"
		}
		tg := fuzzTargets[int(target)%len(fuzzTargets)]
		coll := collection(version, fuzzNamespace)
		if tg.sub != "" {
			ensureFuzzObject(t, r)
		}
		var query []string
		if tg.query != "" {
			query = append(query, tg.query)
		}
		if strict {
			query = append(query, "fieldValidation=Strict")
		}
		path := coll + tg.sub
		if len(query) > 0 {
			path += "?" + strings.Join(query, "&")
		}
		for _, contentType := range tg.contentTypes {
			resp := r.do(t, tg.method, path, contentType, body)
			t.Logf("%s %s as %s: %d %s", tg.method, path, contentType, resp.code, resp.message())
			switch {
			case resp.code >= 500:
				t.Errorf("%s %s as %s: %v\nbody %.2000q", tg.method, path, contentType, resp, body)
			case resp.code == http.StatusCreated && tg.method == http.MethodPost:
				var created metav1.PartialObjectMetadata
				if err := json.Unmarshal(resp.body, &created); err != nil || created.Name == "" || created.Namespace != fuzzNamespace ||
					created.APIVersion != "autobusi.group.cicd/"+version || created.Kind != "JenkinsService" {
					t.Errorf("POST %s as %s: 201 with %v (%v)", path, contentType, resp, err)
					continue
				}
				if created.Name == fuzzObject {
					continue // the object the other targets write to
				}
				if del := r.do(t, http.MethodDelete, coll+"/"+created.Name, "", nil); del.code != http.StatusOK {
					t.Errorf("deleting %s: %v", created.Name, del)
				}
			case resp.code == http.StatusOK || resp.code == http.StatusCreated:
				// An update or patch the server accepted.
			case resp.code >= 400:
				var status metav1.Status
				if err := json.Unmarshal(resp.body, &status); err != nil || status.Kind != "Status" || int(status.Code) != resp.code {
					t.Errorf("%s %s as %s: %d without a Status (%v): %v", tg.method, path, contentType, resp.code, err, resp)
				}
			default:
				t.Errorf("%s %s as %s: unexpected %v", tg.method, path, contentType, resp)
			}
		}
		if resp := r.do(t, http.MethodGet, "/readyz", "", nil); resp.code != http.StatusOK {
			t.Fatalf("/readyz after %.2000q: %v", body, resp)
		}
		if out := shared.Output(); strings.Contains(out, "Observed a panic") {
			t.Fatalf("the server panicked (after %.2000q):\n%s", body, out[max(0, strings.Index(out, "Observed a panic")-200):])
		}
	})
}

// ensureFuzzObject creates fuzzObject when it is not there.
func ensureFuzzObject(t *testing.T, r *rawClient) {
	t.Helper()
	coll := collection("v1beta", fuzzNamespace)
	if resp := r.do(t, http.MethodGet, coll+"/"+fuzzObject, "", nil); resp.code == http.StatusOK {
		return
	}
	resp := r.do(t, http.MethodPost, coll, contentJSON,
		[]byte(`{"apiVersion":"autobusi.group.cicd/v1beta","kind":"JenkinsService","metadata":{"name":"`+fuzzObject+`"},"spec":{"replicas":1}}`))
	if resp.code != http.StatusCreated && resp.code != http.StatusConflict {
		t.Fatalf("creating %s: %v", fuzzObject, resp)
	}
}

// oversizeLabels is n more labels of 60-byte values, about 70 bytes each,
// each with its leading comma.
func oversizeLabels(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `,"k%d":"%s"`, i, strings.Repeat("v", 60))
	}
	return b.String()
}
