package testproc

import (
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	_ = l.Close()
}

// start runs a shell that handles (or ignores) SIGTERM as told.
func start(t *testing.T, script string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	time.Sleep(100 * time.Millisecond) // let the shell install its trap
	return cmd, done
}

func TestStop(t *testing.T) {
	cmd, done := start(t, "trap 'exit 0' TERM; while :; do sleep 0.05; done")
	if !Stop(cmd.Process, done, syscall.SIGTERM, 10*time.Second) {
		t.Error("a process that exits on SIGTERM was reported as killed")
	}

	cmd, done = start(t, "trap '' TERM; while :; do sleep 0.05; done")
	begin := time.Now()
	if Stop(cmd.Process, done, syscall.SIGTERM, 300*time.Millisecond) {
		t.Error("a process that ignores SIGTERM was reported as stopped in time")
	}
	if waited := time.Since(begin); waited < 300*time.Millisecond {
		t.Errorf("killed after %v, before the grace period", waited)
	}
	select {
	case <-done:
	default:
		t.Error("Stop returned while the process still ran")
	}

	// Already ended: nothing is sent, and it counts as stopped.
	if !Stop(cmd.Process, done, syscall.SIGTERM, time.Second) {
		t.Error("an ended process was reported as killed")
	}
}
