// Package local is what local mode changes in the server's one options →
// config → server path: storage in an embedded etcd, a CA with serving and
// admin certificates and an admin kubeconfig, all kept in a data directory,
// and authentication by client certificates of that CA with system:masters
// the only authorized group. Everything else is delegated mode's.
package local

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

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	netutils "k8s.io/utils/net"
)

const (
	// DefaultDataDir is the default of --data-dir.
	DefaultDataDir = ".cicd-apiserver"
	// DefaultSecurePort is local mode's default of --secure-port.
	DefaultSecurePort = 8443
	// AdminKubeconfigName is the admin kubeconfig's file name in the data dir.
	AdminKubeconfigName = "admin.kubeconfig"

	readyTimeout = time.Minute
)

// Options are local mode's own flag and the resources it brings up.
type Options struct {
	// DataDir holds the etcd data, the certificates and admin.kubeconfig,
	// created on the first start and reused afterwards.
	DataDir string
	// EtcdMaxRequestBytes is the embedded etcd's --max-request-bytes, the
	// server's --etcd-max-request-bytes (0: etcd's default).
	EtcdMaxRequestBytes int64

	dataDir    string // DataDir made absolute by Complete
	pki        PKI
	etcd       *Etcd // nil with --etcd-servers
	lock       *fileutil.LockedFile
	listener   net.Listener // opened by Complete for --secure-port 0
	kubeconfig string
	url        string
}

// NewOptions returns local mode's defaults.
func NewOptions() *Options {
	return &Options{DataDir: DefaultDataDir}
}

// ApplyDefaults turns the generic options into local mode's: HTTPS on
// 127.0.0.1:8443; no delegated authentication, authorization, core API or
// admission chain (there is no kube-apiserver to delegate to, and the server
// then runs its own admission plugin alone); no priority and fairness (it
// needs the core API); profiling on.
func ApplyDefaults(ro *genericoptions.RecommendedOptions) {
	ro.SecureServing.BindAddress = netutils.ParseIPSloppy("127.0.0.1")
	ro.SecureServing.BindPort = DefaultSecurePort
	ro.Authentication = nil
	ro.Authorization = nil
	ro.CoreAPI = nil
	ro.Admission = nil
	ro.Features.EnablePriorityAndFairness = false
	ro.Features.EnableProfiling = true
}

// AddFlags adds --data-dir.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, ""+
		"Directory of the local server's state: etcd data (unless --etcd-servers is set), the CA, serving and admin "+
		"certificates (pki/), and "+AdminKubeconfigName+". Created on first start, reused afterwards.")
}

// Validate checks local mode's flag.
func (o *Options) Validate() []error {
	if o.DataDir == "" {
		return []error{errors.New("--data-dir must be set")}
	}
	return nil
}

// Complete brings up what local mode stores in and serves with, and points
// the generic options at it: it locks the data directory (one server per
// directory), creates or reuses the certificates, starts the embedded etcd
// unless --etcd-servers names one, and opens the listener for --secure-port 0
// (which the generic server takes as "do not serve"). Close releases it all.
func (o *Options) Complete(ctx context.Context, ro *genericoptions.RecommendedOptions) (err error) {
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	if o.dataDir, err = filepath.Abs(o.DataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return err
	}
	o.lock, err = fileutil.TryLockFile(filepath.Join(o.dataDir, "lock"), os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, fileutil.ErrLocked) {
		return fmt.Errorf("data directory %s is in use by another cicd-apiserver", o.dataDir)
	} else if err != nil {
		return err
	}
	if o.pki, err = ensurePKI(filepath.Join(o.dataDir, "pki")); err != nil {
		return err
	}
	if ro.SecureServing.ServerCert.CertKey.CertFile == "" {
		ro.SecureServing.ServerCert.CertKey = genericoptions.CertKey{CertFile: o.pki.ServingCert, KeyFile: o.pki.ServingKey}
	}

	if t := &ro.Etcd.StorageConfig.Transport; len(t.ServerList) == 0 {
		// Mutual TLS: loopback is every local user's (etcdtls.go).
		etcdTLS, err := ensureEtcdTLS(filepath.Join(o.dataDir, "pki"))
		if err != nil {
			return err
		}
		if o.etcd, err = startEtcd(ctx, filepath.Join(o.dataDir, "etcd"), &etcdTLS, o.EtcdMaxRequestBytes); err != nil {
			return err
		}
		t.ServerList = []string{o.etcd.Endpoint}
		t.TrustedCAFile, t.CertFile, t.KeyFile = etcdTLS.CACert, etcdTLS.ClientCert, etcdTLS.ClientKey
	}

	if ro.SecureServing.BindPort == 0 && ro.SecureServing.Listener == nil {
		o.listener, err = net.Listen("tcp", net.JoinHostPort(ro.SecureServing.BindAddress.String(), "0"))
		if err != nil {
			return err
		}
		ro.SecureServing.Listener = o.listener
		ro.SecureServing.BindPort = o.listener.Addr().(*net.TCPAddr).Port
	}
	o.url = "https://" + net.JoinHostPort(clientHost(ro.SecureServing.BindAddress), strconv.Itoa(ro.SecureServing.BindPort))
	o.kubeconfig = filepath.Join(o.dataDir, AdminKubeconfigName)
	return writeAdminKubeconfig(o.kubeconfig, o.url, o.pki)
}

// ApplyTo sets local mode's authentication and authorization (auth.go).
func (o *Options) ApplyTo(c *genericapiserver.Config) error {
	return applyAuth(c, o.pki.CACert)
}

// Close stops the embedded etcd and releases the data directory. The server
// must have stopped.
func (o *Options) Close() {
	if o.listener != nil {
		_ = o.listener.Close()
		o.listener = nil
	}
	if o.etcd != nil {
		o.etcd.Stop()
		o.etcd = nil
	}
	if o.lock != nil {
		_ = o.lock.Close()
		o.lock = nil
	}
}

// KubeconfigPath is the admin kubeconfig's absolute path (after Complete).
func (o *Options) KubeconfigPath() string { return o.kubeconfig }

// URL is where the server serves, https://127.0.0.1:<port> (after Complete).
func (o *Options) URL() string { return o.url }

// ReadyLine is the line local mode prints once it serves: a command to paste,
// in which tools find KUBECONFIG=<path>.
func (o *Options) ReadyLine() string {
	return fmt.Sprintf("export KUBECONFIG=%s; kubectl get js", o.kubeconfig)
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

// RESTConfig is the admin client configuration (after Complete).
func (o *Options) RESTConfig() (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", o.kubeconfig)
}

// WaitReady polls /readyz with the admin credentials until it answers ok,
// stopped is closed, or a minute passes.
func (o *Options) WaitReady(ctx context.Context, stopped <-chan struct{}) error {
	cfg, err := o.RESTConfig()
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	client.Timeout = 2 * time.Second
	defer client.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url+"/readyz", nil)
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
		case <-stopped:
			return errors.New("server stopped before it was ready")
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("server not ready after %v: %w", readyTimeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}
