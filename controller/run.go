package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	cicdscheme "github.com/autobusi/cicd-apiserver/generated/clientset/versioned/scheme"
	cicdinformers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
)

const protobuf = "application/vnd.kubernetes.protobuf"

// The label selectors of the informers: the controller's own StatefulSets and
// Services; everyone else's (their metadata: a child's name may be taken by
// one); the Pods by the label the StatefulSet's selector and template share
// (not managed-by, which a hand edit of a Pod may drop while the StatefulSet
// still runs it; podOf keeps the instances).
var (
	ownSelector   = cicd.LabelManagedBy + "=" + cicd.ManagedBy
	otherSelector = cicd.LabelManagedBy + "!=" + cicd.ManagedBy
	podSelector   = cicd.LabelName + "=" + cicd.AppName
)

// Run runs the controller until ctx is done: with leader election, only while
// it leads. It returns an error when it loses the lease, so that the process
// exits and restarts as a candidate (as kube-controller-manager does).
func Run(ctx context.Context, o *Options) error {
	logger := klog.FromContext(ctx)
	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("client configuration: %w", err)
	}
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	cfg.UserAgent = rest.DefaultKubernetesUserAgent() + " " + cicd.ManagedBy
	cfg.ContentType, cfg.AcceptContentTypes = protobuf, protobuf+",application/json"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("core API client: %w", err)
	}
	cicdClient, err := versioned.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("JenkinsService client: %w", err)
	}
	metaClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("metadata client: %w", err)
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := cicdscheme.AddToScheme(scheme); err != nil {
		return err
	}
	// The Events outlive the signal: the last ones of the workers are still sent.
	eventsCtx, stopEvents := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEvents()
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.EventsV1()})
	if err := broadcaster.StartRecordingToSinkWithContext(eventsCtx); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme, cicd.ManagedBy)

	RegisterMetrics()
	var leaderHealth *leaderelection.HealthzAdaptor
	if o.LeaderElection.LeaderElect {
		leaderHealth = leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	}
	// Ready: a candidate waiting for the Lease, or a running controller whose
	// caches synced.
	var running, synced atomic.Bool
	srv, err := serveHealth(ctx, o.BindAddress, leaderHealth, func() bool { return !running.Load() || synced.Load() })
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	run := func(ctx context.Context) {
		running.Store(true)
		defer synced.Store(false)
		kubeInformers := informers.NewSharedInformerFactoryWithOptions(kube, 0,
			informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
				lo.LabelSelector = ownSelector
			}))
		podInformers := informers.NewSharedInformerFactoryWithOptions(kube, 0,
			informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
				lo.LabelSelector = podSelector
			}))
		cicdInformers := cicdinformers.NewSharedInformerFactory(cicdClient, 0)
		// The metadata of the StatefulSets and Services that are not the
		// controller's: a child's name may be taken by one of them.
		names := metadatainformer.NewFilteredSharedInformerFactory(metaClient, 0, metav1.NamespaceAll, func(lo *metav1.ListOptions) {
			lo.LabelSelector = otherSelector
		})
		ssNames := names.ForResource(appsv1.SchemeGroupVersion.WithResource("statefulsets"))
		svcNames := names.ForResource(corev1.SchemeGroupVersion.WithResource("services"))
		for _, inf := range []informers.GenericInformer{ssNames, svcNames} {
			if err := inf.Informer().SetTransform(namesOnly); err != nil {
				logger.Error(err, "Creating the controller")
				return
			}
		}
		c, err := New(kube, cicdClient, Informers{
			JenkinsServices:  cicdInformers.Cicd().V1beta().JenkinsServices(),
			StatefulSets:     kubeInformers.Apps().V1().StatefulSets(),
			Services:         kubeInformers.Core().V1().Services(),
			Pods:             podInformers.Core().V1().Pods(),
			StatefulSetNames: ssNames,
			ServiceNames:     svcNames,
		}, recorder, o.homeSize)
		if err != nil {
			logger.Error(err, "Creating the controller")
			return
		}
		kubeInformers.Start(ctx.Done())
		podInformers.Start(ctx.Done())
		cicdInformers.Start(ctx.Done())
		names.Start(ctx.Done())
		defer kubeInformers.Shutdown()
		defer podInformers.Shutdown()
		defer cicdInformers.Shutdown()
		defer names.Shutdown()
		go func() {
			if c.waitForCaches(ctx) {
				synced.Store(true)
			}
		}()
		c.Run(ctx, o.Workers)
	}

	if !o.LeaderElection.LeaderElect {
		run(ctx)
		return nil
	}
	return runLeading(ctx, o, kube, leaderHealth, run)
}

// namesOnly keeps of an object's metadata what the controller reads of
// StatefulSets and Services that are not its own (name, labels, owners): the
// informers of all of them in the cluster hold little.
func namesOnly(obj any) (any, error) {
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
		m.ManagedFields, m.Annotations = nil, nil
	}
	return obj, nil
}

// runLeading runs run while this process holds the Lease. On a signal it stops
// the workers first and then releases the Lease, so that the next leader starts
// at once and never alongside this one.
func runLeading(ctx context.Context, o *Options, kube kubernetes.Interface, health *leaderelection.HealthzAdaptor, run func(context.Context)) error {
	logger := klog.FromContext(ctx)
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	id := host + "_" + uuid.NewString()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.LeaderElection.ResourceNamespace, Name: o.LeaderElection.ResourceName},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}
	// The election lives until the workers have stopped.
	leCtx, leCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer leCancel()
	var leading atomic.Bool
	runDone := make(chan struct{})
	go func() {
		<-ctx.Done()
		if leading.Load() {
			<-runDone
		}
		leCancel()
	}()

	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.LeaderElection.LeaseDuration.Duration,
		RenewDeadline:   o.LeaderElection.RenewDeadline.Duration,
		RetryPeriod:     o.LeaderElection.RetryPeriod.Duration,
		ReleaseOnCancel: true,
		WatchDog:        health,
		Name:            cicd.ManagedBy,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				leading.Store(true)
				defer close(runDone)
				logger.Info("Leading", "identity", id, "lease", o.LeaderElection.ResourceNamespace+"/"+o.LeaderElection.ResourceName)
				runCtx, cancel := context.WithCancel(lctx)
				defer cancel()
				stop := context.AfterFunc(ctx, cancel)
				defer stop()
				run(runCtx)
				leCancel()
			},
			OnStoppedLeading: func() { logger.Info("Stopped leading", "identity", id) },
			OnNewLeader:      func(leader string) { logger.Info("Leader", "identity", leader) },
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	le.Run(leCtx)
	if ctx.Err() == nil {
		return errors.New("lost the leader election lease")
	}
	return nil
}

// serveHealth serves /healthz (the leader election's watchdog), /readyz and
// /metrics on addr until the returned server is shut down.
func serveHealth(ctx context.Context, addr string, leader *leaderelection.HealthzAdaptor, ready func() bool) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if leader != nil {
			if err := leader.Check(r); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "caches not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/metrics", legacyregistry.Handler())
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--bind-address %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.FromContext(ctx).Error(err, "Serving /healthz, /readyz and /metrics")
		}
	}()
	return srv, nil
}
