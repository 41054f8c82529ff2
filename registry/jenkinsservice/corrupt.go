package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/storage"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// An object in etcd that does not decode (the original server's JSON with a
// value this API refuses, or bytes that are no object at all) fails every
// read of it, and every list and watch of the resource, with a 500 that
// names its key (KEP-3926, AllowUnsafeMalformedObjectDeletion, on by default
// in 1.37). The errors below keep the library's code, reason and causes and
// add how to get out: the unsafe delete of each such object.

// corruptStorage is the store's storage with corruptObjectErrors on its
// reads. While the watch cache cannot load (a corrupt object stops it),
// lists and watches it would serve get its 429 "storage is
// (re)initializing", which says neither why nor that waiting will not help:
// a list of everything (the cache's 429 is meant for a cache that loads)
// then comes from etcd, as a page of it would, and any other such 429 is
// checked against etcd (corruptProbe): the list error that names the
// corrupt objects answers instead.
type corruptStorage struct {
	storage.Interface
	newObj func() runtime.Object
	probe  *corruptProbe
}

func newCorruptStorage(s storage.Interface, newObj, newList func() runtime.Object) *corruptStorage {
	return &corruptStorage{Interface: s, newObj: newObj, probe: &corruptProbe{newList: newList, last: map[probeKey]probeResult{}}}
}

func (s *corruptStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	return corruptObjectErrors(s.Interface.Get(ctx, key, opts, objPtr))
}

func (s *corruptStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	err := s.Interface.GetList(ctx, key, opts, listObj)
	if s.cacheNotReady(err) {
		if perr := s.probe.check(ctx, s.Interface, key, opts.Recursive); perr != nil {
			return perr
		}
		if unpagedLatest(opts) && s.probe.check(ctx, s.Interface, rootKey(key), true) != nil {
			// The cache is stuck on a corrupt object elsewhere: this list
			// comes from etcd, as the cache sends a page there while it is
			// not ready, so that clean namespaces stay listable. A cache
			// that is merely loading keeps its 429 (KEP-4568: no herd of
			// whole lists on etcd while it loads).
			opts.Predicate.Limit = probeLimit
			return corruptObjectErrors(s.Interface.GetList(ctx, key, opts, listObj))
		}
	}
	return corruptObjectErrors(err)
}

func (s *corruptStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	w, err := s.Interface.Watch(ctx, key, opts)
	if s.cacheNotReady(err) {
		if perr := s.probe.check(ctx, s.Interface, key, opts.Recursive); perr != nil {
			return nil, perr
		}
	}
	return w, corruptObjectErrors(err)
}

// GuaranteedUpdate names a corrupt object too: the library's update of one
// fails with the bare decoding error, a 500 without the key.
func (s *corruptStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	err := s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject)
	var status apierrors.APIStatus
	var storageErr *storage.StorageError
	if err != nil && ctx.Err() == nil && !errors.As(err, &status) && !errors.As(err, &storageErr) {
		if gerr := s.Interface.Get(ctx, key, storage.GetOptions{}, s.newObj()); storage.IsCorruptObject(gerr) {
			return corruptObjectErrors(gerr)
		}
	}
	return corruptObjectErrors(err)
}

// cacheNotReady is whether err is the watch cache's 429 for not being ready
// (not the one for a cache that lags).
func (s *corruptStorage) cacheNotReady(err error) bool {
	return apierrors.IsTooManyRequests(err) && s.Interface.ReadinessCheck() != nil
}

// Delete forgets the probes' answers once something is deleted: the object
// that failed them may be gone (the unsafe delete comes this way).
func (s *corruptStorage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	err := s.Interface.Delete(ctx, key, out, preconditions, validateDeletion, cachedExistingObject, opts)
	if err == nil {
		s.probe.forget()
	}
	return err
}

