package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/rest"
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

// unreadyCache is a storage whose watch cache is not ready: lists without a
// limit and watches get the cache's 429; lists with a limit and no selector
// come from "etcd", which holds a corrupt object when corrupt is set.
type unreadyCache struct {
	storage.Interface
	corrupt, ready bool
	lists          []storage.ListOptions
}

func (u *unreadyCache) ReadinessCheck() error {
	if u.ready {
		return nil
	}
	return storage.ErrStorageNotReady
}

// etcdList holds the corrupt object team-a/bad: lists of the root and of
// team-a fail, those of other namespaces do not.
func (u *unreadyCache) etcdList(key string) error {
	if !u.corrupt || (key != testRoot && key != testRoot+"/team-a") {
		return nil
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{Code: 500, Reason: metav1.StatusReasonStoreReadError, Message: "failed to read",
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Field: "/registry/autobusi.group.cicd/jenkinsservices/team-a/bad"}}}}}
}

func (u *unreadyCache) GetList(_ context.Context, key string, opts storage.ListOptions, _ runtime.Object) error {
	u.lists = append(u.lists, opts)
	if opts.Predicate.Limit > 0 && opts.Predicate.Empty() {
		return u.etcdList(key)
	}
	return apierrors.NewTooManyRequests("storage is (re)initializing", 1)
}

func (u *unreadyCache) Watch(context.Context, string, storage.ListOptions) (watch.Interface, error) {
	return nil, apierrors.NewTooManyRequests("storage is (re)initializing", 1)
}

func (u *unreadyCache) Delete(context.Context, string, runtime.Object, *storage.Preconditions, storage.ValidateObjectFunc, runtime.Object, storage.DeleteOptions) error {
	u.corrupt = false
	return nil
}

func newList() runtime.Object { return &cicd.JenkinsServiceList{} }
func newObj() runtime.Object  { return &cicd.JenkinsService{} }

func isStoreReadError(err error) bool {
	return apierrors.ReasonForError(err) == metav1.StatusReasonStoreReadError && strings.Contains(err.Error(), corruptFlag)
}

// testRoot is the key of all JenkinsServices in the unit tests.
const testRoot = "/autobusi.group.cicd/jenkinsservices"

func TestCorruptStorageUnreadyCache(t *testing.T) {
	ctx := context.Background()
	selected := storage.ListOptions{Recursive: true, Predicate: storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"a": "b"}), Field: fields.Everything()}}
	plain := storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.SelectionPredicate{Label: labels.Everything(), Field: fields.Everything()}}
	teamA, teamB := testRoot+"/team-a", testRoot+"/team-b"

	u := &unreadyCache{corrupt: true}
	s := newCorruptStorage(u, newObj, newList)
	// The namespace with the corrupt object: the probe's answer names it.
	if err := s.GetList(ctx, teamA, plain, newList()); !isStoreReadError(err) {
		t.Errorf("plain list: %v, want the corrupt objects named", err)
	}
	// A clean namespace while the cache is stuck on it: an unpaged list of
	// everything comes from etcd, as a page would (after the probes of the
	// namespace and of the root).
	n := len(u.lists)
	if err := s.GetList(ctx, teamB, plain, newList()); err != nil {
		t.Errorf("plain list of a clean namespace: %v", err)
	}
	if last := u.lists[len(u.lists)-1]; len(u.lists) != n+4 || last.Predicate.Limit != probeLimit || last.ResourceVersion != "0" {
		t.Errorf("plain list sent on as %+v after %d lists, want the same with the probe's limit after 4", last, len(u.lists)-n)
	}
	// Lists with selectors and watches: the probe's answer, one probe a second.
	n = len(u.lists)
	for range 3 {
		if err := s.GetList(ctx, teamA, selected, newList()); !isStoreReadError(err) {
			t.Errorf("selected list: %v, want the corrupt objects named", err)
		}
		if _, err := s.Watch(ctx, teamA, selected); !isStoreReadError(err) {
			t.Errorf("watch: %v, want the corrupt objects named", err)
		}
	}
	if got := len(u.lists) - n; got != 3 {
		t.Errorf("%d lists sent to the storage, want the 3 selected ones (no more probes)", got)
	}
	// A delete forgets the probes: the corrupt object is gone, and the cache
	// that loads keeps its 429 for every list it would serve.
	if err := s.Delete(ctx, teamA+"/bad", &cicd.JenkinsService{}, nil, rest.ValidateAllObjectFunc, nil, storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{teamA, teamB, testRoot} {
		if err := s.GetList(ctx, key, selected, newList()); !apierrors.IsTooManyRequests(err) {
			t.Errorf("selected list of %s after the delete: %v, want the cache's 429", key, err)
		}
		if err := s.GetList(ctx, key, plain, newList()); !apierrors.IsTooManyRequests(err) {
			t.Errorf("plain list of %s after the delete: %v, want the cache's 429", key, err)
		}
	}

	// A cache that is loading, with nothing corrupt: its 429 as it is, and
	// no list of everything from etcd.
	u = &unreadyCache{}
	s = newCorruptStorage(u, newObj, newList)
	if err := s.GetList(ctx, teamB, plain, newList()); !apierrors.IsTooManyRequests(err) {
		t.Errorf("plain list from a loading cache: %v, want its 429", err)
	}
	for _, l := range u.lists {
		if l.ResourceVersion == "0" && l.Predicate.Limit == probeLimit {
			t.Errorf("a loading cache sent the plain list to etcd: %+v", l)
		}
	}

	// A ready cache's 429 (one that lags) is passed on as it is.
	u = &unreadyCache{corrupt: true, ready: true}
	s = newCorruptStorage(u, newObj, newList)
	if err := s.GetList(ctx, teamA, plain, newList()); !apierrors.IsTooManyRequests(err) || len(u.lists) != 1 {
		t.Errorf("plain list from a ready cache: %v after %d lists, want its 429 after 1", err, len(u.lists))
	}
	if _, err := s.Watch(ctx, teamA, selected); !apierrors.IsTooManyRequests(err) || len(u.lists) != 1 {
		t.Errorf("watch of a ready cache: %v after %d lists, want its 429 and no probe", err, len(u.lists))
	}
}

