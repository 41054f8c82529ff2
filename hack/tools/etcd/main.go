// Command etcd is a single-member etcd for tests: go.etcd.io/etcd/server/v3's
// embed package at the version this module pins (the one k8s.io/apiserver and
// k8s.io/kubernetes require), behind the subset of etcd's flags that test
// harnesses pass (kubernetes' test/integration/framework, controller-runtime's
// envtest).
//
// It listens on loopback or unix sockets only: any other listen or advertise
// address is refused. With --cert-file and friends its https:// URLs serve
// mutual TLS, as etcd's do. Once it serves, it prints one line to stdout,
//
//	etcd 3.7.0 ready: clients http://127.0.0.1:2379 peers http://127.0.0.1:2380 data-dir /tmp/x
//
// with the ports actually bound (so :0 can be used), and it runs until SIGTERM
// or SIGINT, when it closes the server and exits 0.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/api/v3/version"
	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	var (
		name         = fs.String("name", embed.DefaultName, "human-readable name for this member")
		dataDir      = fs.String("data-dir", "", "path to the data directory (required)")
		listenClient = fs.String("listen-client-urls", "http://127.0.0.1:2379", "comma-separated loopback http:// or unix:// URLs to serve clients on")
		advClient    = fs.String("advertise-client-urls", "", "comma-separated client URLs to advertise (default: --listen-client-urls, or http://localhost:2379 when those are unix sockets)")
		listenPeer   = fs.String("listen-peer-urls", "http://127.0.0.1:2380", "comma-separated loopback http:// or unix:// URLs to listen on for peers")
		advPeer      = fs.String("initial-advertise-peer-urls", embed.DefaultInitialAdvertisePeerURLs, "comma-separated peer URLs to advertise")
		initCluster  = fs.String("initial-cluster", "", "initial cluster configuration (default: NAME=<initial-advertise-peer-urls>)")
		logLevel     = fs.String("log-level", "info", "debug, info, warn, error, panic or fatal")
		quota        = fs.Int64("quota-backend-bytes", 0, "backend size quota in bytes (0: etcd's default)")
		noFsync      = fs.Bool("unsafe-no-fsync", false, "disable fsync: faster, loses data on a crash (fine for tests)")
		enablePprof  = fs.Bool("enable-pprof", false, "serve runtime profiling data at /debug/pprof/ on the client URLs")
		startTimeout = fs.Duration("start-timeout", time.Minute, "how long to wait for the server to become ready")
		printVersion = fs.Bool("version", false, "print the version and exit")
		// Mutual TLS, as etcd's flags of the same names: https:// URLs serve
		// with these certificates, and with *client-cert-auth a client or
		// peer must show a certificate of the trusted CA.
		certFile        = fs.String("cert-file", "", "path to the client server TLS cert file")
		keyFile         = fs.String("key-file", "", "path to the client server TLS key file")
		clientCertAuth  = fs.Bool("client-cert-auth", false, "enable client cert authentication")
		trustedCA       = fs.String("trusted-ca-file", "", "path to the client server TLS trusted CA cert file")
		peerCertFile    = fs.String("peer-cert-file", "", "path to the peer server TLS cert file")
		peerKeyFile     = fs.String("peer-key-file", "", "path to the peer server TLS key file")
		peerClientAuth  = fs.Bool("peer-client-cert-auth", false, "enable peer client cert authentication")
		peerTrustedCA   = fs.String("peer-trusted-ca-file", "", "path to the peer server TLS trusted CA file")
		listenMetrics   = fs.String("listen-metrics-urls", "", "comma-separated loopback http:// URLs to serve /metrics and /health on (no client certificate)")
		maxRequestBytes = fs.Uint("max-request-bytes", 0, "maximum client request size in bytes the server will accept (0: etcd's default, 1.5 MiB)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *printVersion {
		fmt.Printf("etcd Version: %s\nGit SHA: %s\nGo Version: %s\nGo OS/Arch: %s/%s\n",
			version.Version, version.GitSHA, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	}
	if *dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}

	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.LogLevel = *logLevel
	cfg.QuotaBackendBytes = *quota
	cfg.UnsafeNoFsync = *noFsync
	cfg.EnablePprof = *enablePprof
	if *maxRequestBytes > 0 {
		cfg.MaxRequestBytes = *maxRequestBytes
	}
	cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = *certFile, *keyFile
	cfg.ClientTLSInfo.ClientCertAuth, cfg.ClientTLSInfo.TrustedCAFile = *clientCertAuth, *trustedCA
	cfg.PeerTLSInfo.CertFile, cfg.PeerTLSInfo.KeyFile = *peerCertFile, *peerKeyFile
	cfg.PeerTLSInfo.ClientCertAuth, cfg.PeerTLSInfo.TrustedCAFile = *peerClientAuth, *peerTrustedCA

	var err error
	if cfg.ListenClientUrls, err = parseURLs("listen-client-urls", *listenClient); err != nil {
		return err
	}
	if cfg.ListenPeerUrls, err = parseURLs("listen-peer-urls", *listenPeer); err != nil {
		return err
	}
	if cfg.AdvertisePeerUrls, err = parseURLs("initial-advertise-peer-urls", *advPeer); err != nil {
		return err
	}
	switch {
	case *advClient != "":
		cfg.AdvertiseClientUrls, err = parseURLs("advertise-client-urls", *advClient)
	case strings.HasPrefix(*listenClient, "unix"):
		// etcd refuses to advertise a unix socket; keep its default.
	default:
		cfg.AdvertiseClientUrls, err = parseURLs("advertise-client-urls", *listenClient)
	}
	if err != nil {
		return err
	}
	if *listenMetrics != "" {
		if cfg.ListenMetricsUrls, err = parseURLs("listen-metrics-urls", *listenMetrics); err != nil {
			return err
		}
	}
	cfg.InitialCluster = *initCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return fmt.Errorf("serving: %w", err)
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: %v before the server was ready, stopping\n", s)
		return nil
	case <-time.After(*startTimeout):
		return fmt.Errorf("not ready after %v", *startTimeout)
	}

	clients := make([]string, 0, len(e.Clients))
	for _, l := range e.Clients {
		clients = append(clients, listenerURL(l.Addr(), cfg.ClientTLSInfo.CertFile != ""))
	}
	peers := make([]string, 0, len(e.Peers))
	for _, p := range e.Peers {
		peers = append(peers, listenerURL(p.Addr(), cfg.PeerTLSInfo.CertFile != ""))
	}
	fmt.Printf("etcd %s ready: clients %s peers %s data-dir %s\n",
		version.Version, strings.Join(clients, ","), strings.Join(peers, ","), cfg.Dir)

	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: %v, stopping\n", s)
		return nil
	case err := <-e.Err():
		return fmt.Errorf("serving: %w", err)
	}
}

// parseURLs parses a comma-separated list of URLs and refuses any that is
// neither http:// or https:// on a loopback address nor a unix socket.
func parseURLs(flagName, list string) ([]url.URL, error) {
	var urls []url.URL
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flagName, err)
		}
		switch u.Scheme {
		case "unix":
		case "http", "https":
			if !isLoopback(u.Hostname()) {
				return nil, fmt.Errorf("--%s: %q is not a loopback address (this etcd is for tests and listens on loopback only)", flagName, s)
			}
			if u.Port() == "" {
				return nil, fmt.Errorf("--%s: %q has no port", flagName, s)
			}
		default:
			return nil, fmt.Errorf("--%s: %q: only http://, https:// and unix:// URLs are supported", flagName, s)
		}
		urls = append(urls, *u)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("--%s: no URL given", flagName)
	}
	return urls, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func listenerURL(a net.Addr, tls bool) string {
	switch {
	case a.Network() == "unix":
		return "unix://" + a.String()
	case tls:
		return "https://" + a.String()
	}
	return "http://" + a.String()
}
