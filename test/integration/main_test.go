package integration

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// shared is one local server with unlimited admission, for the tests that only
// need a server to talk to. Each such test works in a namespace of its own.
// Tests that restart, kill or limit a server start their own.
var shared *framework.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// A fuzz worker (go test -fuzz) is a child process of the test binary that
// runs TestMain again, with the environment the coordinator had when it
// started fuzzing. The coordinator puts its shared server there, and the
// workers use it instead of starting servers of their own.
const (
	sharedKubeconfigEnv = "CICD_INTEGRATION_SHARED_KUBECONFIG"
	sharedDataDirEnv    = "CICD_INTEGRATION_SHARED_DATA_DIR"
)

func run(m *testing.M) int {
	if kubeconfig, dataDir := os.Getenv(sharedKubeconfigEnv), os.Getenv(sharedDataDirEnv); kubeconfig != "" && dataDir != "" {
		var err error
		if shared, err = framework.Attach(kubeconfig, dataDir); err != nil {
			fmt.Fprintln(os.Stderr, "attaching to the shared server:", err)
			return 1
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "cicd-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	shared, err = framework.Start(framework.Options{DataDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the shared server:", err)
		return 1
	}
	os.Setenv(sharedKubeconfigEnv, shared.Kubeconfig)
	os.Setenv(sharedDataDirEnv, shared.DataDir())
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return code
}

// testContext is a context that ends with the test, or after two minutes.
func testContext(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

var nsCounter atomic.Int64

// namespace is a namespace name of the test's own: a DNS label made from the
// test's name and a counter.
func namespace(t *testing.T) string {
	name := strings.ToLower(t.Name())
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	if len(name) > 50 {
		name = name[:50]
	}
	return fmt.Sprintf("%s-%d", strings.Trim(name, "-"), nsCounter.Add(1))
}
