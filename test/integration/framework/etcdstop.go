package framework

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is an etcd in the test process that a test can stop and start again
// (an outage), on the same ports and data.
type Etcd struct {
	URL string
	cfg *embed.Config
	e   *embed.Etcd
}

// StartStoppableEtcd is StartEtcd with a handle to stop and restart it.
func StartStoppableEtcd(t testing.TB) *Etcd {
	t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	cfg.Logger = "zap"
	cfg.LogLevel = "fatal" // stopping it logs its closed listeners as errors
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", FreePort(t)))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e := &Etcd{URL: client.String(), cfg: cfg}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// Start starts the etcd (again) and waits until it serves.
func (e *Etcd) Start() error {
	s, err := embed.StartEtcd(e.cfg)
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	select {
	case <-s.Server.ReadyNotify():
		e.e = s
		return nil
	case <-time.After(60 * time.Second):
		s.Close()
		return fmt.Errorf("etcd not ready after 60s")
	}
}

// Stop stops the etcd; clients see its ports closed.
func (e *Etcd) Stop() {
	if e.e != nil {
		e.e.Close()
		e.e = nil
	}
}
