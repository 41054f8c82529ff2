package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// embeddedEtcd is local mode's etcd: one member on loopback, its data in a
// directory that survives restarts. Its ports are picked free at every start
// so that several local servers can run side by side.
type embeddedEtcd struct {
	etcd     *embed.Etcd
	endpoint string
	logLevel zap.AtomicLevel
}

func startEmbeddedEtcd(ctx context.Context, dir string, maxRequestBytes int64) (*embeddedEtcd, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var lastErr error
	// A port found free can be taken before etcd binds it; try again then.
	for attempt := 0; attempt < 3; attempt++ {
		e, err := startEtcdOnce(ctx, dir, maxRequestBytes)
		if err == nil {
			return e, nil
		}
		lastErr = err
		if !isAddrInUse(err) {
			break
		}
	}
	return nil, fmt.Errorf("starting embedded etcd in %s: %w", dir, lastErr)
}

func startEtcdOnce(ctx context.Context, dir string, maxRequestBytes int64) (*embeddedEtcd, error) {
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}

	cfg := embed.NewConfig()
	cfg.Name = "cicd-apiserver-local"
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.InitialClusterToken = "cicd-apiserver-local"
	cfg.EnableGRPCGateway = false
	if maxRequestBytes > 0 {
		cfg.MaxRequestBytes = uint(maxRequestBytes) // --etcd-max-request-bytes
	}
	// Quiet: errors only, and nothing once we stop it (closing its
	// listeners is logged as errors).
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
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return &embeddedEtcd{etcd: e, endpoint: clientURL.String(), logLevel: logLevel}, nil
	case err := <-e.Err():
		e.Close()
		return nil, err
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd not ready after 30s")
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
}

// stop closes the clients' connections and the member cleanly.
func (e *embeddedEtcd) stop() {
	e.logLevel.SetLevel(zap.FatalLevel)
	e.etcd.Close()
}

func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}, nil
}

func isAddrInUse(err error) bool {
	var opErr *net.OpError
	return (errors.As(err, &opErr) && opErr.Op == "listen") || strings.Contains(err.Error(), "address already in use")
}
