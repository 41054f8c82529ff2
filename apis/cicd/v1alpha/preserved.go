package v1alpha

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// +k8s:openapi-gen=false
// +k8s:deepcopy-gen=false
// +protobuf=false
//
// preservedSpec is the part of a hub spec that v1alpha cannot show. Each field is
// set only when v1alpha's own fields lose it, so a service created through v1alpha
// carries no annotation at all.
type preservedSpec struct {
	// Replicas is set only for 0, which v1alpha cannot tell from unset.
	Replicas *int32 `json:"replicas,omitempty"`
	// CPU is set when it is not a whole number of cores.
	CPU *resource.Quantity `json:"cpu,omitempty"`
	// Memory and Image are set when they are not the defaults.
	Memory *resource.Quantity `json:"memory,omitempty"`
	Image  *string            `json:"image,omitempty"`
}

// +k8s:openapi-gen=false
// +k8s:deepcopy-gen=false
// +protobuf=false
//
// preservedStatus is the part of a hub status that v1alpha cannot show.
type preservedStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions are all conditions, whole, when there are any.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Instances is index-aligned with status.instances, set when any instance has a
	// name or a fractional CPU.
	Instances []preservedInstance `json:"instances,omitempty"`
}

// +k8s:openapi-gen=false
// +k8s:deepcopy-gen=false
// +protobuf=false
type preservedInstance struct {
	Name string             `json:"name,omitempty"`
	CPU  *resource.Quantity `json:"cpu,omitempty"`
}

func (p *preservedSpec) empty() bool {
	return p.Replicas == nil && p.CPU == nil && p.Memory == nil && p.Image == nil
}

func (p *preservedStatus) empty() bool {
	return p.ObservedGeneration == 0 && len(p.Conditions) == 0 && len(p.Instances) == 0
}

// decodePreserved reads one round-trip annotation into into. An absent annotation
// leaves into as it is; a malformed one is an error the client sees as 400.
func decodePreserved(annotations map[string]string, key string, into any) error {
	raw, ok := annotations[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		return fmt.Errorf("metadata.annotations[%s]: invalid value: this annotation carries v1beta data through v1alpha and must be left as the server wrote it: %v", key, err)
	}
	return nil
}

// preservedScaledToZero tells whether the annotations record replicas 0.
func preservedScaledToZero(annotations map[string]string) bool {
	var p preservedSpec
	if decodePreserved(annotations, cicd.AnnotationPreservedSpec, &p) != nil {
		return false
	}
	return p.Replicas != nil && *p.Replicas == 0
}

// withPreserved returns annotations plus the given round-trip annotations (an empty
// value removes the key). The argument is never modified.
func withPreserved(annotations map[string]string, values map[string]string) map[string]string {
	out := make(map[string]string, len(annotations)+len(values))
	for k, v := range annotations {
		if !cicd.IsPreservationAnnotation(k) {
			out[k] = v
		}
	}
	for k, v := range values {
		if v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func marshalPreserved(key string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding %s: %w", key, err)
	}
	return string(b), nil
}
