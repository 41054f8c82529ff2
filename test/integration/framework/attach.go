package framework

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"k8s.io/client-go/tools/clientcmd"
)

// Attach returns a Server for a local server that another process started
// (with the kubeconfig it printed and its data dir), such as the shared
// server of a test binary's TestMain seen from a fuzz worker process. The
// Server does not own the process: Stop, Kill and Restart do nothing to it.
func Attach(kubeconfig, dataDir string) (*Server, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %v", kubeconfig, err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: server %q: %v", kubeconfig, cfg.Host, err)
	}
	_, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: server %q: %v", kubeconfig, cfg.Host, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: server %q: %v", kubeconfig, cfg.Host, err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	return &Server{
		opts:       Options{DataDir: dataDir},
		Port:       port,
		Kubeconfig: kubeconfig,
		Config:     cfg,
		output:     &syncBuffer{},
	}, nil
}
