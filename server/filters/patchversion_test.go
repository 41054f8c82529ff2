package filters

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestCheckPatchAPIVersion(t *testing.T) {
	const (
		merge     = "application/merge-patch+json"
		jsonPatch = "application/json-patch+json"
		strategic = "application/strategic-merge-patch+json"
	)
	cases := []struct {
		name, version, subresource, contentType, body string
		code                                          int
	}{
		{"merge, the other version", "v1beta", "", merge, `{"apiVersion":"autobusi.group.cicd/v1alpha"}`, 400},
		{"merge, a parameter in the media type", "v1beta", "", merge + ";x", `{"apiVersion":"autobusi.group.cicd/v1alpha"}`, 400},
		{"merge, the URL's version", "v1beta", "", merge, `{"apiVersion":"autobusi.group.cicd/v1beta","spec":{}}`, 200},
		{"merge, no apiVersion", "v1alpha", "", merge, `{"spec":{}}`, 200},
		{"merge, apiVersion null (the handler's 400)", "v1alpha", "", merge, `{"apiVersion":null}`, 200},
		{"strategic, the other version", "v1alpha", "status", strategic, `{"apiVersion":"autobusi.group.cicd/v1beta"}`, 400},
		{"json, replace", "v1beta", "", jsonPatch, `[{"op":"replace","path":"/apiVersion","value":"autobusi.group.cicd/v1alpha"}]`, 400},
		{"json, replace with the URL's", "v1beta", "", jsonPatch, `[{"op":"replace","path":"/apiVersion","value":"autobusi.group.cicd/v1beta"}]`, 200},
		{"json, copy onto apiVersion", "v1beta", "", jsonPatch, `[{"op":"copy","from":"/kind","path":"/apiVersion"}]`, 400},
		{"json, replace the root", "v1beta", "", jsonPatch, `[{"op":"replace","path":"","value":{"apiVersion":"autobusi.group.cicd/v1alpha"}}]`, 400},
		{"json, test", "v1beta", "", jsonPatch, `[{"op":"test","path":"/apiVersion","value":"autobusi.group.cicd/v1alpha"}]`, 200},
		{"scale, autoscaling/v1", "v1beta", "scale", merge, `{"apiVersion":"autoscaling/v1","spec":{"replicas":1}}`, 200},
		{"scale, the group's version", "v1beta", "scale", merge, `{"apiVersion":"autobusi.group.cicd/v1beta"}`, 400},
		{"apply (refused elsewhere)", "v1beta", "", "application/apply-patch+yaml", `{"apiVersion":"autobusi.group.cicd/v1alpha"}`, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := WithRequestBounds(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), Limits{}, testCodecs())
			req := httptest.NewRequest(http.MethodPatch, "/x", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.contentType)
			req = req.WithContext(genericapirequest.WithRequestInfo(req.Context(), &genericapirequest.RequestInfo{
				IsResourceRequest: true, Verb: "patch", APIGroup: "autobusi.group.cicd", APIVersion: c.version, Resource: "jenkinsservices", Subresource: c.subresource,
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.code, rec.Body)
			}
			if c.code == 400 && !strings.Contains(statusMessage(t, rec.Body.String()), "does not match the expected API version") {
				t.Errorf("message: %s", rec.Body)
			}
		})
	}
}
