package jenkinsservice

// How the limit stays exact.
//
// An informer's count is racy, and so is any count of stored objects alone:
// between the admission of a create and the write of its object, other creates
// see the old count. The plugin therefore keeps a reservation record in the
// storage etcd (a small JSON value), updated with optimistic concurrency: a
// create is admitted by a transaction that adds a reservation for its key and
// succeeds only if the record is still at the revision the decision was based
// on. The decision counts, at one etcd revision, the stored objects plus the
// reserved keys whose objects are missing. Servers sharing the etcd share the
// record, so the limit holds across them; within one server the cycles are
// serialized, so its own creates never conflict.
//
// A reservation stops counting when its object appears (it is then counted as
// stored), when it expires (a create that failed after admission; the
// expiry is a few times the request timeout), or when the etcd history shows
// that its object was created and deleted again: a deleted object frees its
// slot at once. The history is only read when a create would be refused.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/klog/v2"
)

const (
	// defaultReservationTTL is how long a reservation holds a slot for a create
	// whose object has not (yet) been seen in etcd. It must be well above the
	// server's request timeout (60s by default): a create that was admitted
	// writes its object within its request's lifetime, or never.
	defaultReservationTTL = 2 * time.Minute
	// defaultMaxAttempts bounds the optimistic read-check-write cycles of one
	// admission. Within one process the cycles are serialized, so conflicts
	// only come from other server processes sharing the etcd.
	defaultMaxAttempts = 25
	// defaultHistoryTimeout bounds the look into the etcd history that finds
	// reserved objects that were created and already deleted again.
	defaultHistoryTimeout = 3 * time.Second
	// maxOpsPerTxn stays below etcd's default --max-txn-ops of 128.
	maxOpsPerTxn = 100
)

// reservation holds a slot for an admitted create of Key until its object
// appears in etcd or until Expires.
type reservation struct {
	// Key is the etcd key the admitted object will be stored under.
	Key string `json:"key"`
	// Revision is the etcd revision of the snapshot on which the create was
	// admitted. The object of this create, if it is ever written, has a
	// greater create revision.
	Revision int64 `json:"revision"`
	// Expires is when the reservation stops counting.
	Expires time.Time `json:"expires"`
}

// reservationRecord is the JSON value stored at the reservation key.
type reservationRecord struct {
	Reservations []reservation `json:"reservations"`
}

// limitReachedError is returned when a create would exceed the limit.
type limitReachedError struct {
	used, max int
}

func (e *limitReachedError) Error() string {
	return fmt.Sprintf("jenkinsservices limit reached: %d of %d in use (--max-jenkinsservices=%d)", e.used, e.max, e.max)
}

// errTooManyConflicts is returned when the reservation record kept changing
// under an admission for all its attempts.
var errTooManyConflicts = errors.New("too many concurrent jenkinsservices creates")

// errRetry makes an attempt start over from a new read.
var errRetry = errors.New("retry")

// limiter enforces the limit on the number of stored objects under prefix
// with a reservation record at recordKey (see the package documentation).
type limiter struct {
	etcd      *clientv3.Client
	prefix    string
	recordKey string
	max       int

	ttl            time.Duration
	maxAttempts    int
	historyTimeout time.Duration
	now            func() time.Time

	// lock serializes the read-check-write cycles of this process, so that
	// the creates admitted by one server never conflict with each other.
	lock chan struct{}
	// lastKeys are the reserved keys of the last record read; the next read
	// checks them in the same transaction. Guarded by lock.
	lastKeys []string
}

func newLimiter() *limiter {
	return &limiter{
		ttl:            defaultReservationTTL,
		maxAttempts:    defaultMaxAttempts,
		historyTimeout: defaultHistoryTimeout,
		now:            time.Now,
		lock:           make(chan struct{}, 1),
	}
}

