package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	informers "github.com/autobusi/cicd-apiserver/generated/informers/externalversions"
	"github.com/autobusi/cicd-apiserver/server/storagelimit"
)

const (
	// DefaultLocalDataDir is the default of local mode's --data-dir.
	DefaultLocalDataDir = ".cicd-apiserver"
	// DefaultLocalSecurePort is the default of local mode's --secure-port.
	DefaultLocalSecurePort = 8443
	// AdminKubeconfigName is the admin kubeconfig's file name in the data dir.
	AdminKubeconfigName = "admin.kubeconfig"

	localReadyTimeout = time.Minute
)

// LocalOptions configure local mode: a stand-alone server with no
// kube-apiserver, its own etcd, CA and admin kubeconfig in a data directory.
type LocalOptions struct {
	// DataDir holds the etcd data, the certificates and admin.kubeconfig.
	// They are created on the first start and reused afterwards.
	DataDir string
	// BindAddress and SecurePort are where the server serves HTTPS.
	// SecurePort 0 picks a free port.
	BindAddress net.IP
	SecurePort  int
	// EtcdServers, when set, are used instead of the embedded etcd, with the
	// optional TLS files.
	EtcdServers                           []string
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string
	// MaxJenkinsServices is the admission limit; 0 is unlimited.
	MaxJenkinsServices int
	// EnableProfiling serves /debug/pprof.
	EnableProfiling bool
	Audit           *genericoptions.AuditOptions
	Logs            *logsapi.LoggingConfiguration
	// StorageLimit is --etcd-max-request-bytes, the embedded etcd's limit too.
	StorageLimit *storagelimit.Options
}

// NewLocalOptions returns local mode's defaults: ./.cicd-apiserver,
// 127.0.0.1:8443, embedded etcd, at most 10 JenkinsServices, profiling on.
func NewLocalOptions() *LocalOptions {
	return &LocalOptions{
		DataDir:            DefaultLocalDataDir,
		BindAddress:        netutils.ParseIPSloppy("127.0.0.1"),
		SecurePort:         DefaultLocalSecurePort,
		MaxJenkinsServices: DefaultMaxJenkinsServices,
		EnableProfiling:    true,
		Audit:              genericoptions.NewAuditOptions(),
		Logs:               logsapi.NewLoggingConfiguration(),
		StorageLimit:       storagelimit.NewOptions(),
	}
}

// Flags returns local mode's flags grouped into the sections --help prints.
func (o *LocalOptions) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	fs := fss.FlagSet("local")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, ""+
		"Directory of the local server's state: etcd data, the CA, serving and admin certificates (pki/), and "+
		AdminKubeconfigName+". Created on first start, reused afterwards.")

	fs = fss.FlagSet("secure serving")
	fs.IPVar(&o.BindAddress, "bind-address", o.BindAddress, ""+
		"The IP address to serve HTTPS on. The serving certificate covers 127.0.0.1, ::1 and localhost.")
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "The port to serve HTTPS on; 0 picks a free port.")

	fs = fss.FlagSet("etcd")
	fs.StringSliceVar(&o.EtcdServers, "etcd-servers", o.EtcdServers, ""+
		"etcd servers to use (scheme://ip:port, comma separated) instead of the embedded etcd in --data-dir.")
	fs.StringVar(&o.EtcdCAFile, "etcd-cafile", o.EtcdCAFile, "CA file to verify --etcd-servers with.")
	fs.StringVar(&o.EtcdCertFile, "etcd-certfile", o.EtcdCertFile, "Client certificate file for --etcd-servers.")
	fs.StringVar(&o.EtcdKeyFile, "etcd-keyfile", o.EtcdKeyFile, "Client key file for --etcd-servers.")
	o.StorageLimit.AddFlags(fs)

	addJenkinsServiceFlags(fss.FlagSet("admission"), &o.MaxJenkinsServices)

	fs = fss.FlagSet("features")
	fs.BoolVar(&o.EnableProfiling, "profiling", o.EnableProfiling,
		"Enable profiling via web interface host:port/debug/pprof/")
	compatibility.DefaultComponentGlobalsRegistry.AddFlags(fs)

	o.Audit.AddFlags(fss.FlagSet("audit"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logs"))
	return fss
}

// Validate checks the options.
func (o *LocalOptions) Validate() error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must be set"))
	}
	if o.SecurePort < 0 || o.SecurePort > 65535 {
		errs = append(errs, fmt.Errorf("--secure-port %d must be between 0 and 65535", o.SecurePort))
	}
	if o.BindAddress == nil {
		errs = append(errs, errors.New("--bind-address must be set"))
	}
	if o.MaxJenkinsServices < 0 {
		errs = append(errs, fmt.Errorf("--max-jenkinsservices must be 0 (unlimited) or more, got %d", o.MaxJenkinsServices))
	}
	if len(o.EtcdServers) == 0 && (o.EtcdCAFile != "" || o.EtcdCertFile != "" || o.EtcdKeyFile != "") {
		errs = append(errs, errors.New("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers"))
	}
	if o.Audit != nil {
		errs = append(errs, o.Audit.Validate()...)
	}
	errs = append(errs, o.StorageLimit.Validate()...)
	return utilerrors.NewAggregate(errs)
}

