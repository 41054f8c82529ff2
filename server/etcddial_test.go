package server

import (
	"context"
	"net"
	"testing"
	"time"
)

// A dial to an etcd that is not there yet succeeds as soon as it listens,
// without waiting for the next try of gRPC's back-off.
func TestDialEtcdEagerly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		conn net.Conn
		err  error
		at   time.Time
	}
	done := make(chan result, 1)
	go func() {
		c, err := dialEtcdEagerly(ctx, "tcp", "http://"+addr)
		done <- result{c, err, time.Now()}
	}()
	time.Sleep(500 * time.Millisecond) // the dial keeps failing meanwhile
	back, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	defer back.Close()
	listening := time.Now()
	r := <-done
	if r.err != nil {
		t.Fatalf("dial: %v", r.err)
	}
	r.conn.Close()
	if took := r.at.Sub(listening); took > time.Second {
		t.Errorf("connected %s after the listener came back, want within a second", took)
	}

	// A dial that never succeeds ends with its context.
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	back.Close()
	if _, err := dialEtcdEagerly(short, "tcp", addr); err == nil {
		t.Error("dial to a closed port succeeded")
	}
}
