package server

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/server/egressselector"
)

// etcdRedialInterval is how often a dial to an etcd that does not answer is
// tried again, within one dial attempt of the etcd client.
const etcdRedialInterval = 100 * time.Millisecond

// eagerEtcdDialer is the storage's etcd dialer (through the transport's egress
// lookup, the one hook k8s.io/apiserver offers for it). gRPC waits out an
// exponential back-off between failed dials: after an outage of ten seconds the
// next try can come several seconds after etcd is back. This dialer keeps trying
// within the attempt instead, every etcdRedialInterval until the attempt's
// deadline, so the server serves again within a moment of etcd's return.
func eagerEtcdDialer(egressselector.NetworkContext) (utilnet.DialFunc, error) {
	return dialEtcdEagerly, nil
}

func dialEtcdEagerly(ctx context.Context, network, addr string) (net.Conn, error) {
	if strings.Contains(addr, "//") {
		// Older etcd clients pass URLs; dial their host.
		if u, err := url.Parse(addr); err == nil && u.Host != "" {
			addr = u.Host
		}
	}
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(etcdRedialInterval):
		}
	}
}
