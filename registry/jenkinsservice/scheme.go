package jenkinsservice

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	scalescheme "k8s.io/client-go/scale/scheme"
	scaleautoscalingv1 "k8s.io/client-go/scale/scheme/autoscalingv1"
)

// AddToScheme registers what the scale subresource serves and decodes: the
// internal Scale of k8s.io/client-go/scale/scheme (group autoscaling, version
// __internal) and autoscaling/v1 with the conversions between its Scale and that
// internal Scale. The server's scheme, the one its codecs are built on, needs
// them; NewStorage adds them when they are missing. Calling it again is harmless.
func AddToScheme(scheme *runtime.Scheme) error {
	if err := scalescheme.AddToScheme(scheme); err != nil {
		return err
	}
	return scaleautoscalingv1.AddToScheme(scheme)
}

// hasScaleTypes tells whether scheme already holds the internal Scale,
// autoscaling/v1 Scale and a conversion between them.
func hasScaleTypes(scheme *runtime.Scheme) bool {
	if !scheme.Recognizes(scalescheme.SchemeGroupVersion.WithKind("Scale")) ||
		!scheme.Recognizes(autoscalingv1.SchemeGroupVersion.WithKind("Scale")) {
		return false
	}
	return scheme.Convert(&autoscalingv1.Scale{}, &scalescheme.Scale{}, nil) == nil
}
