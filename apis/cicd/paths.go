package cicd

// Field paths of the hub, which are the v1beta JSON paths. Validation reports
// errors at them; a version that names a field differently maps them to its own.
const (
	PathReplicas           = "spec.replicas"
	PathResources          = "spec.resources"
	PathCPU                = "spec.resources.cpu"
	PathImage              = "spec.image"
	PathObservedGeneration = "status.observedGeneration"
	PathConditions         = "status.conditions"
	PathInstances          = "status.instances"
)
