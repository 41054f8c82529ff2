package v1alpha

import "testing"

func TestStoredApproval(t *testing.T) {
	for stored, want := range map[string]ApprovalStatus{
		"Approved": ApprovalApproved, "approved": ApprovalApproved, "APPROVED": ApprovalApproved,
		"denied": ApprovalDenied, " Denied ": ApprovalDenied, "pEnDiNg": ApprovalPending, "Pending": ApprovalPending,
	} {
		if got, ok := StoredApproval(stored); !ok || got != want {
			t.Errorf("StoredApproval(%q) = %q, %v; want %q", stored, got, ok, want)
		}
	}
	for _, stored := range []string{"", "Maybe", "approve", "Approved!", "Appr oved"} {
		if got, ok := StoredApproval(stored); ok {
			t.Errorf("StoredApproval(%q) = %q, want none", stored, got)
		}
	}
}
