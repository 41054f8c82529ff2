package validation

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func finalizers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("example.com/f%d", i)
	}
	return out
}

func owners(n int) []metav1.OwnerReference {
	out := make([]metav1.OwnerReference, n)
	for i := range out {
		out[i] = metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: fmt.Sprintf("o%d", i), UID: types.UID(fmt.Sprintf("uid-%d", i))}
	}
	return out
}

func managedFieldsNesting(depth int) []metav1.ManagedFieldsEntry {
	raw := strings.Repeat(`{"f:a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
	return []metav1.ManagedFieldsEntry{
		{Manager: "shallow", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autobusi.group.cicd/v1beta", FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}}}`)},
		{Manager: "deep", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autobusi.group.cicd/v1beta", FieldsType: "FieldsV1",
			FieldsV1: metav1.NewFieldsV1(raw)},
	}
}

func TestMetadataBounds(t *testing.T) {
	tooMany := func(path string) want { return want{field.ErrorTypeTooMany, path} }
	cases := []struct {
		name   string
		create func(*metav1.ObjectMeta)
		wants  []want
	}{
		{"1000 finalizers", func(m *metav1.ObjectMeta) { m.Finalizers = finalizers(1000) }, nil},
		{"1001 finalizers", func(m *metav1.ObjectMeta) { m.Finalizers = finalizers(1001) }, []want{tooMany("metadata.finalizers")}},
		{"1000 owners", func(m *metav1.ObjectMeta) { m.OwnerReferences = owners(1000) }, nil},
		{"1001 owners", func(m *metav1.ObjectMeta) { m.OwnerReferences = owners(1001) }, []want{tooMany("metadata.ownerReferences")}},
		{"fieldsV1 of 32 levels", func(m *metav1.ObjectMeta) { m.ManagedFields = managedFieldsNesting(32) }, nil},
		{"fieldsV1 of 33 levels", func(m *metav1.ObjectMeta) { m.ManagedFields = managedFieldsNesting(33) }, []want{invalid("metadata.managedFields[1].fieldsV1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			js := validService()
			c.create(&js.ObjectMeta)
			assertErrors(t, ValidateJenkinsService(js), c.wants...)
		})
	}

	// An update may keep what is stored, not add to it.
	old := validService()
	old.Finalizers, old.OwnerReferences, old.ManagedFields = finalizers(1500), owners(1200), managedFieldsNesting(40)
	same := old.DeepCopy()
	same.Labels = map[string]string{"a": "b"}
	assertErrors(t, ValidateJenkinsServiceUpdate(same, old))
	fewer := old.DeepCopy()
	fewer.Finalizers = finalizers(1499)
	assertErrors(t, ValidateJenkinsServiceStatusUpdate(fewer, old))
	more := old.DeepCopy()
	more.Finalizers, more.OwnerReferences, more.ManagedFields = finalizers(1501), owners(1201), managedFieldsNesting(41)
	assertErrors(t, ValidateJenkinsServiceUpdate(more, old),
		tooMany("metadata.finalizers"), tooMany("metadata.ownerReferences"), invalid("metadata.managedFields[1].fieldsV1"))
}

func TestJSONNesting(t *testing.T) {
	for _, c := range []struct {
		json  string
		depth int
	}{
		{``, 0}, {`{}`, 1}, {`{"f:a":{"f:b":{}}}`, 3}, {`{"k:{\"type\":\"A\"}":{}}`, 2}, {`{"a":"{{{\\"}`, 1}, {`[[],[[]]]`, 3},
	} {
		if got := jsonNesting([]byte(c.json)); got != c.depth {
			t.Errorf("jsonNesting(%s) = %d, want %d", c.json, got, c.depth)
		}
	}
}
