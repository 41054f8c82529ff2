package filters

import (
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversionscheme "k8s.io/apimachinery/pkg/apis/meta/internalversion/scheme"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/negotiation"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// The answer to a write that asks for it as a Table or as partial object
// metadata (Accept: ...;as=Table;g=meta.k8s.io;v=v1) is converted after the
// write is stored, and the generic server finds only then that it cannot
// convert it: an ?includeObject= that is no policy (400), a
// PartialObjectMetadataList of one object or a PartialObjectMetadata of a
// deleted collection (406). The client is told its request failed, and the
// write is done. checkTransform gives those answers before the write.

// checkTransform refuses a write whose answer cannot be converted as the
// Accept header asks.
func checkTransform(r *http.Request, s runtime.NegotiatedSerializer) error {
	if !strings.Contains(r.Header.Get("Accept"), "as") {
		return nil // no media type parameter "as": no conversion asked for
	}
	info, ok := genericapirequest.RequestInfoFrom(r.Context())
	if !ok || !info.IsResourceRequest {
		return nil
	}
	var oneObject bool
	switch info.Verb {
	case "create", "update", "patch", "delete":
		oneObject = true
	case "deletecollection":
	default:
		return nil // reads fail before they read anything
	}
	// The approval subresource prints no tables: the handler refuses a
	// Table before it writes.
	mediaType, _, err := negotiation.NegotiateOutputMediaType(r, s, transformRestrictions{tables: info.Subresource != "approval"})
	if err != nil || mediaType.Convert == nil || !isMetaGroupVersion(mediaType.Convert.GroupVersion()) {
		return nil // no conversion, or the handler's 406 before it writes
	}
	switch mediaType.Convert.Kind {
	case "Table":
		opts := &metav1.TableOptions{}
		if err := metainternalversionscheme.ParameterCodec.DecodeParameters(r.URL.Query(), metav1.SchemeGroupVersion, opts); err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("Unable to convert to Table as requested: %v", err))
		}
		if errs := metav1validation.ValidateTableOptions(opts); len(errs) > 0 {
			return apierrors.NewBadRequest(fmt.Sprintf("Unable to convert to Table as requested: %v", errs.ToAggregate()))
		}
	case "PartialObjectMetadataList":
		if oneObject {
			return notAcceptable(fmt.Sprintf("you requested PartialObjectMetadataList, but a %s answers with one object", info.Verb))
		}
	case "PartialObjectMetadata":
		if !oneObject {
			return notAcceptable("you requested PartialObjectMetadata, but a deletecollection answers with a list")
		}
	}
	return nil
}

func isMetaGroupVersion(gv schema.GroupVersion) bool {
	return gv.Group == metav1.GroupName && (gv.Version == "v1" || gv.Version == "v1beta1")
}

func notAcceptable(msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: msg,
	}}
}

// transformRestrictions are what the handlers of jenkinsservices allow, as
// the generic server's request scope says them: tables in JSON and YAML where
// the endpoint prints them, partial object metadata in any format.
type transformRestrictions struct {
	tables bool
}

func (t transformRestrictions) AllowsMediaTypeTransform(mimeType, mimeSubType string, gvk *schema.GroupVersionKind) bool {
	if gvk == nil {
		return true
	}
	if !isMetaGroupVersion(gvk.GroupVersion()) {
		return false
	}
	switch gvk.Kind {
	case "Table":
		return t.tables && mimeType == "application" && (mimeSubType == "json" || mimeSubType == "yaml")
	case "PartialObjectMetadata", "PartialObjectMetadataList":
		return true
	}
	return false
}

func (transformRestrictions) AllowsServerVersion(version string) bool {
	return version == metav1.SchemeGroupVersion.Version
}

func (transformRestrictions) AllowsStreamSchema(s string) bool { return s == "watch" }
