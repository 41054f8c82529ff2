package integration

import (
	"encoding/json"
	"net/http"
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

// FuzzRequestBodies POSTs each input to the shared server's jenkinsservices
// (v1beta or v1alpha, with or without ?fieldValidation=Strict) as JSON, YAML
// (application/yaml) and protobuf, and checks that no answer is a 5xx, that
// a 4xx is a metav1.Status, that what was created can be deleted, and that
// the server stays ready.
//
// `go test` runs it over the seed corpus (fuzzSeeds and any
// testdata/fuzz/FuzzRequestBodies files). To fuzz, bounded in time:
//
//	go test -run '^$' -fuzz FuzzRequestBodies -fuzztime 60s ./test/integration/
//
// The fuzz engine runs the inputs in worker processes, which are the test
// binary again and run TestMain again: they use the shared server of the
// coordinating process, found through the environment (see TestMain).
func FuzzRequestBodies(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.v1alpha, false, s.body)
		f.Add(s.v1alpha, true, s.body)
	}
	f.Fuzz(func(t *testing.T, alpha, strict bool, body []byte) {
		r := fuzzClient(t)
		version := "v1beta"
		if alpha {
			version = "v1alpha"
		}
		path := collection(version, fuzzNamespace)
		query := ""
		if strict {
			query = "?fieldValidation=Strict"
		}
		for _, contentType := range []string{contentJSON, contentYAML, contentProtobuf} {
			resp := r.do(t, http.MethodPost, path+query, contentType, body)
			t.Logf("POST %s as %s: %d %s", path+query, contentType, resp.code, resp.message())
			switch {
			case resp.code >= 500:
				t.Errorf("POST %s as %s: %v\nbody %q", path+query, contentType, resp, body)
			case resp.code == http.StatusCreated:
				var created metav1.PartialObjectMetadata
				if err := json.Unmarshal(resp.body, &created); err != nil || created.Name == "" || created.Namespace != fuzzNamespace ||
					created.APIVersion != "autobusi.group.cicd/"+version || created.Kind != "JenkinsService" {
					t.Errorf("POST %s as %s: 201 with %v (%v)", path, contentType, resp, err)
					continue
				}
				if del := r.do(t, http.MethodDelete, path+"/"+created.Name, "", nil); del.code != http.StatusOK {
					t.Errorf("deleting %s: %v", created.Name, del)
				}
			case resp.code >= 400:
				var status metav1.Status
				if err := json.Unmarshal(resp.body, &status); err != nil || status.Kind != "Status" || int(status.Code) != resp.code {
					t.Errorf("POST %s as %s: %d without a Status (%v): %v", path, contentType, resp.code, err, resp)
				}
			default:
				t.Errorf("POST %s as %s: unexpected %v", path, contentType, resp)
			}
		}
		if resp := r.do(t, http.MethodGet, "/readyz", "", nil); resp.code != http.StatusOK {
			t.Fatalf("/readyz after %q: %v", body, resp)
		}
	})
}