// LocalServer is a running local-mode server.
type LocalServer struct {
	// DataDir is the absolute data directory.
	DataDir string
	// KubeconfigPath is the absolute path of the admin kubeconfig
	// (system:masters, client certificate).
	KubeconfigPath string
	// URL is the server's address, https://127.0.0.1:<port>.
	URL string
	// PKI are the CA, serving and admin certificate files.
	PKI LocalPKI
	// EtcdServers are the etcd endpoints the server stores in.
	EtcdServers []string

	restConfig *rest.Config
	keys       storageKeys
	informers  informers.SharedInformerFactory // the admission plugin's
	cancel     context.CancelFunc
	done       chan struct{}
	err        error
}

// RESTConfig returns a copy of the admin client configuration.
func (s *LocalServer) RESTConfig() *rest.Config { return rest.CopyConfig(s.restConfig) }

// Done is closed once the server has stopped (and its embedded etcd with it).
func (s *LocalServer) Done() <-chan struct{} { return s.done }

// Err is why the server stopped; nil after a clean shutdown. Only
// meaningful once Done is closed.
func (s *LocalServer) Err() error { return s.err }

// Stop shuts the server down gracefully, then the embedded etcd, and waits
// for both. It can be called more than once.
func (s *LocalServer) Stop() error {
	s.cancel()
	<-s.done
	return s.err
}

// ReadyLine is the line local mode prints once it serves: a command a user
// can paste, in which tools find KUBECONFIG=<path>.
func (s *LocalServer) ReadyLine() string {
	return fmt.Sprintf("export KUBECONFIG=%s; kubectl get js", s.KubeconfigPath)
}

// StartLocal starts a local-mode server and returns once it is ready
// (/readyz answers ok to the admin kubeconfig). The server runs until Stop
// is called or ctx is done. With SecurePort 0 and a fresh DataDir, several
// servers can run side by side, in one process or several.
func StartLocal(ctx context.Context, o *LocalOptions) (_ *LocalServer, retErr error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}

	var cleanups []func()
	defer func() {
		if retErr != nil {
			for i := len(cleanups) - 1; i >= 0; i-- {
				cleanups[i]()
			}
		}
	}()

	// One server per data directory: a second one would wait forever for
	// the embedded etcd's database lock.
	lock, err := fileutil.TryLockFile(filepath.Join(dataDir, "lock"), os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, fmt.Errorf("data directory %s is in use by another cicd-apiserver", dataDir)
	} else if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { _ = lock.Close() })

	pki, err := ensureLocalPKI(filepath.Join(dataDir, "pki"))
	if err != nil {
		return nil, err
	}

	etcdServers := o.EtcdServers
	var etcd *embeddedEtcd
	if len(etcdServers) == 0 {
		if etcd, err = startEmbeddedEtcd(ctx, filepath.Join(dataDir, "etcd"), o.StorageLimit.MaxRequestBytes); err != nil {
			return nil, err
		}
		cleanups = append(cleanups, etcd.stop)
		etcdServers = []string{etcd.endpoint}
	}

	ro, err := o.recommendedOptions(etcdServers, pki)
	if err != nil {
		return nil, err
	}
	// The listener is opened here for port 0, otherwise by ApplyTo.
	cleanups = append(cleanups, func() {
		if l := ro.SecureServing.Listener; l != nil {
			_ = l.Close()
		}
	})
	gc := newRecommendedConfig()
	if err := ro.ApplyTo(gc); err != nil {
		return nil, err
	}
	if err := applyLocalAuth(&gc.Config, pki.CACert); err != nil {
		return nil, err
	}
	wiring, err := newAdmissionWiring(gc, o.MaxJenkinsServices)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, wiring.close)
	if err := localAdmission(gc, wiring); err != nil {
		return nil, err
	}
	cfg := &Config{GenericConfig: gc, ExtraConfig: wiring.extraConfig()}
	srv, err := cfg.Complete().New()
	if err != nil {
		return nil, err
	}

	s := &LocalServer{
		DataDir:        dataDir,
		KubeconfigPath: filepath.Join(dataDir, AdminKubeconfigName),
		URL:            "https://" + net.JoinHostPort(clientHost(o.BindAddress), strconv.Itoa(ro.SecureServing.BindPort)),
		PKI:            pki,
		EtcdServers:    etcdServers,
		keys:           wiring.keys,
		informers:      wiring.informers,
		done:           make(chan struct{}),
	}
	if err := writeAdminKubeconfig(s.KubeconfigPath, s.URL, pki); err != nil {
		return nil, err
	}
	if s.restConfig, err = clientcmd.BuildConfigFromFlags("", s.KubeconfigPath); err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go func() {
		defer close(s.done)
		s.err = srv.Run(runCtx)
		if etcd != nil {
			etcd.stop()
		}
		_ = lock.Close()
	}()
	// From here on the server owns the listener, the wiring and the etcd.
	cleanups = []func(){func() { _ = s.Stop() }}

	if err := s.waitReady(ctx, localReadyTimeout); err != nil {
		return nil, err
	}
	return s, nil
}

