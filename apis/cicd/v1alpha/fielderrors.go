package v1alpha

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// FieldErrorsFromHub returns errs, the errors of validating the hub object obj,
// at the paths and with the values a v1alpha client knows (errorPaths). An error
// moved to another field names its hub field in its detail. errs is not modified.
func FieldErrorsFromHub(errs field.ErrorList, obj *cicd.JenkinsService) field.ErrorList {
	if len(errs) == 0 {
		return errs
	}
	out := make(field.ErrorList, 0, len(errs))
	for _, err := range errs {
		if err != nil {
			out = append(out, fieldErrorFromHub(err, obj))
		}
	}
	return out
}

func fieldErrorFromHub(err *field.Error, obj *cicd.JenkinsService) *field.Error {
	e := *err
	for _, rule := range errorPaths {
		index, rest, ok := under(err.Field, rule.hub)
		if !ok || (rule.approved && !isApprovedCondition(obj, index)) {
			continue
		}
		switch {
		case rule.moved:
			e.Field = rule.to
			e.Detail = err.Field
			if err.Detail != "" {
				e.Detail += ": " + err.Detail
			}
		case rule.to != "":
			e.Field = rule.to + rest
		}
		if rule.value != nil {
			e.BadValue = rule.value(err.BadValue)
		}
		if rule.detail != nil {
			e.Detail = rule.detail(err)
		}
		break
	}
	return &e
}

// under tells whether the path f is the pattern p or lies under it, and returns
// what lies under it and the index "[*]" in p matched (-1 without one).
func under(f, p string) (index int, rest string, ok bool) {
	head, tail, wildcard := strings.Cut(p, "[*]")
	rest, ok = strings.CutPrefix(f, head)
	if !ok {
		return -1, "", false
	}
	index = -1
	if wildcard {
		end := strings.IndexByte(rest, ']')
		if !strings.HasPrefix(rest, "[") || end < 2 {
			return -1, "", false
		}
		i, err := strconv.Atoi(rest[1:end])
		if err != nil || i < 0 {
			return -1, "", false
		}
		if rest, ok = strings.CutPrefix(rest[end+1:], tail); !ok {
			return -1, "", false
		}
		index = i
	}
	if rest != "" && rest[0] != '.' && rest[0] != '[' {
		return -1, "", false
	}
	return index, rest, true
}

// isApprovedCondition tells whether condition i of obj is the Approved condition.
func isApprovedCondition(obj *cicd.JenkinsService, i int) bool {
	return obj != nil && i >= 0 && i < len(obj.Status.Conditions) &&
		obj.Status.Conditions[i].Type == cicd.ConditionApproved
}

// approvalValue shows the status of the Approved condition as the approvalstatus
// it reads as; other values are shown as they are.
func approvalValue(v interface{}) interface{} {
	var s metav1.ConditionStatus
	switch v := v.(type) {
	case metav1.ConditionStatus:
		s = v
	case string:
		s = metav1.ConditionStatus(v)
	default:
		return v
	}
	if raw, ok := unsupportedValue(s); ok {
		return raw
	}
	for _, a := range approvals {
		if a.status == s {
			return string(a.approval)
		}
	}
	return string(s)
}

// approvalDetail lists the approval words where the hub listed condition statuses.
func approvalDetail(err *field.Error) string {
	if err.Type == field.ErrorTypeNotSupported {
		return approvalNotSupported(nil).Detail
	}
	return ""
}

// wholeCoresValue shows a CPU value in whole cores, as v1alpha does. Values that
// are not CPU quantities are shown as they are.
func wholeCoresValue(v interface{}) interface{} {
	switch v := v.(type) {
	case string:
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return v
		}
		return wholeCores(q)
	case resource.Quantity:
		return wholeCores(v.DeepCopy())
	case *resource.Quantity:
		if v == nil {
			return v
		}
		return wholeCores(v.DeepCopy())
	}
	return v
}
