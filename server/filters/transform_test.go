package filters

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestCheckTransform(t *testing.T) {
	const (
		table       = "application/json;as=Table;v=v1;g=meta.k8s.io"
		partial     = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
		partialList = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
	)
	cases := []struct {
		name, method, target, verb, subresource, accept string
		noInfo                                          bool
		code                                            int
		contains                                        string
	}{
		{name: "create, Table, includeObject bogus", method: "POST", target: "/x?includeObject=bogus", verb: "create", accept: table, code: 400, contains: "includeObject"},
		{name: "update, Table, includeObject bogus", method: "PUT", target: "/x?includeObject=bogus", verb: "update", accept: table, code: 400, contains: "Unable to convert to Table"},
		{name: "delete, Table, includeObject bogus", method: "DELETE", target: "/x?includeObject=bogus", verb: "delete", accept: table, code: 400},
		{name: "patch, Table, includeObject Object", method: "PATCH", target: "/x?includeObject=Object", verb: "patch", accept: table, code: 200},
		{name: "patch, Table in YAML, includeObject bogus", method: "PATCH", target: "/x?includeObject=bogus", verb: "patch", accept: "application/yaml;as=Table;v=v1;g=meta.k8s.io", code: 400},
		{name: "patch, Table among others", method: "PATCH", target: "/x?includeObject=bogus", verb: "patch", accept: table + ", application/json", code: 400},
		{name: "patch, JSON first", method: "PATCH", target: "/x?includeObject=bogus", verb: "patch", accept: "application/json, " + table, code: 200},
		{name: "approval, Table (the handler's 406)", method: "PUT", target: "/x?includeObject=bogus", verb: "update", subresource: "approval", accept: table, code: 200},
		{name: "list, Table, includeObject bogus (the handler's 400)", method: "GET", target: "/x?includeObject=bogus", verb: "list", accept: table, code: 200},
		{name: "create, PartialObjectMetadataList", method: "POST", target: "/x", verb: "create", accept: partialList, code: 406, contains: "PartialObjectMetadataList"},
		{name: "delete, PartialObjectMetadataList", method: "DELETE", target: "/x", verb: "delete", accept: partialList, code: 406},
		{name: "deletecollection, PartialObjectMetadataList", method: "DELETE", target: "/x", verb: "deletecollection", accept: partialList, code: 200},
		{name: "deletecollection, PartialObjectMetadata", method: "DELETE", target: "/x", verb: "deletecollection", accept: partial, code: 406, contains: "PartialObjectMetadata"},
		{name: "patch, PartialObjectMetadata", method: "PATCH", target: "/x", verb: "patch", accept: partial, code: 200},
		{name: "create, Table, blanks around the parameter", method: "POST", target: "/x?includeObject=bogus", verb: "create", accept: "application/json; as = Table; v=v1; g=meta.k8s.io", code: 400},
		{name: "no request info", method: "POST", target: "/x?includeObject=bogus", noInfo: true, accept: table, code: 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := WithRequestBounds(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), Limits{}, testCodecs())
			req := httptest.NewRequest(c.method, c.target, strings.NewReader(""))
			req.Header.Set("Accept", c.accept)
			if !c.noInfo {
				req = req.WithContext(genericapirequest.WithRequestInfo(req.Context(), &genericapirequest.RequestInfo{
					IsResourceRequest: true, Verb: c.verb, Subresource: c.subresource, APIGroup: "autobusi.group.cicd", Resource: "jenkinsservices",
				}))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.code, rec.Body)
			}
			if c.code != 200 {
				if msg := statusMessage(t, rec.Body.String()); !strings.Contains(msg, c.contains) {
					t.Errorf("message %q does not say %q", msg, c.contains)
				}
			}
		})
	}
}

// The media type is read as the handlers read it: the patch handler takes
// what precedes the first ';', create and update decode a body without a
// type as JSON.
func TestBodyKindAsTheHandlersRead(t *testing.T) {
	for _, c := range []struct {
		contentType string
		want        kindOfBody
	}{
		{"application/merge-patch+json", jsonBody},
		{"application/merge-patch+json;x", jsonBody},
		{"application/merge-patch+json; a=1; a=2", jsonBody},
		{"application/json-patch+json;=", jsonPatchBody},
		{"application/strategic-merge-patch+json; charset", strategicPatchBody},
		{"application/apply-patch+yaml;x", yamlBody},
		{"", jsonBody},
		{"application/vnd.kubernetes.protobuf", otherBody},
		{"application/vnd.kubernetes.protobuf;x", otherBody},
		{"text/plain", otherBody},
	} {
		if got := bodyKind(c.contentType); got != c.want {
			t.Errorf("bodyKind(%q) = %v, want %v", c.contentType, got, c.want)
		}
	}
}
