package filters

import "fmt"

// A strategic merge patch of a list with the merge strategy (finalizers,
// ownerReferences, status conditions) orders the merged list with a sort
// whose every comparison looks both items up in the patch's list, or the
// stored one, by a linear search (k8s.io/apimachinery strategicpatch:
// normalizeSliceOrder, mergeSortedSlice): n² log n for n items, and the work
// goes on after the request has timed out. Bounding the lists of the patch
// bounds it (docs/hostile-input.md has the figures).

// maxStrategicListItems is the most items a list in a strategic merge patch
// may have. kubectl sends an object's own lists (status conditions: at most
// 32; instances: at most 200).
const maxStrategicListItems = 1000

// longStrategicList returns why a list in the patch v is too long, or "";
// path is where v is, for the message.
func longStrategicList(v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			if msg := longStrategicList(val, path+"."+k); msg != "" {
				return msg
			}
		}
	case []any:
		if len(v) > maxStrategicListItems {
			return fmt.Sprintf("strategic merge patch: %s has %d items; the limit is %d", path, len(v), maxStrategicListItems)
		}
		for i, e := range v {
			if msg := longStrategicList(e, fmt.Sprintf("%s[%d]", path, i)); msg != "" {
				return msg
			}
		}
	}
	return ""
}
