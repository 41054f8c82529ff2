package storagecodec

import (
	"encoding/json"
	"testing"
)

func TestRepairLegacyJSON(t *testing.T) {
	const head = `{"kind":"JenkinsService","apiVersion":"autobusi.group.cicd/v1alpha","metadata":{"name":"x"},"spec":{"instanceamount":2},`
	for _, tc := range []struct {
		stored, want string // want "" when nothing is repaired
	}{
		{head + `"status":{"approvalstatus":"approved","instances":[{"cpu":2}]}}`, "Approved"},
		{head + `"status":{"approvalstatus":"DENIED"}}`, "Denied"},
		{head + `"status":{"approvalstatus":" pending "}}`, "Pending"},
		{head + `"status":{"approvalstatus":"Approved"}}`, ""},
		{head + `"status":{"approvalstatus":"Maybe"}}`, ""},
		{head + `"status":{"approvalstatus":null}}`, ""},
		{head + `"status":null}`, ""},
		{head + `"status":{}}`, ""},
		{`{"kind":"JenkinsService","apiVersion":"autobusi.group.cicd/v1beta","status":{"approvalstatus":"approved"}}`, ""},
		{"k8s\x00\x0a", ""},
		{"{not json", ""},
	} {
		out, ok := repairLegacyJSON([]byte(tc.stored))
		if ok != (tc.want != "") {
			t.Errorf("repairLegacyJSON(%s): repaired %v, want %v", tc.stored, ok, tc.want != "")
			continue
		}
		if !ok {
			continue
		}
		var doc struct {
			Spec   map[string]any `json:"spec"`
			Status struct {
				ApprovalStatus string           `json:"approvalstatus"`
				Instances      []map[string]any `json:"instances"`
			} `json:"status"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("repaired value %s: %v", out, err)
		}
		if doc.Status.ApprovalStatus != tc.want || doc.Spec["instanceamount"] != float64(2) {
			t.Errorf("repairLegacyJSON(%s) = %s, want approvalstatus %s and the rest kept", tc.stored, out, tc.want)
		}
	}
}
