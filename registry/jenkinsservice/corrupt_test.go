package jenkinsservice

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

const corruptFlag = "?ignoreStoreReadErrorWithClusterBreakingPotential=true"

func TestCorruptObjectErrorsGet(t *testing.T) {
	err := storage.NewCorruptObjError("/autobusi.group.cicd/jenkinsservices/team-a/bad", errors.New("object not decodable"))
	got := corruptObjectErrors(err)
	if !storage.IsCorruptObject(got) {
		t.Fatalf("the corrupt object error is lost: %v", got)
	}
	// What the generic store makes of it: still a 500 naming the key.
	api := storeerr.InterpretGetError(got, cicd.Resource("jenkinsservices"), "bad")
	if code := apierrors.ReasonForError(api); code != metav1.StatusReasonInternalError {
		t.Errorf("reason %q, want InternalError", code)
	}
	for _, want := range []string{"corrupt object", "/jenkinsservices/team-a/bad", "kubectl delete --raw '/apis/autobusi.group.cicd/v1beta/namespaces/team-a/jenkinsservices/bad" + corruptFlag + "'", unsafeDeleteVerb} {
		if !strings.Contains(api.Error(), want) {
			t.Errorf("message lacks %q: %s", want, api.Error())
		}
	}
}

func TestCorruptObjectErrorsList(t *testing.T) {
	var causes []metav1.StatusCause
	for i := range maxCorruptHints + 2 {
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeUnexpectedServerResponse,
			Field: fmt.Sprintf("/registry/x/autobusi.group.cicd/jenkinsservices/ns%d/bad", i)})
	}
	list := &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 500,
		Reason: metav1.StatusReasonStoreReadError, Message: "failed to read one or more jenkinsservices",
		Details: &metav1.StatusDetails{Name: "list", Causes: causes}}}
	got := corruptObjectErrors(list)
	status := apierrors.APIStatus(nil)
	if !errors.As(got, &status) || status.Status().Code != 500 || status.Status().Reason != metav1.StatusReasonStoreReadError ||
		len(status.Status().Details.Causes) != len(causes) {
		t.Fatalf("the status changed beyond its message: %#v", got)
	}
	msg := status.Status().Message
	for _, want := range []string{"failed to read one or more jenkinsservices", "kubectl delete --raw '/apis/autobusi.group.cicd/v1beta/namespaces/ns0/jenkinsservices/bad" + corruptFlag + "'",
		"/namespaces/ns9/", "(and the same for 2 more)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "/namespaces/ns10/") {
		t.Errorf("more than %d commands: %s", maxCorruptHints, msg)
	}
	if list.ErrStatus.Message != "failed to read one or more jenkinsservices" {
		t.Errorf("the original error changed: %q", list.ErrStatus.Message)
	}

	// The watch cache's 429 carries the list error as text.
	unready := apierrors.NewTooManyRequests("storage is (re)initializing: failed to read: StorageError: corrupt object, Code: 7, Key: /registry/x/autobusi.group.cicd/jenkinsservices/team-b/junk, ResourceVersion: 0, AdditionalErrorMsg: x", 1)
	if msg := corruptObjectErrors(unready).Error(); !strings.Contains(msg, "kubectl delete --raw '/apis/autobusi.group.cicd/v1beta/namespaces/team-b/jenkinsservices/junk"+corruptFlag+"'") {
		t.Errorf("429 without the command: %s", msg)
	}
}

func TestCorruptObjectErrorsOthersUnchanged(t *testing.T) {
	for _, err := range []error{
		nil,
		errors.New("plain"),
		storage.NewKeyNotFoundError("/autobusi.group.cicd/jenkinsservices/a/b", 0),
		apierrors.NewTooManyRequests("storage is (re)initializing", 1),
		apierrors.NewNotFound(cicd.Resource("jenkinsservices"), "x"),
		storage.NewCorruptObjError("/something/else", errors.New("x")),
	} {
		got := corruptObjectErrors(err)
		if err == nil {
			if got != nil {
				t.Errorf("nil became %v", got)
			}
			continue
		}
		if got != err {
			t.Errorf("%v changed: %v", err, got)
		}
	}
}
