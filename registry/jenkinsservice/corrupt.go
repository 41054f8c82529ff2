package jenkinsservice

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/storage"
)

// An object in etcd that does not decode (the original server's JSON with a
// value this API refuses, or bytes that are no object at all) fails every
// read of it, and every list and watch of the resource, with a 500 that
// names its key (KEP-3926, AllowUnsafeMalformedObjectDeletion, on by default
// in 1.37). The errors below keep the library's code, reason and causes and
// add how to get out: the unsafe delete of each such object.

// maxCorruptHints caps the delete commands one error message spells out.
const maxCorruptHints = 10

// unsafeDeleteVerb is the verb the unsafe delete is authorized with, on top
// of delete (k8s.io/apiserver endpoints/handlers/delete.go).
const unsafeDeleteVerb = "unsafe-delete-ignore-read-errors"

// corruptKeyPattern finds the etcd keys in the text of storage errors that
// were flattened to a message (the watch cache's, for one).
var corruptKeyPattern = regexp.MustCompile(`corrupt object, Code: \d+, Key: (\S+?),`)

// corruptObjectErrors adds to err, when it is about undecodable stored
// JenkinsServices, the commands that delete them. Other errors pass
// unchanged.
func corruptObjectErrors(err error) error {
	if err == nil {
		return nil
	}
	var storageErr *storage.StorageError
	if errors.As(err, &storageErr) && storageErr.Code == storage.ErrCodeCorruptObj {
		if hint := deleteHint([]string{storageErr.Key}); hint != "" {
			return &corruptObjectError{err: err, hint: hint}
		}
		return err
	}
	var statusErr *apierrors.StatusError
	if !errors.As(err, &statusErr) {
		return err
	}
	status := statusErr.Status()
	var keys []string
	switch {
	case status.Reason == metav1.StatusReasonStoreReadError && status.Details != nil:
		for _, c := range status.Details.Causes {
			keys = append(keys, c.Field)
		}
	case status.Reason == metav1.StatusReasonTooManyRequests:
		// The watch cache cannot load the objects: its 429 carries the list
		// error as text.
		for _, m := range corruptKeyPattern.FindAllStringSubmatch(status.Message, -1) {
			keys = append(keys, m[1])
		}
	}
	hint := deleteHint(keys)
	if hint == "" {
		return err
	}
	status.Message += "; " + hint
	return &apierrors.StatusError{ErrStatus: status}
}

// corruptObjectError is a corrupt-object StorageError with the delete
// command in its message; errors.As still finds the StorageError, so the
// generic store answers it as before (500).
type corruptObjectError struct {
	err  error
	hint string
}

func (e *corruptObjectError) Error() string { return e.err.Error() + "; " + e.hint }
func (e *corruptObjectError) Unwrap() error { return e.err }

// deleteHint is the sentence that tells how to delete the objects of keys
// (etcd keys, with or without the storage prefix), "" when none is a
// JenkinsService's.
func deleteHint(keys []string) string {
	var cmds []string
	seen := map[string]bool{}
	for _, key := range keys {
		ns, name, ok := namespaceAndName(key)
		if !ok || seen[ns+"/"+name] {
			continue
		}
		seen[ns+"/"+name] = true
		if len(cmds) < maxCorruptHints {
			cmds = append(cmds, fmt.Sprintf("kubectl delete jenkinsservice %s -n %s --ignore-store-read-error-with-cluster-breaking-potential", name, ns))
		}
	}
	if len(cmds) == 0 {
		return ""
	}
	more := ""
	if n := len(seen) - len(cmds); n > 0 {
		more = fmt.Sprintf(" (and the same for %d more)", n)
	}
	return fmt.Sprintf("to delete an undecodable object without reading it (no admission, preconditions or finalizers), run: %s%s; it needs the verb %s on jenkinsservices",
		strings.Join(cmds, "; "), more, unsafeDeleteVerb)
}

// namespaceAndName are the last two segments of a JenkinsService's key,
// ".../jenkinsservices/<namespace>/<name>".
func namespaceAndName(key string) (string, string, bool) {
	i := strings.LastIndex(key, "/jenkinsservices/")
	if i < 0 {
		return "", "", false
	}
	ns, name, ok := strings.Cut(key[i+len("/jenkinsservices/"):], "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return ns, name, true
}
