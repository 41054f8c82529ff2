package jenkinsservice

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// A delete-collection through the generic store deletes object by object,
// each with a Get, an encoding of the object and a transaction in etcd, the
// deleted object decoded again. Ours decides each deletion from the listed
// object as Store.Delete would and sends the plain ones (no finalizers, no
// graceful deletion, no dry-run, admission allowing it) straight to etcd: one
// transaction per object, guarded by its listed revision, nothing read or
// decoded. Anything else, and every deletion that lost a race with a write,
// goes through Store.Delete.
//
// One object per transaction, not many: the watch cache needs each event at
// a revision of its own. With the deletions of one transaction at one
// revision, the cache's resourceVersion reaches it at the first of them, so
// a consistent list after the call could still see the rest, and a watch
// resumed from that revision would miss them (docs/benchmarks.md).

// deleteCollectionPageSize is the page of the list the deletions come from,
// the generic store's (a variable for the tests).
var deleteCollectionPageSize int64 = 10000

// etcdDeletion is what deletions straight to etcd need: a client of the
// storage etcd and the etcd key prefix the store's keys are joined to.
type etcdDeletion struct {
	etcd *clientv3.Client
	// pathPrefix is "/" + --etcd-prefix + "/", as the etcd3 store joins it
	// to the store's keys (KeyFunc: "/" + resource prefix + "/ns/name").
	pathPrefix string
}

// storagePathPrefix is the prefix the etcd3 store puts before every key of
// the resource, from the options the store is built with.
func storagePathPrefix(optsGetter generic.RESTOptionsGetter) (string, error) {
	opts, err := optsGetter.GetRESTOptions(cicd.Resource("jenkinsservices"), &cicd.JenkinsService{})
	if err != nil {
		return "", err
	}
	if opts.StorageConfig == nil {
		return "", fmt.Errorf("no storage configured for jenkinsservices")
	}
	p := path.Join("/", opts.StorageConfig.Prefix)
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p, nil
}

// DeleteWithEtcd makes DeleteCollection delete plain deletions through
// client, a client of the etcd the store keeps its objects in. Without it (nil)
// DeleteCollection is the generic store's.
func (r *REST) DeleteWithEtcd(client *clientv3.Client) {
	r.direct.etcd = client
}

// DeleteCollection deletes the objects the list options select, as the
// generic store does: the result is the list of them as listed, and an error
// of one deletion (but NotFound) ends the call with that error, some objects
// deleted. Options that make a deletion an update (dry-run, orphan or
// foreground propagation) go the generic way for all objects.
func (r *REST) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions, listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	if r.direct.etcd == nil || !directOptions(options) {
		return r.Store.DeleteCollection(ctx, deleteValidation, options, listOptions)
	}
	if options == nil {
		options = metav1.NewDeleteOptions(0) // what Store.Delete does with nil
	}
	if listOptions == nil {
		listOptions = &metainternalversion.ListOptions{}
	} else {
		listOptions = listOptions.DeepCopy()
	}
	hasLimit := listOptions.Limit > 0
	if !hasLimit {
		listOptions.Limit = deleteCollectionPageSize
	}

	var first runtime.Object
	var items []runtime.Object
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		list, err := r.List(ctx, listOptions)
		if err != nil {
			return nil, err
		}
		page, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		if err := r.deleteItems(ctx, page, deleteValidation, options); err != nil {
			return nil, err
		}
		if hasLimit { // one page, as asked
			return list, nil
		}
		items = append(items, page...)
		if first == nil {
			first = list
		}
		m, err := meta.ListAccessor(list)
		if err != nil {
			return nil, err
		}
		if m.GetContinue() == "" {
			if err := meta.SetList(first, items); err != nil {
				return nil, err
			}
			return first, nil
		}
		listOptions.Continue = m.GetContinue()
		listOptions.ResourceVersion = ""
		listOptions.ResourceVersionMatch = ""
	}
}

