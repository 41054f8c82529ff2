package integration

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// API.md, round-trip rules 1, 2, 3 and 5 against the server: an object that
// uses everything v1alpha cannot show survives v1alpha read-and-write-back
// (main resource, status, labels-only edits, merge patches), and v1alpha
// changes win over what was preserved. In JSON and protobuf.
func TestAPIRoundTripV1alphaWriteBack(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			orig := createFull(ctx, t, beta, "ci")

			// What a v1alpha client sees.
			a, err := alpha.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 0 || a.Spec.InstanceCpu != 2 {
				t.Errorf("v1alpha spec %+v, want instanceamount 0 (scaled to zero) and instancecpu 2 (1500m rounded up)", a.Spec)
			}
			if a.Status.ApprovalStatus != v1alpha.ApprovalApproved {
				t.Errorf("v1alpha approvalstatus %q, want Approved", a.Status.ApprovalStatus)
			}
			wantInstances := []v1alpha.JenkinsServerInstance{{Cpu: 2, Running: true}, {Cpu: 1, Running: false}}
			if fmt.Sprint(a.Status.Instances) != fmt.Sprint(wantInstances) {
				t.Errorf("v1alpha instances %+v, want %+v", a.Status.Instances, wantInstances)
			}
			if a.Annotations[requestedByKey] != adminUser {
				t.Errorf("v1alpha requested-by %q, want %q", a.Annotations[requestedByKey], adminUser)
			}
			if a.Annotations[preservedSpecKey] == "" || a.Annotations[preservedStatusKey] == "" {
				t.Errorf("v1alpha view carries no round-trip annotations for what it cannot show: %v", a.Annotations)
			}
			genBefore := a.Generation

			// Rule 2: write back unchanged.
			written, err := alpha.Update(ctx, a, metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("v1alpha write-back: %v", err)
			}
			if written.Spec.InstanceAmount != 0 {
				t.Errorf("v1alpha write-back answered instanceamount %d, want 0 (rule 5)", written.Spec.InstanceAmount)
			}
			if written.Generation != genBefore {
				t.Errorf("v1alpha write-back moved generation %d -> %d", genBefore, written.Generation)
			}
			got, err := beta.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameV1betaView(t, "after v1alpha update write-back", orig, got, true)

			// Rule 2 for the status: a v1alpha status writer writing back unchanged.
			a, err = alpha.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1alpha status write-back: %v", err)
			}
			got, err = beta.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameV1betaView(t, "after v1alpha status write-back", orig, got, true)

			// Rule 2, kubectl edit through v1alpha changing only labels (an
			// update), and a merge patch of labels through v1alpha.
			a, err = alpha.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Labels = map[string]string{"team": "a"}
			if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1alpha label edit: %v", err)
			}
			if _, err := alpha.Patch(ctx, "ci", types.MergePatchType, []byte(`{"metadata":{"labels":{"edited":"yes"}}}`), metav1.PatchOptions{}); err != nil {
				t.Fatalf("v1alpha label merge patch: %v", err)
			}
			got, err = beta.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sameV1betaView(t, "after v1alpha label edits", orig, got, false)
			if got.Labels["team"] != "a" || got.Labels["edited"] != "yes" {
				t.Errorf("labels %v, want team=a and edited=yes", got.Labels)
			}

			// The list and the v1beta list see no round-trip annotations either.
			list, err := beta.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range list.Items {
				noPreservation(t, "v1beta list", item.Annotations)
			}

			// Rule 3: a v1alpha client that changes instancecpu gets what it wrote,
			// not the preserved 1500m; what it did not change stays.
			a, err = alpha.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Spec.InstanceCpu = 3
			written, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
			if err != nil {
				t.Fatalf("v1alpha instancecpu 3: %v", err)
			}
			if written.Spec.InstanceCpu != 3 {
				t.Errorf("v1alpha answered instancecpu %d, want 3", written.Spec.InstanceCpu)
			}
			got, err = beta.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.Resources.CPU == nil || got.Spec.Resources.CPU.String() != "3" {
				t.Errorf("v1beta cpu %v after v1alpha wrote instancecpu 3, want 3", got.Spec.Resources.CPU)
			}
			if got.Spec.Resources.Memory.String() != "4Gi" || got.Spec.Image != digestImage || *got.Spec.Replicas != 0 {
				t.Errorf("v1beta spec after v1alpha cpu change lost what v1alpha did not touch: %s", asJSON(got.Spec))
			}
			if got.Generation != orig.Generation+1 {
				t.Errorf("generation %d after a v1alpha spec change, want %d", got.Generation, orig.Generation+1)
			}
			if !sameStatus(orig.Status, got.Status) {
				t.Errorf("status changed by a v1alpha spec change:\nbefore %s\nafter  %s", asJSON(orig.Status), asJSON(got.Status))
			}
			noPreservation(t, "v1beta get", got.Annotations)

			// Rule 5: a v1alpha client that writes instanceamount 1 gets 1.
			a, err = alpha.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Spec.InstanceAmount = 1
			if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("v1alpha instanceamount 1: %v", err)
			}
			got, err = beta.Get(ctx, "ci", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.Replicas == nil || *got.Spec.Replicas != 1 {
				t.Errorf("v1beta replicas %v after v1alpha wrote instanceamount 1, want 1", got.Spec.Replicas)
			}
			if got.Generation != orig.Generation+2 {
				t.Errorf("generation %d, want %d", got.Generation, orig.Generation+2)
			}
		})
	}
}