// admit charges a create of the object stored at key against the limit. It
// returns nil if the create may proceed (its reservation is then stored,
// unless dryRun), a *limitReachedError if the limit is reached,
// errTooManyConflicts, or the error of etcd or of ctx.
func (l *limiter) admit(ctx context.Context, key string, dryRun bool) error {
	select {
	case l.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.lock }()

	for attempt := 0; attempt < l.maxAttempts; attempt++ {
		if attempt > 0 {
			// Another server won the race for the record; let it go first.
			backoff := time.Duration(1+rand.IntN(2*attempt+2)) * time.Millisecond
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := l.try(ctx, key, dryRun)
		if errors.Is(err, errRetry) {
			continue
		}
		return err
	}
	return errTooManyConflicts
}

// snapshot is what one read saw, all of it at one etcd revision.
type snapshot struct {
	revision          int64
	recordModRevision int64 // 0: no record yet
	reservations      []reservation
	stored            int
	keys              map[string]keyState
}

type keyState struct {
	exists         bool
	createRevision int64
}

// try is one read-check-write cycle. It returns errRetry when the record
// changed between the read and the write.
func (l *limiter) try(ctx context.Context, key string, dryRun bool) error {
	snap, err := l.read(ctx)
	if err != nil {
		return err
	}
	now := l.now()
	ev := evaluate(snap, now, nil)
	if ev.used >= l.max && len(ev.unresolved) > 0 {
		// At the limit, but some reserved objects are missing: they may still
		// be on their way, or they were created and deleted again. Only the
		// history tells; look at it before refusing.
		ev = evaluate(snap, now, l.creations(ctx, snap, ev.unresolved))
	}
	if ev.used >= l.max {
		if ev.pruned && !dryRun {
			// Best effort: spare the next admission the history look-up.
			if _, err := l.write(ctx, snap.recordModRevision, ev.keep); err != nil {
				klog.FromContext(ctx).V(4).Info("Could not prune JenkinsService reservations", "err", err)
			}
		}
		return &limitReachedError{used: ev.used, max: l.max}
	}
	if dryRun {
		return nil
	}
	keep := append(ev.keep, reservation{Key: key, Revision: snap.revision, Expires: now.Add(l.ttl)})
	ok, err := l.write(ctx, snap.recordModRevision, keep)
	if err != nil {
		return err
	}
	if !ok {
		return errRetry
	}
	return nil
}

// read reads the record, the number of stored objects and the state of each
// reserved key at one revision: one transaction, and if the record names
// keys that transaction did not look at, more reads pinned to its revision.
func (l *limiter) read(ctx context.Context) (*snapshot, error) {
	guess := l.lastKeys
	if len(guess) > maxOpsPerTxn-2 {
		guess = guess[:maxOpsPerTxn-2]
	}
	ops := make([]clientv3.Op, 0, 2+len(guess))
	ops = append(ops,
		clientv3.OpGet(l.recordKey),
		clientv3.OpGet(l.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()))
	for _, k := range guess {
		ops = append(ops, clientv3.OpGet(k, clientv3.WithKeysOnly()))
	}
	resp, err := l.etcd.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return nil, err
	}
	snap := &snapshot{revision: resp.Header.Revision, keys: map[string]keyState{}}

	if rec := resp.Responses[0].GetResponseRange(); len(rec.Kvs) > 0 {
		snap.recordModRevision = rec.Kvs[0].ModRevision
		var r reservationRecord
		if err := json.Unmarshal(rec.Kvs[0].Value, &r); err != nil {
			// Only a foreign write can do this. Starting over loses at most the
			// reservations of creates in flight; refusing forever would be worse.
			klog.FromContext(ctx).Error(err, "Ignoring undecodable JenkinsService reservation record", "key", l.recordKey)
		}
		snap.reservations = r.Reservations
	}
	snap.stored = int(resp.Responses[1].GetResponseRange().Count)
	for i, k := range guess {
		snap.keys[k] = stateOf(resp.Responses[2+i].GetResponseRange().Kvs)
	}

	var missing, reserved []string
	for _, r := range snap.reservations {
		if !slices.Contains(reserved, r.Key) {
			reserved = append(reserved, r.Key)
		}
		if _, ok := snap.keys[r.Key]; !ok && !slices.Contains(missing, r.Key) {
			missing = append(missing, r.Key)
		}
	}
	for len(missing) > 0 {
		n := min(len(missing), maxOpsPerTxn)
		ops := make([]clientv3.Op, 0, n)
		for _, k := range missing[:n] {
			ops = append(ops, clientv3.OpGet(k, clientv3.WithKeysOnly(), clientv3.WithRev(snap.revision)))
		}
		resp, err := l.etcd.Txn(ctx).Then(ops...).Commit()
		if errors.Is(err, rpctypes.ErrCompacted) {
			return nil, errRetry // the snapshot's revision is gone; read anew
		}
		if err != nil {
			return nil, err
		}
		for i, k := range missing[:n] {
			snap.keys[k] = stateOf(resp.Responses[i].GetResponseRange().Kvs)
		}
		missing = missing[n:]
	}
	l.lastKeys = reserved
	return snap, nil
}

