// Package framework starts the real cicd-apiserver binary in local mode for
// integration tests, and finds the pinned tools they drive it with.
package framework

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// RepoRoot is the directory of the main module.
func RepoRoot() (string, error) {
	rootOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			rootErr = fmt.Errorf("finding the module root: %w", err)
			return
		}
		root = strings.TrimSpace(string(out))
	})
	return root, rootErr
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// ServerBinary builds the server once per test process into a temporary
// directory (the same `go build` make build runs, version stamped) and
// returns its path.
func ServerBinary() (string, error) {
	binOnce.Do(func() {
		r, err := RepoRoot()
		if err != nil {
			binErr = err
			return
		}
		dir, err := os.MkdirTemp("", "cicd-apiserver-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "cicd-apiserver")
		ldflags, err := exec.Command(filepath.Join(r, "hack", "version.sh")).Output()
		if err != nil {
			binErr = fmt.Errorf("hack/version.sh: %w", err)
			return
		}
		cmd := exec.Command("go", "build", "-ldflags", strings.TrimSpace(string(ldflags)), "-o", binPath, ".")
		cmd.Dir = r
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	return binPath, binErr
}

var (
	kubectlOnce sync.Once
	kubectlPath string
	kubectlErr  error
)

// Kubectl returns the pinned kubectl (v1.37.2, built from k8s.io/kubectl into
// _output/bin by hack/tools.sh), building it when it is absent.
func Kubectl() (string, error) {
	kubectlOnce.Do(func() {
		r, err := RepoRoot()
		if err != nil {
			kubectlErr = err
			return
		}
		cmd := exec.Command("bash", filepath.Join(r, "hack", "tools.sh"), "kubectl")
		cmd.Dir = r
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			kubectlErr = fmt.Errorf("hack/tools.sh kubectl: %w", err)
			return
		}
		kubectlPath = strings.TrimSpace(string(out))
	})
	return kubectlPath, kubectlErr
}