// unpagedLatest is a list of everything under a key, as of now or of any
// revision: etcd's answer with a limit no list reaches is a right answer.
func unpagedLatest(opts storage.ListOptions) bool {
	return opts.Predicate.Empty() && opts.Predicate.Limit == 0 && opts.Predicate.Continue == "" &&
		opts.ResourceVersionMatch == "" && (opts.ResourceVersion == "" || opts.ResourceVersion == "0") &&
		opts.SendInitialEvents == nil
}

// probeInterval is how long a probe's answer stands for its key: a cache
// that cannot load gets one etcd list per key and interval, not one per
// refused request (KEP-4568's 429 is there to spare etcd the lists).
const probeInterval = time.Second

// probeLimit makes the probe one unpaged list (the cache, not ready,
// sends lists with a limit and no selectors to etcd).
const probeLimit = 1 << 30

// corruptProbe lists a key's objects from etcd to find corrupt ones.
type corruptProbe struct {
	newList func() runtime.Object
	mu      sync.Mutex
	last    map[probeKey]probeResult
}

type probeKey struct {
	key       string
	recursive bool
}

type probeResult struct {
	at  time.Time
	err error
}

func (p *corruptProbe) forget() {
	p.mu.Lock()
	clear(p.last)
	p.mu.Unlock()
}

// check returns the list error naming the corrupt objects under key, or nil
// when there are none (or the list fails otherwise).
func (p *corruptProbe) check(ctx context.Context, s storage.Interface, key string, recursive bool) error {
	k := probeKey{key, recursive}
	p.mu.Lock()
	if r, ok := p.last[k]; ok && time.Since(r.at) < probeInterval {
		p.mu.Unlock()
		return r.err
	}
	p.last[k] = probeResult{at: time.Now()} // one probe at a time per key
	p.mu.Unlock()

	err := s.GetList(ctx, key, storage.ListOptions{
		Recursive: recursive,
		Predicate: storage.SelectionPredicate{Label: labels.Everything(), Field: fields.Everything(), Limit: probeLimit},
	}, p.newList())
	var statusErr *apierrors.StatusError
	if !errors.As(err, &statusErr) || statusErr.Status().Reason != metav1.StatusReasonStoreReadError {
		err = nil
	} else {
		err = corruptObjectErrors(err)
	}
	p.mu.Lock()
	p.last[k] = probeResult{at: time.Now(), err: err}
	for key, r := range p.last { // forget old keys (namespaces come and go)
		if time.Since(r.at) >= probeInterval {
			delete(p.last, key)
		}
	}
	p.mu.Unlock()
	return err
}

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
			cmds = append(cmds, fmt.Sprintf("kubectl delete --raw '%s'", unsafeDeletePath(ns, name)))
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

// unsafeDeletePath is the request of the unsafe delete of ns/name. kubectl
// v1.37 has no flag for the option (KEP-3926 left it to the API); its
// --raw DELETE sends the option as a query parameter.
func unsafeDeletePath(ns, name string) string {
	return fmt.Sprintf("/apis/%s/%s/namespaces/%s/jenkinsservices/%s?ignoreStoreReadErrorWithClusterBreakingPotential=true",
		cicd.GroupName, v1beta.SchemeGroupVersion.Version, ns, name)
}

// rootKey is the key of all JenkinsServices, the part of key up to the
// resource (a namespace may be named jenkinsservices too).
func rootKey(key string) string {
	if i := strings.Index(key, "/jenkinsservices"); i >= 0 {
		return key[:i+len("/jenkinsservices")]
	}
	return key
}

// namespaceAndName are the two segments after the resource in a
// JenkinsService's key, ".../jenkinsservices/<namespace>/<name>".
func namespaceAndName(key string) (string, string, bool) {
	i := strings.Index(key, "/jenkinsservices/")
	if i < 0 {
		return "", "", false
	}
	ns, name, ok := strings.Cut(key[i+len("/jenkinsservices/"):], "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return ns, name, true
}