func sameStatus(a, b v1beta.JenkinsServiceStatus) bool {
	return asJSON(a) == asJSON(b)
}

// Rule 5: scaled to zero shows as instanceamount 0, absent from v1alpha's
// JSON; a v1alpha write-back keeps 0; in v1alpha instancecpu 0 means unset.
func TestAPIScaledToZero(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			if _, err := beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "zero"},
				Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(0)},
			}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			raw := rawGetJSON(t, "/apis/autobusi.group.cicd/v1alpha/namespaces/"+ns+"/jenkinsservices/zero")
			spec, _ := raw["spec"].(map[string]any)
			if _, ok := spec["instanceamount"]; ok {
				t.Errorf("v1alpha JSON spec %v has instanceamount; scaled to zero is 0, absent from JSON", spec)
			}
			a, err := alpha.Get(ctx, "zero", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 0 {
				t.Fatalf("v1alpha instanceamount %d, want 0", a.Spec.InstanceAmount)
			}
			for i := 0; i < 2; i++ { // twice: the write-back of a write-back
				a, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
				if err != nil {
					t.Fatalf("v1alpha write-back %d: %v", i, err)
				}
				if a.Spec.InstanceAmount != 0 {
					t.Errorf("v1alpha write-back %d answered instanceamount %d, want 0", i, a.Spec.InstanceAmount)
				}
			}
			got, err := beta.Get(ctx, "zero", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.Replicas == nil || *got.Spec.Replicas != 0 {
				t.Errorf("v1beta replicas %v after v1alpha write-backs, want 0", got.Spec.Replicas)
			}
			if got.Generation != 1 {
				t.Errorf("generation %d after unchanged write-backs, want 1", got.Generation)
			}
			noPreservation(t, "v1beta get", got.Annotations)

			// A v1alpha create without instancecpu (0 = unset) gets 1 core,
			// without instanceamount 1 instance (nothing preserved).
			created, err := alpha.Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "unset"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if created.Spec.InstanceAmount != 1 || created.Spec.InstanceCpu != 1 {
				t.Errorf("v1alpha create with empty spec: %+v, want instanceamount 1, instancecpu 1", created.Spec)
			}
		})
	}
}

