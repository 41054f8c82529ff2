package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	informers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
)

// storeReader is what the admission informer needs of the JenkinsService
// storage: list and watch, as the REST handlers call them.
type storeReader interface {
	rest.Lister
	rest.Watcher
}

// inProcessListerWatcher feeds the admission plugin's informer from the
// server's own JenkinsService storage (its watch cache), in process, and
// hands it v1beta objects, as a v1beta client would see them.
//
// Over loopback HTTP, every create cost the server a protobuf encode, a gzip
// and a TLS write of the watch event, and the informer a TLS read, a gunzip
// and a decode: about a tenth of the server's CPU per create (make bench,
// profile of ours-pb). In process it is one deep copy and one conversion.
//
// The storage is built after the admission chain, so the lister-watcher is
// bound to it later (bind); until then List and Watch fail and the reflector
// retries. The informers start in a post-start hook, after the API group is
// installed.
type inProcessListerWatcher struct {
	store atomic.Pointer[storeReader]
}

var (
	_ cache.ListerWatcherWithContext = &inProcessListerWatcher{}
	_ cache.ListerWatcher            = &inProcessListerWatcher{}
)

func (lw *inProcessListerWatcher) bind(s storeReader) { lw.store.Store(&s) }

// IsWatchListSemanticsUnSupported makes the reflector list, then watch,
// instead of asking for a watch that starts with the initial state.
func (lw *inProcessListerWatcher) IsWatchListSemanticsUnSupported() bool { return true }

// request is what List and Watch hand the storage: the bound storage, a
// context for all namespaces and the options in the internal version.
func (lw *inProcessListerWatcher) request(ctx context.Context, opts metav1.ListOptions) (storeReader, context.Context, *metainternalversion.ListOptions, error) {
	s := lw.store.Load()
	if s == nil {
		return nil, nil, nil, fmt.Errorf("the jenkinsservices storage is not installed yet")
	}
	in := &metainternalversion.ListOptions{}
	if err := metainternalversion.Convert_v1_ListOptions_To_internalversion_ListOptions(&opts, in, nil); err != nil {
		return nil, nil, nil, err
	}
	return *s, genericapirequest.WithNamespace(ctx, metav1.NamespaceAll), in, nil
}

// ListWithContext lists every JenkinsService, in all namespaces.
func (lw *inProcessListerWatcher) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	s, ctx, in, err := lw.request(ctx, opts)
	if err != nil {
		return nil, err
	}
	list, err := s.List(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &v1beta.JenkinsServiceList{}
	if err := Scheme.Convert(list, out, nil); err != nil {
		return nil, fmt.Errorf("converting the list of jenkinsservices to %s: %w", v1beta.SchemeGroupVersion, err)
	}
	return out, nil
}

// WatchWithContext watches every JenkinsService, in all namespaces, and
// converts the events' objects to v1beta.
func (lw *inProcessListerWatcher) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	s, ctx, in, err := lw.request(ctx, opts)
	if err != nil {
		return nil, err
	}
	w, err := s.Watch(ctx, in)
	if err != nil {
		return nil, err
	}
	return watch.Filter(w, toV1beta), nil
}

// toV1beta converts an event's JenkinsService to v1beta. The watch cache
// shares the objects it sends among its watchers; GetObject of a cacheable
// one is a copy of our own, and conversion writes only to a new object.
func toV1beta(e watch.Event) (watch.Event, bool) {
	if e.Type == watch.Error {
		return e, true
	}
	obj := e.Object
	if c, ok := obj.(runtime.CacheableObject); ok {
		obj = c.GetObject()
	}
	out := &v1beta.JenkinsService{}
	if err := Scheme.Convert(obj, out, nil); err != nil {
		status := &metav1.Status{
			Status:  metav1.StatusFailure,
			Reason:  metav1.StatusReasonInternalError,
			Message: fmt.Sprintf("converting a watched jenkinsservice to %s: %v", v1beta.SchemeGroupVersion, err),
			Code:    500,
		}
		return watch.Event{Type: watch.Error, Object: status}, true
	}
	e.Object = out
	return e, true
}

// List and Watch are for callers that know no contexts.
func (lw *inProcessListerWatcher) List(opts metav1.ListOptions) (runtime.Object, error) {
	return lw.ListWithContext(context.Background(), opts)
}

func (lw *inProcessListerWatcher) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return lw.WatchWithContext(context.Background(), opts)
}

// useInProcessInformer registers, in f, the JenkinsService informer fed by lw,
// so that whoever asks f for it (the admission plugin) gets this one.
func useInProcessInformer(f informers.SharedInformerFactory, lw *inProcessListerWatcher) {
	f.InformerFor(&v1beta.JenkinsService{}, func(_ versioned.Interface, resync time.Duration) cache.SharedIndexInformer {
		return cache.NewSharedIndexInformer(lw, &v1beta.JenkinsService{}, resync,
			cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	})
}
