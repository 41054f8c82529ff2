package storagecodec

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// A version turned off with --runtime-config has no OpenAPI model in the field
// manager, so server-side apply would drop the managedFields entries that name
// it, and with them who owns what (kubernetes/kubernetes#111937 is the CRD case,
// where they fail the request instead). This file rewrites such entries into
// v1beta as objects come out of storage, so that ownership written through the
// retired version keeps counting: another manager's apply of a field it owned
// still conflicts.

// fieldMove is one field of a retired version whose v1beta path differs. The
// paths are FieldsV1 keys from the object's root; to nil drops the field.
type fieldMove struct{ from, to []string }

// fieldMoves are, per version, the fields whose v1beta paths differ, from the
// version's path facts (apis/cicd/v1alpha/mapping.go); every other field has
// the same path in v1beta. v1alpha's approvalstatus is the status of the
// Approved condition; its preservation annotations are never stored, so never
// owned.
var fieldMoves = map[schema.GroupVersion][]fieldMove{
	v1alpha.SchemeGroupVersion: {
		{from: fieldsPath(v1alpha.PathInstanceAmount), to: fieldsPath(cicd.PathReplicas)},
		{from: fieldsPath(v1alpha.PathInstanceCPU), to: fieldsPath(cicd.PathCPU)},
		{from: fieldsPath(v1alpha.PathApprovalStatus), to: append(fieldsPath(cicd.PathConditions), `k:{"type":"`+cicd.ConditionApproved+`"}`, "f:status")},
		{from: []string{"f:metadata", "f:annotations", "f:" + cicd.AnnotationPreservedSpec}},
		{from: []string{"f:metadata", "f:annotations", "f:" + cicd.AnnotationPreservedStatus}},
	},
}

// fieldsPath is a dotted field path ("spec.replicas") as FieldsV1 keys.
func fieldsPath(p string) []string {
	parts := strings.Split(p, ".")
	for i := range parts {
		parts[i] = "f:" + parts[i]
	}
	return parts
}

// RetiredVersionsGetter returns a RESTOptionsGetter whose storage codec
// rewrites managedFields entries of the retired versions into v1beta.
func RetiredVersionsGetter(g generic.RESTOptionsGetter, retired []schema.GroupVersion) (generic.RESTOptionsGetter, error) {
	for _, gv := range retired {
		if _, ok := fieldMoves[gv]; !ok {
			return nil, fmt.Errorf("no managedFields conversion from %s to %s", gv, v1beta.SchemeGroupVersion)
		}
	}
	return retiredGetter{g, retired}, nil
}

type retiredGetter struct {
	generic.RESTOptionsGetter
	retired []schema.GroupVersion
}

func (g retiredGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	opts, err := g.RESTOptionsGetter.GetRESTOptions(resource, example)
	if err != nil || opts.StorageConfig == nil {
		return opts, err
	}
	cfg := *opts.StorageConfig
	cfg.Codec = &retiredCodec{Codec: cfg.Codec, retired: g.retired}
	opts.StorageConfig = &cfg
	return opts, nil
}

// retiredCodec converts the managedFields of every decoded JenkinsService.
type retiredCodec struct {
	runtime.Codec
	retired []schema.GroupVersion
}

func (c *retiredCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.Codec.Decode(data, defaults, into)
	if err == nil {
		if js, ok := obj.(*cicd.JenkinsService); ok {
			js.ManagedFields = ConvertManagedFields(js.ManagedFields, c.retired)
		}
	}
	return obj, gvk, err
}

func (c *retiredCodec) Encode(obj runtime.Object, w io.Writer) error { return c.Codec.Encode(obj, w) }

func (c *retiredCodec) Identifier() runtime.Identifier { return c.Codec.Identifier() }

