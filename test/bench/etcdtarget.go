package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdTarget is the floor: raw etcd operations on values of the size our
// server stores, done the way the API server's etcd3 store does them (create
// is a transaction on CreateRevision 0, update one on ModRevision, reads are
// linearizable). Values are opaque: a list does not decode them.
type etcdTarget struct {
	c      *clientv3.Client
	prefix string
	value  []byte
}

func newEtcdClient(url string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:          []string{url},
		DialTimeout:        20 * time.Second,
		Logger:             zap.NewNop(),
		MaxCallRecvMsgSize: 1 << 30,
	})
}

func newEtcdTarget(c *clientv3.Client, valueSize int) *etcdTarget {
	v := make([]byte, valueSize)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return &etcdTarget{c: c, prefix: "/registry/bench/jenkinsservices/" + namespace + "/", value: v}
}

func (t *etcdTarget) key(i int) string { return t.prefix + objName(i) }

func (t *etcdTarget) create(ctx context.Context, i int) error {
	k := t.key(i)
	resp, err := t.c.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(t.value))).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s exists", k)
	}
	return nil
}

func (t *etcdTarget) get(ctx context.Context, i int) error {
	resp, err := t.c.Get(ctx, t.key(i))
	if err == nil && len(resp.Kvs) != 1 {
		err = fmt.Errorf("%s not found", t.key(i))
	}
	return err
}

func (t *etcdTarget) list(ctx context.Context, limit int64, cont string) (int, string, string, error) {
	start := t.prefix
	if cont != "" {
		start = cont
	}
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(t.prefix))}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(limit))
	}
	resp, err := t.c.Get(ctx, start, opts...)
	if err != nil {
		return 0, "", "", err
	}
	next := ""
	if resp.More && len(resp.Kvs) > 0 {
		next = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	return len(resp.Kvs), next, strconv.FormatInt(resp.Header.Revision, 10), nil
}

func (t *etcdTarget) update(ctx context.Context, i int) (string, int, error) {
	k := t.key(i)
	conflicts := 0
	for attempt := 0; attempt < maxAttempts; attempt++ {
		g, err := t.c.Get(ctx, k)
		if err != nil {
			return "", conflicts, err
		}
		if len(g.Kvs) != 1 {
			return "", conflicts, fmt.Errorf("%s not found", k)
		}
		v := append([]byte(nil), g.Kvs[0].Value...)
		v[0] = 'a' + (v[0]-'a'+1)%26
		resp, err := t.c.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", g.Kvs[0].ModRevision)).
			Then(clientv3.OpPut(k, string(v))).Commit()
		if err != nil {
			return "", conflicts, err
		}
		if !resp.Succeeded {
			conflicts++
			continue
		}
		return strconv.FormatInt(resp.Header.Revision, 10), conflicts, nil
	}
	return "", conflicts, fmt.Errorf("%s: still conflicting after %d attempts", k, maxAttempts)
}

func (t *etcdTarget) watch(ctx context.Context, rv string) (<-chan string, func(), error) {
	rev, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		return nil, nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	wch := t.c.Watch(clientv3.WithRequireLeader(wctx), t.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithCreatedNotify())
	select {
	case r, ok := <-wch:
		if !ok || !r.Created {
			cancel()
			return nil, nil, fmt.Errorf("etcd watch not created: %v", r.Err())
		}
	case <-time.After(30 * time.Second):
		cancel()
		return nil, nil, fmt.Errorf("etcd watch not created after 30s")
	}
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		for r := range wch {
			for _, ev := range r.Events {
				if ev.Type == clientv3.EventTypePut && !ev.IsCreate() {
					ch <- strconv.FormatInt(ev.Kv.ModRevision, 10)
				}
			}
		}
	}()
	return ch, cancel, nil
}

func (t *etcdTarget) deleteCollection(ctx context.Context) error {
	_, err := t.c.Delete(ctx, t.prefix, clientv3.WithPrefix())
	return err
}
