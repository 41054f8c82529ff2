package legacydata

import (
	"bytes"
	"strings"
	"testing"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// The fixtures are byte for byte what the original server's JSON serializer
// wrote: decoding and encoding one again with that serializer gives the same
// bytes (compact, kind first, one trailing newline), and none holds what the
// original server never stored (a resourceVersion, a round-trip annotation).
func TestFixturesAreTheOriginalServersBytes(t *testing.T) {
	fixtures, err := Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) < 4 {
		t.Fatalf("%d fixtures in %s, want at least 4", len(fixtures), Dir())
	}
	approvals := map[v1alpha.ApprovalStatus]bool{}
	for _, f := range fixtures {
		var js v1alpha.JenkinsService
		if _, _, err := serializer.Decode(f.Value, nil, &js); err != nil {
			t.Fatalf("%s: %v", f.Key(), err)
		}
		again, err := Encode(&js)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, f.Value) {
			t.Errorf("%s is not as the serializer writes it:\n got %q\nwant %q", f.Key(), f.Value, again)
		}
		if !bytes.HasSuffix(f.Value, []byte("}\n")) || bytes.Count(f.Value, []byte("\n")) != 1 {
			t.Errorf("%s: want one line ending in a newline", f.Key())
		}
		if js.ResourceVersion != "" {
			t.Errorf("%s stores a resourceVersion", f.Key())
		}
		for k := range js.Annotations {
			if strings.HasPrefix(k, "autobusi.group.cicd/") {
				t.Errorf("%s stores the annotation %s", f.Key(), k)
			}
		}
		if got := StoredForm(f.Value); got != "v1alpha/json" {
			t.Errorf("%s: stored form %s", f.Key(), got)
		}
		approvals[js.Status.ApprovalStatus] = true
	}
	for _, a := range []v1alpha.ApprovalStatus{v1alpha.ApprovalApproved, v1alpha.ApprovalDenied, v1alpha.ApprovalPending, ""} {
		if !approvals[a] {
			t.Errorf("no fixture with approvalstatus %q", a)
		}
	}
	synthetic, err := Encode(Object("ns", "x", 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if got := StoredForm(synthetic); got != "v1alpha/json" {
		t.Errorf("synthetic object: stored form %s", got)
	}
}
