package jenkinsservice

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
	"k8s.io/klog/v2"
)

// historyStreams numbers the watch streams of the history look-ups, so that
// each look-up has a gRPC watch stream of its own (the etcd client shares a
// stream among watches with equal outgoing metadata) and its progress
// requests concern its own watches only.
var historyStreams atomic.Uint64

// progressInterval is how often a history look-up asks etcd for a progress
// notification until each of its watches has reported one.
const progressInterval = 50 * time.Millisecond

// creations returns, for each key of missing (key → lowest reservation
// revision), the revisions at which an object was created under the key
// after that revision and up to snap.revision. Keys whose history could not
// be read (compacted, timed out, etcd unavailable) are left out: their
// reservations keep counting, which errs on the side of the limit.
func (l *limiter) creations(ctx context.Context, snap *snapshot, missing map[string]int64) map[string][]int64 {
	ctx, cancel := context.WithTimeout(ctx, l.historyTimeout)
	defer cancel() // closes the watches and with them the stream
	ctx = metadata.AppendToOutgoingContext(ctx, "cicd-admission-history", strconv.FormatUint(historyStreams.Add(1), 10))
	logger := klog.FromContext(ctx)

	// The anchor keeps the stream open while progress is requested, even if
	// every history watch ended. It has no start revision, so it is synced at
	// once and never holds back a progress notification (a watch starting at
	// a future revision would, until that revision is written).
	_ = l.etcd.Watch(ctx, l.recordKey)

	type result struct {
		key       string
		creations []int64
		ok        bool
	}
	results := make(chan result, len(missing))
	for key, from := range missing {
		wch := l.etcd.Watch(ctx, key, clientv3.WithRev(from+1))
		go func() {
			c, ok := scanCreations(wch, snap.revision)
			results <- result{key: key, creations: c, ok: ok}
		}()
	}

	out := make(map[string][]int64, len(missing))
	ticker := time.NewTicker(progressInterval)
	defer ticker.Stop()
	for pending := len(missing); pending > 0; {
		select {
		case r := <-results:
			pending--
			if r.ok {
				out[r.key] = r.creations
			} else {
				logger.V(2).Info("Could not read the history of a reserved JenkinsService key", "key", r.key)
			}
		case <-ticker.C:
			if err := l.etcd.RequestProgress(ctx); err != nil {
				logger.V(2).Info("Requesting watch progress failed", "err", err)
			}
		case <-ctx.Done():
			logger.V(2).Info("Reading the history of reserved JenkinsService keys timed out", "pending", pending)
			return out
		}
	}
	return out
}

// scanCreations reads the events of a watch that started in the past and
// collects the revisions of creations up to rev. It is complete once an event
// after rev or a progress notification at or after rev arrives: etcd sends a
// watch's events in revision order and notifies progress only to watches
// that are synced.
func scanCreations(wch clientv3.WatchChan, rev int64) ([]int64, bool) {
	created := []int64{}
	for wr := range wch {
		if wr.Canceled || wr.CompactRevision != 0 || wr.Err() != nil {
			return nil, false
		}
		for _, ev := range wr.Events {
			if ev.Kv.ModRevision > rev {
				return created, true
			}
			if ev.Type == mvccpb.PUT && ev.Kv.CreateRevision == ev.Kv.ModRevision {
				created = append(created, ev.Kv.ModRevision)
			}
		}
		if wr.IsProgressNotify() && wr.Header.Revision >= rev {
			return created, true
		}
	}
	return nil, false
}
