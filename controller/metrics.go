package controller

import (
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	// The workqueue, REST client and leader election metrics, into the same
	// registry; imported here so that the providers are set before a queue exists.
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
)

// The controller's own metrics, next to the workqueue's
// (workqueue_depth{name="jenkinsservice"}, ..._work_duration_seconds, ...).
var (
	syncs = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "cicd_controller",
		Name:           "reconciles_total",
		Help:           "Reconciliations of a JenkinsService, by result (success, error).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})
	syncDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem:      "cicd_controller",
		Name:           "reconcile_duration_seconds",
		Help:           "How long a reconciliation of a JenkinsService took, by result.",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 15),
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})
	writes = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem:      "cicd_controller",
		Name:           "writes_total",
		Help:           "Writes the controller made, by kind (StatefulSet, Service, JenkinsService) and verb (apply, delete, updateStatus).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"kind", "verb"})
)

var registerOnce sync.Once

// RegisterMetrics registers the controller's metrics in the legacy registry,
// which /metrics serves.
func RegisterMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(syncs, syncDuration, writes)
	})
}

func observeSync(d time.Duration, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	syncs.WithLabelValues(result).Inc()
	syncDuration.WithLabelValues(result).Observe(d.Seconds())
}

func countWrite(kind, verb string) { writes.WithLabelValues(kind, verb).Inc() }