func TestRootKey(t *testing.T) {
	for key, want := range map[string]string{
		testRoot:                      testRoot,
		testRoot + "/":                testRoot,
		testRoot + "/team-a":          testRoot,
		testRoot + "/jenkinsservices": testRoot, // a namespace of that name
		"/other":                      "/other",
	} {
		if got := rootKey(key); got != want {
			t.Errorf("rootKey(%q) = %q, want %q", key, got, want)
		}
	}
	if ns, name, ok := namespaceAndName(testRoot + "/jenkinsservices/ci"); !ok || ns != "jenkinsservices" || name != "ci" {
		t.Errorf("namespaceAndName in the namespace jenkinsservices: %q %q %v", ns, name, ok)
	}
}

func TestUnpagedLatest(t *testing.T) {
	every := storage.SelectionPredicate{Label: labels.Everything(), Field: fields.Everything()}
	for _, tc := range []struct {
		name string
		opts storage.ListOptions
		want bool
	}{
		{"consistent", storage.ListOptions{Predicate: every}, true},
		{"any", storage.ListOptions{ResourceVersion: "0", Predicate: every}, true},
		{"exact", storage.ListOptions{ResourceVersion: "7", ResourceVersionMatch: metav1.ResourceVersionMatchExact, Predicate: every}, false},
		{"not older than 7", storage.ListOptions{ResourceVersion: "7", Predicate: every}, false},
		{"limit", storage.ListOptions{Predicate: storage.SelectionPredicate{Label: labels.Everything(), Field: fields.Everything(), Limit: 5}}, false},
		{"label", storage.ListOptions{Predicate: storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"a": "b"}), Field: fields.Everything()}}, false},
		{"field", storage.ListOptions{Predicate: storage.SelectionPredicate{Label: labels.Everything(), Field: fields.OneTermEqualSelector("metadata.name", "x")}}, false},
	} {
		if got := unpagedLatest(tc.opts); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// corruptInEtcd fails updates of a corrupt object as the library does: with
// the bare decoding error; its Get names the key.
type corruptInEtcd struct {
	storage.Interface
	gets int
}

func (c *corruptInEtcd) GuaranteedUpdate(context.Context, string, runtime.Object, bool, *storage.Preconditions, storage.UpdateFunc, runtime.Object) error {
	return errors.New("object not decodable revision=5: bad")
}

func (c *corruptInEtcd) Get(_ context.Context, key string, _ storage.GetOptions, _ runtime.Object) error {
	c.gets++
	return storage.NewCorruptObjError(key, errors.New("object not decodable"))
}

func TestCorruptStorageUpdate(t *testing.T) {
	c := &corruptInEtcd{}
	s := newCorruptStorage(c, newObj, newList)
	err := s.GuaranteedUpdate(context.Background(), "/autobusi.group.cicd/jenkinsservices/team-a/bad", &cicd.JenkinsService{}, false, nil, nil, nil)
	if !storage.IsCorruptObject(err) || !strings.Contains(err.Error(), "/namespaces/team-a/jenkinsservices/bad"+corruptFlag) {
		t.Errorf("update of a corrupt object: %v, want the corrupt object error with the command", err)
	}
	if c.gets != 1 {
		t.Errorf("%d reads, want 1", c.gets)
	}
}