// ConvertManagedFields returns entries with those of the retired versions in
// v1beta. An entry that then has the identity of another (an Update by the same
// manager through both versions) is merged into it. Entries it cannot read
// are left as they are, for the field manager to judge.
func ConvertManagedFields(entries []metav1.ManagedFieldsEntry, retired []schema.GroupVersion) []metav1.ManagedFieldsEntry {
	isRetired := func(apiVersion string) ([]fieldMove, bool) {
		for _, gv := range retired {
			if apiVersion == gv.String() {
				return fieldMoves[gv], true
			}
		}
		return nil, false
	}
	found := false
	for i := range entries {
		if _, ok := isRetired(entries[i].APIVersion); ok {
			found = true
			break
		}
	}
	if !found {
		return entries
	}
	out := make([]metav1.ManagedFieldsEntry, 0, len(entries))
	trees := make([]map[string]any, 0, len(entries)) // converted entries' fields; nil for the others
	for _, e := range entries {
		moves, ok := isRetired(e.APIVersion)
		var tree map[string]any
		if !ok || e.FieldsType != "FieldsV1" || e.FieldsV1 == nil || json.Unmarshal(e.FieldsV1.GetRawBytes(), &tree) != nil {
			out, trees = append(out, e), append(trees, nil)
			continue
		}
		converted := map[string]any{}
		walkLeaves(tree, nil, func(path []string) {
			if p := movePath(path, moves); p != nil {
				insert(converted, p)
			}
		})
		e.APIVersion = v1beta.SchemeGroupVersion.String()
		out, trees = append(out, e), append(trees, converted)
	}
	// Merge each converted entry into an earlier or later one of the same identity.
	for i := 0; i < len(out); i++ {
		if trees[i] == nil {
			continue
		}
		j := sameManager(out, out[i], i)
		if j < 0 {
			continue
		}
		var other map[string]any
		if trees[j] != nil {
			other = trees[j]
		} else if out[j].FieldsV1 == nil || json.Unmarshal(out[j].FieldsV1.GetRawBytes(), &other) != nil {
			other = map[string]any{}
		}
		walkLeaves(trees[i], nil, func(path []string) { insert(other, path) })
		if out[i].Time != nil && (out[j].Time == nil || out[i].Time.After(out[j].Time.Time)) {
			out[j].Time = out[i].Time
		}
		trees[j] = other
		out, trees = append(out[:i], out[i+1:]...), append(trees[:i], trees[i+1:]...)
		i--
	}
	for i := range out {
		if trees[i] == nil {
			continue
		}
		raw, err := json.Marshal(trees[i])
		if err != nil {
			continue // keeps the entry's original fields; json.Marshal of a map of maps does not fail
		}
		out[i].FieldsV1 = metav1.NewFieldsV1(string(raw))
		out[i].FieldsType = "FieldsV1"
	}
	return out
}

// sameManager is the index in entries, other than skip, of the entry with e's
// identity (manager, operation, subresource, and for updates the version), or -1.
func sameManager(entries []metav1.ManagedFieldsEntry, e metav1.ManagedFieldsEntry, skip int) int {
	for i, o := range entries {
		if i != skip && o.Manager == e.Manager && o.Operation == e.Operation && o.Subresource == e.Subresource &&
			(e.Operation == metav1.ManagedFieldsOperationApply || o.APIVersion == e.APIVersion) {
			return i
		}
	}
	return -1
}

// walkLeaves calls f with the path of every leaf (an empty object) of tree.
func walkLeaves(tree map[string]any, prefix []string, f func([]string)) {
	for k, v := range tree {
		path := append(append([]string(nil), prefix...), k)
		if child, ok := v.(map[string]any); ok && len(child) > 0 {
			walkLeaves(child, path, f)
			continue
		}
		f(path)
	}
}

// movePath is path in v1beta: the first move whose from is a prefix of path
// applies; nil when the field is dropped.
func movePath(path []string, moves []fieldMove) []string {
	for _, m := range moves {
		if len(path) < len(m.from) || !equal(path[:len(m.from)], m.from) {
			continue
		}
		if m.to == nil {
			return nil
		}
		return append(append([]string(nil), m.to...), path[len(m.from):]...)
	}
	return path
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// insert adds path to tree as a leaf.
func insert(tree map[string]any, path []string) {
	for _, k := range path {
		child, ok := tree[k].(map[string]any)
		if !ok {
			child = map[string]any{}
			tree[k] = child
		}
		tree = child
	}
}
