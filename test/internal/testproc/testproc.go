// Package testproc holds what the integration, e2e and bench harnesses each
// need for the processes they start: a free port, and a stop that escalates
// to SIGKILL.
package testproc

import (
	"net"
	"os"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop sends sig to p and waits up to wait for done (closed once the process
// has been waited for); then it kills p and waits for done. It reports whether
// the process ended within wait. A process that has already ended is left
// alone.
func Stop(p *os.Process, done <-chan struct{}, sig os.Signal, wait time.Duration) bool {
	select {
	case <-done:
		return true
	default:
	}
	_ = p.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(wait):
		_ = p.Kill()
		<-done
		return false
	}
}