// Rule 6: a new object's v1alpha approvalstatus reads Pending, whichever
// version created it; rule 1: the preservation annotations a v1beta client
// sends are not stored.
func TestAPINewObjectPending(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			b, err := beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "from-beta", Annotations: map[string]string{
					preservedSpecKey:   `{"memory":"8Gi"}`,
					preservedStatusKey: `{"observedGeneration":7}`,
					"example.com/kept": "yes",
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Status.Conditions) != 0 {
				t.Errorf("new v1beta object has conditions %v", b.Status.Conditions)
			}
			noPreservation(t, "v1beta create answer", b.Annotations)
			if b.Annotations["example.com/kept"] != "yes" {
				t.Errorf("an ordinary annotation was dropped: %v", b.Annotations)
			}
			if b.Spec.Resources.Memory.String() != "2Gi" || b.Status.ObservedGeneration != 0 {
				t.Errorf("round-trip annotations sent through v1beta were applied: %s %s", asJSON(b.Spec), asJSON(b.Status))
			}
			a, err := alpha.Get(ctx, "from-beta", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Status.ApprovalStatus != v1alpha.ApprovalPending {
				t.Errorf("v1alpha approvalstatus of a new v1beta object %q, want Pending", a.Status.ApprovalStatus)
			}
			created, err := alpha.Create(ctx, &v1alpha.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "from-alpha"},
				Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 2, InstanceCpu: 2},
				// A status in a create is ignored.
				Status: v1alpha.JenkinsServiceStatus{ApprovalStatus: v1alpha.ApprovalApproved},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if created.Status.ApprovalStatus != v1alpha.ApprovalPending {
				t.Errorf("v1alpha create answered approvalstatus %q, want Pending", created.Status.ApprovalStatus)
			}
			if created.Annotations[preservedSpecKey] != "" || created.Annotations[preservedStatusKey] != "" {
				t.Errorf("a v1alpha object that v1alpha shows whole carries round-trip annotations: %v", created.Annotations)
			}
		})
	}
}

// Rule 4: metadata.generation changes only when the spec changes, whichever
// version (or subresource) wrote.
func TestAPIGenerationOnlyOnSpecChange(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
			js, err := beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "gen"},
				Spec:       v1beta.JenkinsServiceSpec{Resources: v1beta.JenkinsServiceResources{CPU: qty("1500m")}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := int64(1)
			check := func(step string) {
				t.Helper()
				got, err := beta.Get(ctx, "gen", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got.Generation != want {
					t.Errorf("%s: generation %d, want %d", step, got.Generation, want)
				}
				a, err := alpha.Get(ctx, "gen", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if a.Generation != want {
					t.Errorf("%s: v1alpha generation %d, want %d", step, a.Generation, want)
				}
			}
			check("create")

			js.Labels = map[string]string{"a": "1"}
			if js, err = beta.Update(ctx, js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1beta label update")

			js.Spec.Replicas = i32(2)
			if _, err = beta.Update(ctx, js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			want++
			check("v1beta spec update")

			if _, err = beta.Patch(ctx, "gen", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1beta patch to the same spec")

			a, err := alpha.Get(ctx, "gen", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a.Labels["b"] = "2"
			if a, err = alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1alpha label update")

			if a, err = alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1alpha unchanged write-back")

			a.Spec.InstanceAmount = 3
			if _, err = alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			want++
			check("v1alpha spec update")

			js, err = beta.Get(ctx, "gen", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			js.Status.Instances = []v1beta.JenkinsServerInstance{{Name: "gen-0", CPU: resource1500m(), Running: true}}
			if js, err = beta.UpdateStatus(ctx, js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1beta status update")

			js.Status.Conditions = []metav1.Condition{{Type: conditionApproved, Status: metav1.ConditionTrue, Reason: "OK", Message: "ok"}}
			if _, err = beta.UpdateApproval(ctx, "gen", js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1beta approval")

			a, err = alpha.Get(ctx, "gen", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err = alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			check("v1alpha status write-back")

			scale, err := alpha.GetScale(ctx, "gen", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			scale.Spec.Replicas = 4
			if _, err = alpha.UpdateScale(ctx, "gen", scale, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			want++
			check("v1alpha scale update")
		})
	}
}
