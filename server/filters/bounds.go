// Package filters holds the HTTP filters that bound what one request may cost
// before the generic API server decodes, patches or converts it: the nesting
// depth of its body, the shape of its patch, the resourceVersion it asks for.
// Over a bound the client gets a 4xx that says what was exceeded.
package filters

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
)

// DefaultMaxDepth is the nesting a body may have. A JenkinsService with
// server-side apply's managedFields nests about ten levels; the cost of a
// merge patch grows with the square of the depth and hurts from the
// thousands (10 000 levels: 20 s of CPU and 1 GB).
const DefaultMaxDepth = 100

// Limits are the bounds a request is checked against.
type Limits struct {
	// MaxBodyBytes is the largest body read; it is the generic server's
	// MaxRequestBodyBytes, which refuses larger bodies anyway.
	MaxBodyBytes int64
	// MaxDepth is the deepest nesting of objects and lists in a body.
	MaxDepth int
}

// WithRequestBounds checks each request against limits before handler sees
// it, and gives handler a deadline a little before the request's (see
// withEarlierDeadline). Bodies of JSON and YAML media types (objects and every patch type) are
// read into memory, which the generic server does anyway, and scanned;
// protobuf bodies pass unread (their nesting is the schema's).
func WithRequestBounds(handler http.Handler, limits Limits, s runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r); err != nil {
			responsewriters.ErrorNegotiated(err, s, schema.GroupVersion{}, w, r)
			return
		}
		if err := checkTransform(r, s); err != nil {
			responsewriters.ErrorNegotiated(err, s, schema.GroupVersion{}, w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody && hasBody(r.Method) {
			if kind := bodyKind(r.Header.Get("Content-Type")); kind != otherBody {
				body, err := readBody(r, limits.MaxBodyBytes)
				if err == nil {
					err = checkBody(kind, body, limits)
				}
				if err == nil {
					err = checkPatchAPIVersion(r, body)
				}
				if err != nil {
					responsewriters.ErrorNegotiated(err, s, schema.GroupVersion{}, w, r)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		}
		r, cancel := withEarlierDeadline(r)
		defer cancel()
		handler.ServeHTTP(w, r)
	})
}

func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
}

type kindOfBody int

const (
	otherBody kindOfBody = iota
	jsonBody
	jsonPatchBody
	strategicPatchBody
	yamlBody
)

// bodyKind is how a body of the media type is scanned: as the handler that
// decodes it reads the type. The patch handler takes what precedes the first
// ';' whether or not the parameters parse, and create, update and delete
// decode a body without a type as JSON.
func bodyKind(contentType string) kindOfBody {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		base, _, _ := strings.Cut(contentType, ";")
		mediaType = strings.ToLower(strings.TrimSpace(base))
	}
	switch {
	case mediaType == "":
		return jsonBody
	case mediaType == "application/json-patch+json":
		return jsonPatchBody
	case mediaType == "application/strategic-merge-patch+json":
		return strategicPatchBody
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return jsonBody
	case mediaType == "application/yaml" || strings.HasSuffix(mediaType, "+yaml") || mediaType == "text/yaml":
		return yamlBody
	}
	return otherBody
}

// readBody reads at most limit bytes; more is 413, as the generic server
// answers it.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = 3 << 20
	}
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("the request body is larger than %d bytes", limit))
}

func checkBody(kind kindOfBody, body []byte, limits Limits) error {
	maxDepth := limits.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	var d *depthError
	if kind == yamlBody {
		d = yamlDepth(yamlText(body), maxDepth)
	} else {
		d = jsonDepth(body, maxDepth)
	}
	if d != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the request body nests deeper than the max depth of %d levels (at byte %d)", d.limit, d.offset))
	}
	switch kind {
	case jsonPatchBody:
		if msg, isTooLarge := checkJSONPatch(body); isTooLarge {
			return apierrors.NewRequestEntityTooLargeError(msg)
		} else if msg != "" {
			return apierrors.NewBadRequest(msg)
		}
	case strategicPatchBody:
		if msg, isTooLarge := checkStrategicMergePatch(body); isTooLarge {
			return apierrors.NewRequestEntityTooLargeError(msg)
		} else if msg != "" {
			return apierrors.NewBadRequest(msg)
		}
	}
	return nil
}

// checkQuery refuses a resourceVersion that is not one (the storage's
// versioner fails to parse it deep in the GET and watch paths, and the
// client got a 500), and under strict field validation a query parameter
// that a write does not have.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	q := r.URL.Query()
	if err := checkStrictQuery(r.Method, q); err != nil {
		return err
	}
	if err := checkSelectors(q); err != nil {
		return err
	}
	for _, rv := range q["resourceVersion"] {
		if rv == "" {
			continue
		}
		if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("resourceVersion: Invalid value: %q: must be a non-negative integer", rv))
		}
	}
	return nil
}

// writeParameters are the query parameters of a create, update or patch
// (metav1.CreateOptions, UpdateOptions, PatchOptions, and the request's
// timeout and pretty printing).
var writeParameters = map[string]bool{
	"dryRun": true, "fieldManager": true, "fieldValidation": true, "force": true, "pretty": true, "timeout": true,
}

// checkStrictQuery: with ?fieldValidation=Strict a write refuses unknown
// fields in its body, and the generic server ignores unknown query
// parameters; strict means both.
func checkStrictQuery(method string, q url.Values) error {
	if method != http.MethodPost && method != http.MethodPut && method != http.MethodPatch {
		return nil
	}
	strict := false
	for _, v := range q["fieldValidation"] {
		strict = strict || v == "Strict"
	}
	if !strict {
		return nil
	}
	var unknown []string
	for k := range q {
		if !writeParameters[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return apierrors.NewBadRequest(fmt.Sprintf("unknown query parameters %q (fieldValidation=Strict)", unknown))
}
