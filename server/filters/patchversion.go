package filters

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// A merge, strategic or JSON patch that sets apiVersion to the group's other
// version makes the patch handler decode the patched object as that version:
// {"apiVersion":"autobusi.group.cicd/v1alpha"} sent to v1beta read replicas,
// resources and image as unknown v1alpha fields and stored the defaults in
// their place (200). A create or update with a body of another version is a
// 400; so is such a patch. (A server-side apply is refused already.)

// patchTypes are the media types the patch handler takes for merge,
// strategic and JSON patches.
var patchTypes = map[string]bool{
	"application/merge-patch+json":           true,
	"application/strategic-merge-patch+json": true,
	"application/json-patch+json":            true,
}

// checkPatchAPIVersion refuses a patch whose apiVersion is not the version
// of the URL (autoscaling/v1 for the scale subresource).
func checkPatchAPIVersion(r *http.Request, body []byte) error {
	if r.Method != http.MethodPatch {
		return nil
	}
	patchType, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";") // as the patch handler reads it
	info, ok := genericapirequest.RequestInfoFrom(r.Context())
	if !patchTypes[patchType] || !ok || !info.IsResourceRequest || info.APIGroup == "" {
		return nil
	}
	want := info.APIGroup + "/" + info.APIVersion
	if info.Subresource == "scale" {
		want = "autoscaling/v1"
	}
	got, ok := patchedAPIVersion(patchType, body)
	if !ok || got == want {
		return nil
	}
	return apierrors.NewBadRequest(fmt.Sprintf("the API version in the patch (%s) does not match the expected API version (%s)", got, want))
}

// patchedAPIVersion is the apiVersion the patch sets, when it sets one that
// is not known to be the one already there ("" from a JSON patch's move or
// copy).
func patchedAPIVersion(patchType string, body []byte) (string, bool) {
	if patchType != "application/json-patch+json" {
		var top struct {
			APIVersion *string `json:"apiVersion"`
		}
		if json.Unmarshal(body, &top) != nil || top.APIVersion == nil {
			return "", false // not an object (the handler says so), or no apiVersion
		}
		return *top.APIVersion, true
	}
	var ops []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(body, &ops) != nil {
		return "", false
	}
	for _, op := range ops {
		switch {
		case op.Op != "add" && op.Op != "replace" && op.Op != "move" && op.Op != "copy":
		case op.Path == "/apiVersion" && (op.Op == "move" || op.Op == "copy"):
			return "", true
		case op.Path == "/apiVersion":
			var v string
			if json.Unmarshal(op.Value, &v) == nil {
				return v, true
			}
		case op.Path == "" && op.Op != "move" && op.Op != "copy":
			if v, ok := patchedAPIVersion("application/merge-patch+json", op.Value); ok {
				return v, true
			}
		}
	}
	return "", false
}