func stateOf(kvs []*mvccpb.KeyValue) keyState {
	if len(kvs) == 0 {
		return keyState{}
	}
	return keyState{exists: true, createRevision: kvs[0].CreateRevision}
}

// write replaces the record if it is still at modRevision. It reports
// whether it did.
func (l *limiter) write(ctx context.Context, modRevision int64, rs []reservation) (bool, error) {
	if rs == nil {
		rs = []reservation{}
	}
	data, err := json.Marshal(reservationRecord{Reservations: rs})
	if err != nil {
		return false, err
	}
	resp, err := l.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(l.recordKey), "=", modRevision)).
		Then(clientv3.OpPut(l.recordKey, string(data))).
		Commit()
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

// evaluation is the usage a snapshot shows.
type evaluation struct {
	// used is the number of stored objects plus the number of missing keys
	// whose create may still write them.
	used int
	// keep are the reservations that still count or may count again later.
	keep []reservation
	// pruned tells whether keep dropped reservations of the record.
	pruned bool
	// unresolved are missing reserved keys (counted in used) whose history
	// was not looked at, each with the lowest revision of its reservations.
	unresolved map[string]int64
}

// evaluate computes the usage of snap at time now. creations, if not nil,
// holds for some missing keys the revisions at which their objects were
// created after their earliest reservation and up to snap.revision.
//
// Each key holds at most one object, so the reservations of one key count at
// most once, and not at all while the key exists (the object is counted
// among the stored ones, and a create of an existing key cannot add one).
// A reservation is done when a creation of its key after its revision is
// attributable to it; only when all reservations of a key are done are they
// dropped, because two creates of one name cannot be told apart.
func evaluate(snap *snapshot, now time.Time, creations map[string][]int64) evaluation {
	byKey := map[string][]int64{}
	var order []string
	ev := evaluation{used: snap.stored}
	for _, r := range snap.reservations {
		if !now.Before(r.Expires) {
			ev.pruned = true
			continue
		}
		if _, ok := byKey[r.Key]; !ok {
			order = append(order, r.Key)
		}
		byKey[r.Key] = append(byKey[r.Key], r.Revision)
	}

	done := map[string]bool{}
	for _, key := range order {
		revs := byKey[key]
		st := snap.keys[key]
		created, resolved := creations[key]
		switch {
		case st.exists:
			done[key] = len(revs) == 1 && st.createRevision > revs[0]
		case resolved:
			done[key] = coversAll(revs, created)
			if !done[key] {
				ev.used++
			}
		default:
			ev.used++
			if ev.unresolved == nil {
				ev.unresolved = map[string]int64{}
			}
			ev.unresolved[key] = slices.Min(revs)
		}
	}
	for _, r := range snap.reservations {
		if !now.Before(r.Expires) {
			continue
		}
		if done[r.Key] {
			ev.pruned = true
			continue
		}
		ev.keep = append(ev.keep, r)
	}
	return ev
}

// coversAll tells whether every reservation (by revision) can be paired with
// its own creation that came after it. A create writes at most one object,
// so each creation is attributable to one reservation only.
func coversAll(reservationRevs, creationRevs []int64) bool {
	if len(creationRevs) < len(reservationRevs) {
		return false
	}
	rs := slices.Clone(reservationRevs)
	cs := slices.Clone(creationRevs)
	slices.Sort(rs)
	slices.Reverse(rs)
	slices.Sort(cs)
	slices.Reverse(cs)
	for i := range rs {
		if cs[i] <= rs[i] {
			return false
		}
	}
	return true
}
