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

// A delete-collection through the generic store deletes object by object, each
// with a read and a transaction of its own in etcd. Ours decides each deletion
// as Store.Delete would and sends the plain ones (no finalizers, no graceful
// deletion, no dry-run, admission allowing it) to etcd in multi-key
// transactions guarded by every object's listed revision; anything else, and
// every batch that lost a race with a write, goes through Store.Delete.

const (
	// deleteBatchSize is the number of keys in one transaction: below etcd's
	// --max-txn-ops, 128 by default.
	deleteBatchSize = 100
	// deleteCollectionPageSize is the page of the list the deletions come from,
	// the generic store's.
	deleteCollectionPageSize = 10000
)

// batchDeletion is what batched deletions need: a client of the storage etcd
// and the etcd key prefix the store's keys are joined to.
type batchDeletion struct {
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

// DeleteWithEtcd makes DeleteCollection delete in batches through client, a
// client of the etcd the store keeps its objects in. Without it (nil)
// DeleteCollection is the generic store's.
func (r *REST) DeleteWithEtcd(client *clientv3.Client) {
	r.batch.etcd = client
}

// DeleteCollection deletes the objects the list options select, as the
// generic store does: the result is the list of them as listed, and an error
// of one deletion (but NotFound) ends the call with that error, some objects
// deleted. Options that make a deletion an update (dry-run, orphan or
// foreground propagation) go the generic way for all objects.
func (r *REST) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions, listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	if r.batch.etcd == nil || !batchableOptions(options) {
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

// batchableOptions is whether options can delete objects without updating
// them: not a dry-run, and no propagation that adds a finalizer.
func batchableOptions(options *metav1.DeleteOptions) bool {
	if options == nil {
		return true
	}
	//nolint:staticcheck // SA1019: the deprecated field still decides orphaning.
	if len(options.DryRun) > 0 || options.OrphanDependents != nil {
		return false
	}
	return options.PropagationPolicy == nil || *options.PropagationPolicy == metav1.DeletePropagationBackground
}

// deleteItems deletes a page of listed objects in batches of deleteBatchSize,
// --delete-collection-workers batches at a time. The first error stops the
// workers taking new batches and is returned.
func (r *REST) deleteItems(ctx context.Context, items []runtime.Object, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) error {
	batches := make(chan []runtime.Object)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		failed   = make(chan struct{})
	)
	workers := max(1, min(r.DeleteCollectionWorkers, (len(items)+deleteBatchSize-1)/deleteBatchSize))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				if err := r.deleteBatch(ctx, batch, deleteValidation, options); err != nil {
					once.Do(func() { firstErr = err; close(failed) })
					return
				}
			}
		}()
	}
send:
	for start := 0; start < len(items); start += deleteBatchSize {
		select {
		case batches <- items[start:min(start+deleteBatchSize, len(items))]:
		case <-failed:
			break send
		case <-ctx.Done():
			once.Do(func() { firstErr = ctx.Err(); close(failed) })
			break send
		}
	}
	close(batches)
	wg.Wait()
	return firstErr
}

// deleteBatch deletes the plain deletions of batch in one transaction and the
// others one by one through Store.Delete. When the transaction fails (an
// object changed or went away since the list, or etcd did not answer), its
// objects go through Store.Delete, which reads each again.
func (r *REST) deleteBatch(ctx context.Context, batch []runtime.Object, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) error {
	var (
		plain []*cicd.JenkinsService
		cmps  []clientv3.Cmp
		ops   []clientv3.Op
	)
	for _, item := range batch {
		js, ok := item.(*cicd.JenkinsService)
		if !ok {
			return apierrors.NewInternalError(fmt.Errorf("listed a %T", item))
		}
		key, rev, ok := r.plainDeletion(ctx, js, deleteValidation, options)
		if !ok {
			if err := r.deleteOne(ctx, js, deleteValidation, options); err != nil {
				return err
			}
			continue
		}
		plain = append(plain, js)
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", rev))
		ops = append(ops, clientv3.OpDelete(key))
	}
	if len(plain) == 0 {
		return nil
	}
	resp, err := r.batch.etcd.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err == nil && resp.Succeeded {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	for _, js := range plain {
		if err := r.deleteOne(ctx, js, deleteValidation, options); err != nil {
			return err
		}
	}
	return nil
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
	return r.batch.pathPrefix + strings.TrimPrefix(key, "/"), rev, true
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