// recommendedOptions are the generic options of local mode: serving with our
// certificate, storage in the given etcd, no delegated authentication,
// authorization, core API or admission (StartLocal sets up its own), and no
// priority and fairness (it needs the core API).
func (o *LocalOptions) recommendedOptions(etcdServers []string, pki LocalPKI) (*genericoptions.RecommendedOptions, error) {
	ro := genericoptions.NewRecommendedOptions(EtcdPathPrefix, storageCodec())
	setStorageDefaults(ro.Etcd)
	t := &ro.Etcd.StorageConfig.Transport
	t.ServerList = etcdServers
	if len(o.EtcdServers) > 0 {
		t.TrustedCAFile, t.CertFile, t.KeyFile = o.EtcdCAFile, o.EtcdCertFile, o.EtcdKeyFile
	}
	if err := completeStorage(ro.Etcd); err != nil {
		return nil, err
	}
	o.StorageLimit.ApplyTo(ro.Etcd)

	ro.SecureServing.BindAddress = o.BindAddress
	ro.SecureServing.BindPort = o.SecurePort
	ro.SecureServing.ServerCert.CertKey = genericoptions.CertKey{CertFile: pki.ServingCert, KeyFile: pki.ServingKey}
	if o.SecurePort == 0 {
		// The generic server treats port 0 as "do not serve": listen here.
		l, err := net.Listen("tcp", net.JoinHostPort(o.BindAddress.String(), "0"))
		if err != nil {
			return nil, err
		}
		ro.SecureServing.Listener = l
		ro.SecureServing.BindPort = l.Addr().(*net.TCPAddr).Port
	}

	ro.Features.EnableProfiling = o.EnableProfiling
	ro.Features.EnablePriorityAndFairness = false
	ro.Audit = o.Audit
	ro.Authentication = nil
	ro.Authorization = nil
	ro.CoreAPI = nil
	ro.Admission = nil

	var errs []error
	errs = append(errs, ro.Etcd.Validate()...)
	errs = append(errs, ro.SecureServing.Validate()...)
	return ro, utilerrors.NewAggregate(errs)
}

// clientHost is the address clients use for a bind address: loopback for
// the unspecified and loopback addresses, the address itself otherwise.
func clientHost(bind net.IP) string {
	switch {
	case bind.Equal(net.IPv6loopback):
		return "::1"
	case bind.IsUnspecified() || bind.IsLoopback():
		return "127.0.0.1"
	default:
		return bind.String()
	}
}

// waitReady polls /readyz with the admin credentials until it answers ok,
// the server stops, or the timeout passes.
func (s *LocalServer) waitReady(ctx context.Context, timeout time.Duration) error {
	client, err := rest.HTTPClientFor(s.restConfig)
	if err != nil {
		return err
	}
	client.Timeout = 2 * time.Second
	defer client.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz: %s: %s", resp.Status, body)
		}
		last = err
		select {
		case <-s.done:
			if s.err != nil {
				return s.err
			}
			return errors.New("server stopped before it was ready")
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("server not ready after %v: %w", timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// RunLocal runs local mode until ctx is done: it starts the server, prints
// the ready line to out, and shuts down gracefully when ctx ends.
func RunLocal(ctx context.Context, o *LocalOptions, out io.Writer) error {
	started := time.Now()
	s, err := StartLocal(ctx, o)
	if err != nil {
		return err
	}
	klog.InfoS("Local cicd-apiserver ready", "url", s.URL, "dataDir", s.DataDir,
		"etcd", s.EtcdServers, "startup", time.Since(started).Round(time.Millisecond))
	fmt.Fprintln(out, s.ReadyLine())
	select {
	case <-ctx.Done():
	case <-s.Done():
	}
	return s.Stop()
}
