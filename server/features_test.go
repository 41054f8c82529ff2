package server

import (
	"testing"

	genericfeatures "k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

// The README's way out of an undecodable stored object, the unsafe delete,
// needs AllowUnsafeMalformedObjectDeletion (Beta, on by default in 1.37): it
// must stay on (docs/corrupt-objects.md).
func TestUnsafeMalformedObjectDeletionOn(t *testing.T) {
	if !utilfeature.DefaultFeatureGate.Enabled(genericfeatures.AllowUnsafeMalformedObjectDeletion) {
		t.Error("AllowUnsafeMalformedObjectDeletion is off")
	}
}
