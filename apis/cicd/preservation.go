package cicd

// Annotations that carry, through v1alpha, what v1alpha cannot hold (as the built-in
// autoscaling/v1 HorizontalPodAutoscaler carries autoscaling/v2 fields). v1alpha
// conversions write them on the way out and consume them on the way in; they are
// never stored and never shown through v1beta.
const (
	AnnotationPreservedSpec   = AnnotationPrefix + "preserved-spec"
	AnnotationPreservedStatus = AnnotationPrefix + "preserved-status"
)

// IsPreservationAnnotation tells whether key is one of the round-trip annotations.
func IsPreservationAnnotation(key string) bool {
	return key == AnnotationPreservedSpec || key == AnnotationPreservedStatus
}

// WithoutPreservationAnnotations returns annotations without the round-trip
// annotations. It never modifies its argument: when there is something to drop it
// returns a copy (nil when nothing else is left), otherwise the argument itself.
func WithoutPreservationAnnotations(annotations map[string]string) map[string]string {
	_, spec := annotations[AnnotationPreservedSpec]
	_, status := annotations[AnnotationPreservedStatus]
	if !spec && !status {
		return annotations
	}
	if len(annotations) == btoi(spec)+btoi(status) {
		return nil
	}
	out := make(map[string]string, len(annotations))
	for k, v := range annotations {
		if !IsPreservationAnnotation(k) {
			out[k] = v
		}
	}
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
