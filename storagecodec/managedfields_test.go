package storagecodec

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

func entry(manager string, op metav1.ManagedFieldsOperationType, version, fields string, at int64) metav1.ManagedFieldsEntry {
	t := metav1.Unix(at, 0)
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "autobusi.group.cicd/" + version,
		Time: &t, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
}

// sameFields compares FieldsV1 JSON regardless of key order.
func sameFields(t *testing.T, got *metav1.FieldsV1, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got.GetRawBytes(), &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("fields %s, want %s", gb, wb)
	}
}

func TestConvertManagedFields(t *testing.T) {
	retired := []schema.GroupVersion{v1alpha.SchemeGroupVersion}
	apply := metav1.ManagedFieldsOperationApply
	update := metav1.ManagedFieldsOperationUpdate

	t.Run("apply", func(t *testing.T) {
		got := ConvertManagedFields([]metav1.ManagedFieldsEntry{
			entry("kubectl", apply, "v1alpha", `{"f:metadata":{"f:labels":{"f:team":{}},"f:annotations":{"f:autobusi.group.cicd/preserved-spec":{},"f:note":{}}},"f:spec":{".":{},"f:instanceamount":{},"f:instancecpu":{}}}`, 1),
		}, retired)
		if len(got) != 1 || got[0].APIVersion != "autobusi.group.cicd/v1beta" || got[0].Manager != "kubectl" || got[0].Operation != apply {
			t.Fatalf("got %+v", got)
		}
		sameFields(t, got[0].FieldsV1, `{"f:metadata":{"f:labels":{"f:team":{}},"f:annotations":{"f:note":{}}},"f:spec":{".":{},"f:replicas":{},"f:resources":{"f:cpu":{}}}}`)
	})

	t.Run("approval-and-other-versions", func(t *testing.T) {
		beta := entry("ctl", update, "v1beta", `{"f:status":{"f:instances":{}}}`, 5)
		got := ConvertManagedFields([]metav1.ManagedFieldsEntry{
			entry("approver", update, "v1alpha", `{"f:status":{".":{},"f:approvalstatus":{},"f:instances":{}}}`, 1),
			beta,
		}, retired)
		if len(got) != 2 || got[1].FieldsV1.GetRawString() != beta.FieldsV1.GetRawString() || got[1].APIVersion != beta.APIVersion {
			t.Fatalf("got %+v", got)
		}
		sameFields(t, got[0].FieldsV1, `{"f:status":{".":{},"f:conditions":{"k:{\"type\":\"Approved\"}":{"f:status":{}}},"f:instances":{}}}`)
	})

	t.Run("merge-same-manager", func(t *testing.T) {
		// An Update by one manager through both versions becomes one v1beta entry
		// with both field sets and the later time, wherever the v1beta one is.
		for _, order := range []string{"alpha-first", "beta-first"} {
			a := entry("edit", update, "v1alpha", `{"f:spec":{"f:instanceamount":{}}}`, 9)
			b := entry("edit", update, "v1beta", `{"f:spec":{"f:image":{}}}`, 3)
			in := []metav1.ManagedFieldsEntry{a, b}
			if order == "beta-first" {
				in = []metav1.ManagedFieldsEntry{b, a}
			}
			got := ConvertManagedFields(in, retired)
			if len(got) != 1 || got[0].APIVersion != "autobusi.group.cicd/v1beta" || !got[0].Time.Equal(&metav1.Time{Time: time.Unix(9, 0)}) {
				t.Fatalf("%s: got %+v", order, got)
			}
			sameFields(t, got[0].FieldsV1, `{"f:spec":{"f:replicas":{},"f:image":{}}}`)
		}
	})

	t.Run("nothing-retired", func(t *testing.T) {
		in := []metav1.ManagedFieldsEntry{entry("x", apply, "v1beta", `{"f:spec":{"f:replicas":{}}}`, 1)}
		if got := ConvertManagedFields(in, retired); &got[0] != &in[0] {
			t.Errorf("entries without a retired version were copied")
		}
		bad := []metav1.ManagedFieldsEntry{entry("x", apply, "v1alpha", `not json`, 1)}
		if got := ConvertManagedFields(bad, retired); len(got) != 1 || got[0].APIVersion != bad[0].APIVersion {
			t.Errorf("an unreadable entry was changed: %+v", got)
		}
	})
}
