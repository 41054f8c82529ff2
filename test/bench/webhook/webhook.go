// Package webhook is the CRD conversion webhook of the benchmark: it converts
// JenkinsServices between v1alpha and v1beta for a CustomResourceDefinition
// with the rules of our API server, by running our own conversion functions
// (apis/cicd, through a scheme): every object goes version → hub → version,
// never version → version, exactly as in cicd-apiserver.
package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
)

// ConversionReview is apiextensions.k8s.io/v1 ConversionReview, the part of
// it a webhook reads and writes (the apiextensions module is not a
// dependency of this repository).
type ConversionReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *ConversionRequest  `json:"request,omitempty"`
	Response        *ConversionResponse `json:"response,omitempty"`
}

// ConversionRequest asks for objects in DesiredAPIVersion.
type ConversionRequest struct {
	UID               string            `json:"uid"`
	DesiredAPIVersion string            `json:"desiredAPIVersion"`
	Objects           []json.RawMessage `json:"objects"`
}

// ConversionResponse carries the converted objects, in request order.
type ConversionResponse struct {
	UID              string            `json:"uid"`
	ConvertedObjects []json.RawMessage `json:"convertedObjects"`
	Result           metav1.Status     `json:"result"`
}

// Converter converts JenkinsService JSON between the served versions.
type Converter struct {
	scheme *runtime.Scheme
	decode runtime.Decoder
	encode runtime.Encoder

	// Reviews and Objects count the ConversionReviews served and the
	// objects converted in them.
	Reviews, Objects atomic.Int64

	mu    sync.Mutex
	pairs map[string]int64 // "v1beta→v1alpha": objects converted
}

// NewConverter returns a converter with the cicd API group installed.
func NewConverter() *Converter {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return &Converter{
		scheme: scheme,
		// No defaulting, no conversion: the object as the API server sent it.
		decode: serializer.NewCodecFactory(scheme).UniversalDeserializer(),
		encode: kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{}),
	}
}

// Convert converts one JenkinsService (JSON, any served version) to desired
// through the hub.
func (c *Converter) Convert(raw []byte, desired schema.GroupVersion) ([]byte, error) {
	in, gvk, err := c.decode.Decode(raw, nil, nil)
	if err != nil {
		return nil, err
	}
	c.count(gvk.Version + "→" + desired.Version)
	if gvk.GroupVersion() == desired {
		return raw, nil
	}
	if gvk.Group != cicd.GroupName || gvk.Kind != "JenkinsService" {
		return nil, fmt.Errorf("cannot convert %v", gvk)
	}
	hub := &cicd.JenkinsService{}
	if err := c.scheme.Convert(in, hub, nil); err != nil {
		return nil, err
	}
	outGVK := desired.WithKind("JenkinsService")
	out, err := c.scheme.New(outGVK)
	if err != nil {
		return nil, err
	}
	if err := c.scheme.Convert(hub, out, nil); err != nil {
		return nil, err
	}
	out.GetObjectKind().SetGroupVersionKind(outGVK)
	return runtime.Encode(c.encode, out)
}

func (c *Converter) count(pair string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pairs == nil {
		c.pairs = map[string]int64{}
	}
	c.pairs[pair]++
}

// Pairs returns how many objects were converted from one version to another.
func (c *Converter) Pairs() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.pairs)
}

// Review answers one ConversionReview.
func (c *Converter) Review(req *ConversionRequest) *ConversionResponse {
	c.Reviews.Add(1)
	resp := &ConversionResponse{UID: req.UID, Result: metav1.Status{Status: metav1.StatusSuccess}}
	desired, err := schema.ParseGroupVersion(req.DesiredAPIVersion)
	if err != nil {
		return failed(resp, err)
	}
	resp.ConvertedObjects = make([]json.RawMessage, len(req.Objects))
	for i, raw := range req.Objects {
		if resp.ConvertedObjects[i], err = c.Convert(raw, desired); err != nil {
			return failed(resp, fmt.Errorf("object %d: %w", i, err))
		}
	}
	c.Objects.Add(int64(len(req.Objects)))
	return resp
}

func failed(resp *ConversionResponse, err error) *ConversionResponse {
	resp.ConvertedObjects = nil
	resp.Result = metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}
	return resp
}

// ServeHTTP serves POST /convert (a ConversionReview) and GET /stats (the
// counters as JSON: {"reviews":R,"objects":O,"pairs":{"v1beta→v1alpha":P,…}}).
func (c *Converter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"reviews": c.Reviews.Load(), "objects": c.Objects.Load(), "pairs": c.Pairs(),
		})
		return
	case r.Method != http.MethodPost:
		http.Error(w, "POST a ConversionReview", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review ConversionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, fmt.Sprintf("not a ConversionReview: %v", err), http.StatusBadRequest)
		return
	}
	out := ConversionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "ConversionReview"},
		Response: c.Review(review.Request),
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&out)
}