// directOptions is whether options can delete objects without updating
// them: not a dry-run, and no propagation that adds a finalizer.
func directOptions(options *metav1.DeleteOptions) bool {
	if options == nil {
		return true
	}
	//nolint:staticcheck // SA1019: the deprecated field still decides orphaning.
	if len(options.DryRun) > 0 || options.OrphanDependents != nil {
		return false
	}
	return options.PropagationPolicy == nil || *options.PropagationPolicy == metav1.DeletePropagationBackground
}

// deleteItems deletes a page of listed objects on --delete-collection-workers
// workers. The first error stops the workers taking new objects and is
// returned.
func (r *REST) deleteItems(ctx context.Context, items []runtime.Object, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) error {
	queue := make(chan runtime.Object)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		failed   = make(chan struct{})
	)
	for range max(1, min(r.DeleteCollectionWorkers, len(items))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range queue {
				if err := r.deleteItem(ctx, item, deleteValidation, options); err != nil {
					once.Do(func() { firstErr = err; close(failed) })
					return
				}
			}
		}()
	}
send:
	for _, item := range items {
		select {
		case queue <- item:
		case <-failed:
			break send
		case <-ctx.Done():
			once.Do(func() { firstErr = ctx.Err(); close(failed) })
			break send
		}
	}
	close(queue)
	wg.Wait()
	return firstErr
}

// deleteItem deletes a plain deletion in a transaction of its own, guarded by
// the listed revision, and any other through Store.Delete. When the guard
// fails (the object changed or went away since the list) or etcd does not
// answer, Store.Delete reads the object again and decides anew.
func (r *REST) deleteItem(ctx context.Context, item runtime.Object, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) error {
	js, ok := item.(*cicd.JenkinsService)
	if !ok {
		return apierrors.NewInternalError(fmt.Errorf("listed a %T", item))
	}
	if key, rev, plain := r.plainDeletion(ctx, js, deleteValidation, options); plain {
		resp, err := r.direct.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpDelete(key)).
			Commit()
		if err == nil && resp.Succeeded {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
	}
	return r.deleteOne(ctx, js, deleteValidation, options)
}

// plainDeletion is whether Store.Delete, given js as the stored object, would
// delete it at once: no finalizers, no deletion in progress, the delete
// strategy and the preconditions agreeing, admission allowing it. Then it
// returns the etcd key of js and the revision to guard its deletion with.
func (r *REST) plainDeletion(ctx context.Context, js *cicd.JenkinsService, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (string, int64, bool) {
	if len(js.Finalizers) > 0 || js.DeletionTimestamp != nil || js.DeletionGracePeriodSeconds != nil {
		return "", 0, false
	}
	rev, err := strconv.ParseInt(js.ResourceVersion, 10, 64)
	if err != nil || rev <= 0 {
		return "", 0, false
	}
	// BeforeDelete changes neither the object (no deletion in progress, no
	// graceful strategy) nor, as a copy, the caller's options.
	graceful, pending, err := rest.BeforeDelete(r.DeleteStrategy, ctx, js, options.DeepCopy())
	if err != nil || graceful || pending {
		return "", 0, false
	}
	if err := deleteValidation(ctx, js); err != nil {
		return "", 0, false // Store.Delete checks the object as stored and reports
	}
	key, err := r.KeyFunc(genericapirequest.WithNamespace(ctx, js.Namespace), js.Name)
	if err != nil {
		return "", 0, false
	}
	return r.direct.pathPrefix + strings.TrimPrefix(key, "/"), rev, true
}

// deleteOne deletes js through the generic store, as its DeleteCollection
// does: a NotFound is no error (someone else deleted it).
func (r *REST) deleteOne(ctx context.Context, js *cicd.JenkinsService, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) error {
	_, _, err := r.Delete(genericapirequest.WithNamespace(ctx, js.Namespace), js.Name, deleteValidation, options.DeepCopy())
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
