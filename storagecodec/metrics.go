package storagecodec

import (
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// decodes counts the values decoded from a storage form other than the current
// one, by the stored version and encoding. It stops growing once every object
// has been rewritten (a migration, or an update of each).
var decodes = metrics.NewCounterVec(&metrics.CounterOpts{
	Namespace:      "cicd",
	Subsystem:      "storage",
	Name:           "decodes_total",
	Help:           "JenkinsServices decoded from a storage form other than the current one (version and encoding), by stored version and encoding.",
	StabilityLevel: metrics.ALPHA,
}, []string{"stored_version", "encoding"})

func init() {
	legacyregistry.MustRegister(decodes)
}
