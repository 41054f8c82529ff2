package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// The resource names kubectl is given: the preferred version's (v1beta) and
// v1alpha's fully qualified one.
const (
	jsV1alpha = "jenkinsservices.v1alpha.autobusi.group.cicd"
	jsV1beta  = "jenkinsservices.v1beta.autobusi.group.cicd"
)

// kubectlRunner runs the pinned kubectl (framework.Kubectl, v1.37.2) against
// a server (the shared one unless newKubectlFor), in a namespace of the test's
// own.
type kubectlRunner struct {
	t   *testing.T
	ctx context.Context
	bin string
	ns  string
	dir string
	s   *framework.Server
}

func newKubectl(t *testing.T) *kubectlRunner {
	t.Helper()
	return newKubectlFor(t, shared, namespace(t))
}

// newKubectlFor is a kubectlRunner against server s in namespace ns.
func newKubectlFor(t *testing.T, s *framework.Server, ns string) *kubectlRunner {
	t.Helper()
	bin, err := framework.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	return &kubectlRunner{t: t, ctx: testContext(t), bin: bin, ns: ns, dir: t.TempDir(), s: s}
}

// command is kubectl with args, the server's kubeconfig, the test's
// namespace and a discovery cache inside the server's data dir (not in
// $HOME), plus env.
func (k *kubectlRunner) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--namespace", k.ns, "--cache-dir", filepath.Join(k.s.DataDir(), "kubectl-cache")}, args...)
	cmd := exec.CommandContext(ctx, k.bin, full...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.s.Kubeconfig)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runEnv runs kubectl and returns its stdout and stderr apart.
func (k *kubectlRunner) runEnv(env []string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := k.command(k.ctx, env, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// ok runs kubectl and fails the test when it fails; it returns stdout.
func (k *kubectlRunner) ok(args ...string) string {
	k.t.Helper()
	return k.okEnv(nil, args...)
}

func (k *kubectlRunner) okEnv(env []string, args ...string) string {
	k.t.Helper()
	stdout, stderr, err := k.runEnv(env, args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// fails runs kubectl and fails the test when it succeeds; it returns stderr.
func (k *kubectlRunner) fails(args ...string) string {
	k.t.Helper()
	stdout, stderr, err := k.runEnv(nil, args...)
	if err == nil {
		k.t.Fatalf("kubectl %s succeeded, want an error\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout, stderr)
	}
	return stderr
}

// file writes a manifest (or script) into the test's directory and returns
// its path.
func (k *kubectlRunner) file(name, content string, mode os.FileMode) string {
	k.t.Helper()
	p := filepath.Join(k.dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		k.t.Fatal(err)
	}
	return p
}

// manifest writes a manifest into the test's directory and returns its path.
func (k *kubectlRunner) manifest(name, content string) string {
	return k.file(name, content, 0o644)
}

// getV1beta reads an object with kubectl get -o json through v1beta.
func (k *kubectlRunner) getV1beta(name string) *v1beta.JenkinsService {
	k.t.Helper()
	out := k.ok("get", jsV1beta, name, "-o", "json")
	var js v1beta.JenkinsService
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		k.t.Fatalf("decoding kubectl get output: %v\n%s", err, out)
	}
	if js.APIVersion != v1beta.SchemeGroupVersion.String() || js.Kind != "JenkinsService" {
		k.t.Fatalf("kubectl get %s %s: apiVersion %q kind %q", jsV1beta, name, js.APIVersion, js.Kind)
	}
	return &js
}

// getV1alpha reads an object with kubectl get -o json through v1alpha.
func (k *kubectlRunner) getV1alpha(name string) *v1alpha.JenkinsService {
	k.t.Helper()
	out := k.ok("get", jsV1alpha, name, "-o", "json")
	var js v1alpha.JenkinsService
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		k.t.Fatalf("decoding kubectl get output: %v\n%s", err, out)
	}
	if js.APIVersion != v1alpha.SchemeGroupVersion.String() || js.Kind != "JenkinsService" {
		k.t.Fatalf("kubectl get %s %s: apiVersion %q kind %q", jsV1alpha, name, js.APIVersion, js.Kind)
	}
	return &js
}

// table splits kubectl's table output into rows of whitespace separated
// cells; the first row is the header.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows = append(rows, f)
		}
	}
	return rows
}

// rowsByName indexes table rows (without the header) by their first cell.
func rowsByName(rows [][]string) map[string][]string {
	m := map[string][]string{}
	for _, r := range rows {
		m[r[0]] = r
	}
	return m
}

// names is the output of kubectl get -o name, without the resource prefix,
// sorted as kubectl prints them.
func names(out string) []string {
	var n []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			n = append(n, line[strings.LastIndex(line, "/")+1:])
		}
	}
	return n
}

func v1betaManifest(name, labels, spec string) string {
	return "apiVersion: autobusi.group.cicd/v1beta\nkind: JenkinsService\nmetadata:\n  name: " + name + "\n" + labels + "spec:\n" + spec
}

func v1alphaManifest(name, labels, spec string) string {
	return "apiVersion: autobusi.group.cicd/v1alpha\nkind: JenkinsService\nmetadata:\n  name: " + name + "\n" + labels + "spec:\n" + spec
}

// sub is k for a subtest: failures are reported to, and end, t.
func (k *kubectlRunner) sub(t *testing.T) *kubectlRunner {
	c := *k
	c.t = t
	return &c
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// kubectlWatch is a running `kubectl get -w`, read line by line.
type kubectlWatch struct {
	args   []string
	cancel context.CancelFunc
	lines  chan string
	stderr *lockedBuffer
	waited chan error
	seen   []string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// watch starts kubectl (a watching get) in the background. It runs for at
// most two minutes and is stopped when the test ends, if stop was not called.
func (k *kubectlRunner) watch(args ...string) *kubectlWatch {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(k.ctx, 2*time.Minute)
	cmd := k.command(ctx, nil, args...)
	w := &kubectlWatch{args: args, cancel: cancel, lines: make(chan string, 256), stderr: &lockedBuffer{}, waited: make(chan error, 1)}
	cmd.Stderr = w.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		k.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		k.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
		w.waited <- cmd.Wait()
	}()
	k.t.Cleanup(cancel)
	return w
}

// expect reads lines until one starts with the given cells (whitespace
// separated); other lines are skipped. It fails the test when the watch
// ends or no such line comes within 30 seconds.
func (w *kubectlWatch) expect(t *testing.T, cells ...string) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				t.Fatalf("kubectl %v ended before a line %v; lines so far %q; stderr %s", w.args, cells, w.seen, w.stderr)
			}
			w.seen = append(w.seen, line)
			if f := strings.Fields(line); len(f) >= len(cells) && slices.Equal(f[:len(cells)], cells) {
				return
			}
		case <-timeout.C:
			t.Fatalf("kubectl %v: no line %v within 30s; lines so far %q; stderr %s", w.args, cells, w.seen, w.stderr)
		}
	}
}

// stop ends the watch (kills kubectl) and waits for it; it fails the test
// when kubectl had stopped by itself before.
func (w *kubectlWatch) stop(t *testing.T) {
	t.Helper()
	select {
	case err := <-w.waited:
		t.Fatalf("kubectl %v had ended by itself (%v); stderr %s", w.args, err, w.stderr)
	default:
	}
	w.cancel()
	for range w.lines {
	}
	if err := <-w.waited; err != nil {
		t.Logf("kubectl %v stopped: %v", w.args, err) // killed, as asked
	}
}
