package v1alpha

import "strings"

// StoredApproval reads an approvalstatus the original server stored: one of
// the approval words in any letter case, with or without surrounding spaces
// ("approved", "DENIED"). ok is false for anything else. Only stored data is
// read so; a request that sends "approved" is told the supported values.
func StoredApproval(stored string) (ApprovalStatus, bool) {
	trimmed := strings.TrimSpace(stored)
	for _, a := range approvals {
		if strings.EqualFold(trimmed, string(a.approval)) {
			return a.approval, true
		}
	}
	return "", false
}
