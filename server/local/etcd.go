package local

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// etcdReadyTimeout bounds how long an embedded etcd may take to serve.
const etcdReadyTimeout = 60 * time.Second

// Etcd is an embedded single-member etcd listening on loopback, with its data
// in a directory that survives restarts. Local mode stores in one; tests
// that need a real etcd start one the same way.
type Etcd struct {
	// Endpoint is the client URL, http(s)://127.0.0.1:<port>.
	Endpoint string

	etcd     *embed.Etcd
	logLevel zap.AtomicLevel
}

// StartEtcd starts an etcd with its data in dir. Its ports are chosen by the
// kernel when it binds them, so several can run side by side without races.
// It logs errors only.
func StartEtcd(ctx context.Context, dir string) (*Etcd, error) {
	return startEtcd(ctx, dir, nil, 0)
}

// startEtcd is StartEtcd, with mutual TLS on the client and peer ports when
// tls is set (local mode's etcd, etcdtls.go), and maxRequestBytes as etcd's
// --max-request-bytes when it is not 0.
func startEtcd(ctx context.Context, dir string, tls *EtcdTLS, maxRequestBytes int64) (*Etcd, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	if tls != nil {
		loopback.Scheme = "https"
	}
	cfg := embed.NewConfig()
	cfg.Name = "cicd-apiserver-local"
	cfg.Dir = dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{loopback}, []url.URL{loopback}
	cfg.ListenMetricsUrls = nil
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.InitialClusterToken = "cicd-apiserver-local"
	cfg.EnableGRPCGateway = false
	if tls != nil {
		cfg.ClientTLSInfo, cfg.PeerTLSInfo = tls.serverTLSInfo(), tls.serverTLSInfo()
	}
	if maxRequestBytes > 0 {
		cfg.MaxRequestBytes = uint(maxRequestBytes)
	}

	// Nothing is logged once Stop has begun: closing the listeners is
	// logged as errors.
	logLevel := zap.NewAtomicLevelAt(zap.ErrorLevel)
	logConfig := logutil.DefaultZapLoggerConfig
	logConfig.Level = logLevel
	logConfig.OutputPaths = []string{"stderr"}
	logConfig.ErrorOutputPaths = []string{"stderr"}
	logger, err := logConfig.Build()
	if err != nil {
		return nil, err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	case <-time.After(etcdReadyTimeout):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s not ready after %v", dir, etcdReadyTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	if len(e.Clients) == 0 {
		e.Close()
		return nil, errors.New("embedded etcd has no client listener")
	}
	return &Etcd{
		Endpoint: loopback.Scheme + "://" + e.Clients[0].Addr().String(),
		etcd:     e,
		logLevel: logLevel,
	}, nil
}

// Stop closes the clients' connections and the member cleanly.
func (e *Etcd) Stop() {
	e.logLevel.SetLevel(zap.FatalLevel)
	e.etcd.Close()
}
