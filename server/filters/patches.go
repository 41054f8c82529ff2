package filters

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Checks of patches that the patch libraries would not refuse cleanly:
// gopkg.in/evanphx/json-patch.v4 dereferences a missing "value" of a replace
// or test of the whole document (path ""), and the strategic merge patch of
// k8s.io/apimachinery asserts the types of its directives' lists. Both panic,
// and the client sees its connection reset. The checks run before any library
// sees the patch and answer what RFC 6902 and the directives require.

// jsonPatchOp is an operation with what RFC 6902 requires of it.
type jsonPatchOp struct {
	Op    string          `json:"op"`
	From  *string         `json:"from"`
	Value json.RawMessage `json:"value"`
}

// maxJSONPatchOps bounds the work of one JSON patch: each operation walks
// and may copy part of the object. kubectl sends a handful; the generic
// server allows 10000.
const maxJSONPatchOps = 1000

// checkJSONPatch returns why a JSON patch cannot be applied, or "" when it
// is for the library to apply (or to refuse with its own message).
func checkJSONPatch(body []byte) (msg string, tooLarge bool) {
	var ops []jsonPatchOp
	if err := json.Unmarshal(body, &ops); err != nil {
		return "", false // not a list of operations: the library says so
	}
	if len(ops) > maxJSONPatchOps {
		return fmt.Sprintf("the JSON patch has %d operations; the limit is %d", len(ops), maxJSONPatchOps), true
	}
	for i, op := range ops {
		switch op.Op {
		case "add", "replace", "test":
			if op.Value == nil {
				return fmt.Sprintf("JSON patch operation %d (%s): \"value\" is required", i, op.Op), false
			}
		case "move", "copy":
			if op.From == nil {
				return fmt.Sprintf("JSON patch operation %d (%s): \"from\" is required", i, op.Op), false
			}
		}
	}
	return "", false
}

// checkStrategicMergePatch returns why a strategic merge patch cannot be
// applied (tooLarge: a list too long to merge), or "" when it is for the
// library to apply or refuse.
func checkStrategicMergePatch(body []byte) (msg string, tooLarge bool) {
	var patch any
	if err := json.Unmarshal(body, &patch); err != nil {
		return "", false // not JSON: the library says so
	}
	if msg := longStrategicList(patch, ""); msg != "" {
		return msg, true
	}
	return checkDirectives(patch, ""), false
}

// checkDirectives walks a strategic merge patch and checks the shape of the
// $-directives' values; path is where v is, for the message.
func checkDirectives(v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			at := path + "." + k
			switch {
			case k == "$retainKeys":
				if !isListOf(val, isString) {
					return fmt.Sprintf("strategic merge patch: %s must be a list of field names", at)
				}
			case strings.HasPrefix(k, "$deleteFromPrimitiveList/"):
				if !isListOf(val, isScalar) {
					return fmt.Sprintf("strategic merge patch: %s must be a list of values", at)
				}
			case strings.HasPrefix(k, "$setElementOrder/"):
				if !isListOf(val, isScalarOrFlatMap) {
					return fmt.Sprintf("strategic merge patch: %s must be a list of values or of merge keys", at)
				}
			case k == "$patch":
				if _, ok := val.(string); !ok {
					return fmt.Sprintf("strategic merge patch: %s must be a string", at)
				}
			default:
				if msg := checkDirectives(val, at); msg != "" {
					return msg
				}
			}
		}
	case []any:
		for i, e := range v {
			if msg := checkDirectives(e, fmt.Sprintf("%s[%d]", path, i)); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func isListOf(v any, ok func(any) bool) bool {
	l, isList := v.([]any)
	if !isList {
		return v == nil // null clears the directive; the library accepts it
	}
	for _, e := range l {
		if !ok(e) {
			return false
		}
	}
	return true
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, nil:
		return true
	}
	return false
}

func isScalarOrFlatMap(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return isScalar(v)
	}
	for _, e := range m {
		if !isScalar(e) {
			return false
		}
	}
	return true
}
