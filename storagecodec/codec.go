package storagecodec

import (
	"bytes"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// Encodings a stored value can be in, as the metric labels them.
const (
	EncodingProtobuf = "protobuf"
	EncodingJSON     = "json"
	EncodingYAML     = "yaml"
)

// protobufPrefix starts every value the protobuf serializer writes.
var protobufPrefix = []byte("k8s\x00")

// codec decodes with the wrapped storage codec, then counts and repairs values
// not in the current form. Encoding is the wrapped codec's alone.
type codec struct {
	runtime.Codec
	current  schema.GroupVersion
	encoding string
}

// Wrap returns codec with legacy-form accounting: current is the storage
// version and encoding the storage encoding (EncodingProtobuf, ...). Values in
// any other version or encoding are counted in cicd_storage_decodes_total and
// repaired by Normalize after decoding.
func Wrap(c runtime.Codec, current schema.GroupVersion, encoding string) runtime.Codec {
	return &codec{Codec: c, current: current, encoding: encoding}
}

// Decode decodes data with the wrapped codec. The GroupVersionKind it returns
// is the stored one, before conversion to the in-memory version.
func (c *codec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.decode(data, defaults, into)
	if err != nil {
		obj, gvk, err = c.decodeRepaired(data, defaults, into, obj, gvk, err)
	}
	if err != nil || gvk == nil {
		return obj, gvk, err
	}
	encoding := EncodingOf(data)
	if gvk.GroupVersion() == c.current && encoding == c.encoding {
		return obj, gvk, nil
	}
	decodes.WithLabelValues(gvk.Version, encoding).Inc()
	Normalize(obj)
	return obj, gvk, nil
}

// decode is the wrapped codec's Decode, which refuses a stored approvalstatus
// that is none of the approval words: v1alpha's conversion passes it on for
// validation to refuse a request, but stored it makes the object corrupt.
func (c *codec) decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.Codec.Decode(data, defaults, into)
	if err != nil || gvk == nil || gvk.GroupVersion() != v1alpha.SchemeGroupVersion {
		return obj, gvk, err
	}
	if js, ok := obj.(*cicd.JenkinsService); ok {
		if err := v1alpha.UnsupportedApproval(js.Status.Conditions); err != nil {
			return nil, gvk, err
		}
	}
	return obj, gvk, nil
}

// decodeRepaired decodes the original server's value data again once
// repairLegacyJSON has spelled its approvalstatus as this API reads it; it
// returns the first decoding's results when there is nothing to repair or the
// repaired value fails too.
func (c *codec) decodeRepaired(data []byte, defaults *schema.GroupVersionKind, into runtime.Object,
	obj runtime.Object, gvk *schema.GroupVersionKind, err error) (runtime.Object, *schema.GroupVersionKind, error) {
	repaired, ok := repairLegacyJSON(data)
	if !ok {
		return obj, gvk, err
	}
	if js, ok := into.(*cicd.JenkinsService); ok {
		*js = cicd.JenkinsService{} // the failed decoding may have filled part of it
	}
	if robj, rgvk, rerr := c.decode(repaired, defaults, into); rerr == nil {
		return robj, rgvk, nil
	}
	return obj, gvk, err
}

// Encode is the wrapped codec's.
func (c *codec) Encode(obj runtime.Object, w io.Writer) error { return c.Codec.Encode(obj, w) }

// Identifier is the wrapped codec's: this one encodes alike.
func (c *codec) Identifier() runtime.Identifier { return c.Codec.Identifier() }

// EncodingOf tells the encoding of a stored value from its first bytes.
func EncodingOf(data []byte) string {
	switch trimmed := bytes.TrimLeft(data, " \t\r\n"); {
	case bytes.HasPrefix(data, protobufPrefix):
		return EncodingProtobuf
	case len(trimmed) > 0 && trimmed[0] == '{':
		return EncodingJSON
	default:
		return EncodingYAML
	}
}

// Normalize makes a JenkinsService decoded from a legacy form valid in the
// current version. The original server's approvalstatus becomes an Approved
// condition without a transition time; its time is the object's creation, the
// last moment known to be no later than the decision, so that a read-modify-
// write of the object passes the condition validation. An object stored
// without a creation time (the serializer writes it as null) gets the Unix
// epoch, which is no later than anything. A selfLink the original server
// stored is dropped: Kubernetes no longer sets it, and a write would drop it.
// Other objects are left as they are.
func Normalize(obj runtime.Object) {
	js, ok := obj.(*cicd.JenkinsService)
	if !ok {
		return
	}
	js.SetSelfLink("")
	decided := js.CreationTimestamp
	if decided.IsZero() {
		decided = metav1.NewTime(time.Unix(0, 0).UTC())
	}
	for i := range js.Status.Conditions {
		if c := &js.Status.Conditions[i]; c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = decided
		}
	}
}

// EncodingOfMediaType is the encoding label of a storage media type.
func EncodingOfMediaType(mediaType string) string {
	switch mediaType {
	case runtime.ContentTypeProtobuf:
		return EncodingProtobuf
	case runtime.ContentTypeYAML:
		return EncodingYAML
	default:
		return EncodingJSON
	}
}
