package jenkinsservice

import (
	"testing"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

var (
	approvedKey = fieldpath.KeyByFields("type", cicd.ConditionApproved)
	readyKey    = fieldpath.KeyByFields("type", cicd.ConditionReady)
)

// everything is a set as a v1beta (or v1alpha) writer of the whole object owns.
func everything(version fieldpath.APIVersion) *fieldpath.Set {
	common := []fieldpath.Path{
		fieldpath.MakePathOrDie("metadata", "labels", "team"),
		fieldpath.MakePathOrDie("metadata", "annotations", "note"),
		fieldpath.MakePathOrDie("spec", "image"),
		fieldpath.MakePathOrDie("status", "instances"),
	}
	if version == v1alphaVersion {
		return fieldpath.NewSet(append(common,
			fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedSpec),
			fieldpath.MakePathOrDie("metadata", "annotations", cicd.AnnotationPreservedStatus),
			fieldpath.MakePathOrDie("spec", "instanceamount"),
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)...)
	}
	return fieldpath.NewSet(append(common,
		fieldpath.MakePathOrDie("spec", "replicas"),
		fieldpath.MakePathOrDie("status", "observedGeneration"),
		fieldpath.MakePathOrDie("status", "conditions", approvedKey),
		fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
		fieldpath.MakePathOrDie("status", "conditions", readyKey),
		fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
	)...)
}

// kept is what a write through an endpoint records as owned: the paths of a full
// write minus the reset fields.
func TestResetFields(t *testing.T) {
	_, status, approval := testStrategies()
	main, _, _ := testStrategies()
	filters := map[string]map[fieldpath.APIVersion]fieldpath.Filter{
		"main":           fieldpath.NewExcludeFilterSetMap(main.GetResetFields()),
		"status":         fieldpath.NewExcludeFilterSetMap(status.GetResetFields()),
		"approval":       approval.GetResetFieldsFilter(),
		"approval (set)": fieldpath.NewExcludeFilterSetMap(approval.GetResetFields()),
	}
	tests := []struct {
		endpoint string
		version  fieldpath.APIVersion
		kept     *fieldpath.Set
	}{
		{"main", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("metadata", "labels", "team"),
			fieldpath.MakePathOrDie("metadata", "annotations", "note"),
			fieldpath.MakePathOrDie("spec", "image"),
			fieldpath.MakePathOrDie("spec", "replicas"),
		)},
		{"main", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("metadata", "labels", "team"),
			fieldpath.MakePathOrDie("metadata", "annotations", "note"),
			fieldpath.MakePathOrDie("spec", "image"),
			fieldpath.MakePathOrDie("spec", "instanceamount"),
		)},
		{"status", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "instances"),
			fieldpath.MakePathOrDie("status", "observedGeneration"),
			fieldpath.MakePathOrDie("status", "conditions", readyKey),
			fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
		)},
		{"status", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "instances"),
		)},
		{"approval", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "conditions", approvedKey),
			fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
		)},
		{"approval", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)},
		// The set is exact in v1alpha, and leaves the other conditions in v1beta.
		{"approval (set)", v1alphaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "approvalstatus"),
		)},
		{"approval (set)", v1betaVersion, fieldpath.NewSet(
			fieldpath.MakePathOrDie("status", "conditions", approvedKey),
			fieldpath.MakePathOrDie("status", "conditions", approvedKey, "status"),
			fieldpath.MakePathOrDie("status", "conditions", readyKey),
			fieldpath.MakePathOrDie("status", "conditions", readyKey, "status"),
		)},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint+" "+string(tc.version), func(t *testing.T) {
			filter, ok := filters[tc.endpoint][tc.version]
			if !ok {
				t.Fatalf("no reset fields for %s", tc.version)
			}
			got := filter.Filter(everything(tc.version))
			if !got.Equals(tc.kept) {
				t.Errorf("kept:\n%s\nwant:\n%s", got, tc.kept)
			}
		})
	}
	for name, f := range filters {
		if len(f) != 2 {
			t.Errorf("%s: reset fields for %d versions, want 2", name, len(f))
		}
	}
}
