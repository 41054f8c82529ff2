package framework

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/autobusi/cicd-apiserver/test/internal/testproc"
)

// Options say how to start a local server.
type Options struct {
	// DataDir is the --data-dir; a fresh temporary one when empty.
	DataDir string
	// MaxJenkinsServices is --max-jenkinsservices; 0 means unlimited.
	MaxJenkinsServices int
	// EtcdServers, when set, makes the server use that etcd instead of its own.
	EtcdServers string
	// Args are extra flags.
	Args []string
}

// Server is a running `cicd-apiserver local`.
type Server struct {
	opts Options
	Port int
	// Kubeconfig is the path the server printed in its KUBECONFIG= line.
	Kubeconfig string
	// Config is the admin client config from Kubeconfig.
	Config *rest.Config

	mu     sync.Mutex
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
}

var kubeconfigLine = regexp.MustCompile(`KUBECONFIG=(\S+?);?(\s|$)`)

// StartLocal starts the server binary in local mode on a free port and waits
// for the line with the kubeconfig. The server is stopped when the test ends.
func StartLocal(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Start is StartLocal for callers without a test (TestMain): opts.DataDir must
// be set, and the caller stops the server.
func Start(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, fmt.Errorf("framework.Start: no data dir")
	}
	s := &Server{opts: opts}
	return s, s.start()
}

func (s *Server) start() error {
	bin, err := ServerBinary()
	if err != nil {
		return err
	}
	if s.Port == 0 {
		if s.Port, err = testproc.FreePort(); err != nil {
			return err
		}
	}
	args := []string{"local",
		"--data-dir", s.opts.DataDir,
		"--secure-port", strconv.Itoa(s.Port),
		"--max-jenkinsservices", strconv.Itoa(s.opts.MaxJenkinsServices),
	}
	if s.opts.EtcdServers != "" {
		args = append(args, "--etcd-servers", s.opts.EtcdServers)
	}
	args = append(args, s.opts.Args...)
	cmd := exec.Command(bin, args...)
	out := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(out, pw)
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(done)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := kubeconfigLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case path := <-found:
		s.Kubeconfig = path
	case <-done:
		return fmt.Errorf("server exited before it was ready:\n%s", out.String())
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("server not ready after 90s:\n%s", out.String())
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("kubeconfig %s: %v", s.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	s.mu.Lock()
	s.cmd, s.output, s.done, s.Config = cmd, out, done, cfg
	s.mu.Unlock()
	return nil
}

// Output is what the server printed so far.
func (s *Server) Output() string { return s.output.String() }

// URL is the server's base URL.
func (s *Server) URL() string { return fmt.Sprintf("https://127.0.0.1:%d", s.Port) }

// DataDir is the server's --data-dir.
func (s *Server) DataDir() string { return s.opts.DataDir }

// Stop ends the server with SIGTERM (a graceful shutdown) and waits for it; it
// is an error when the server needs more than a minute.
func (s *Server) Stop() error { return s.signal(syscall.SIGTERM, 60*time.Second) }

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() error { return s.signal(syscall.SIGKILL, 30*time.Second) }

// Restart stops the server gracefully and starts it again on the same port and
// data directory.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start()
}

// Start starts a stopped server again on the same port and data directory.
func (s *Server) Start() error { return s.start() }

func (s *Server) signal(sig syscall.Signal, wait time.Duration) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if !testproc.Stop(cmd.Process, done, sig, wait) {
		return fmt.Errorf("server did not stop within %s after %s", wait, sig)
	}
	return nil
}

// Exited tells whether the server process has ended.
func (s *Server) Exited() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Run runs a command with a deadline and returns its combined output.
func Run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// CertFiles are the admin client's certificate files in a data dir, for raw
// HTTP clients such as curl.
func CertFiles(dataDir string) (ca, cert, key string) {
	pki := filepath.Join(dataDir, "pki")
	return filepath.Join(pki, "ca.crt"), filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
