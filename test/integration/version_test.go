package integration

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/version"

	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// The server reports its own version, stamped at build time from git, in
// /version and the OpenAPI info — not the Kubernetes libraries' version.
func TestServerVersion(t *testing.T) {
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	commit, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}

	client := shared.AdminHTTPClient(t)
	code, _, body := shared.Get(t, client, "/version", "application/json")
	if code != http.StatusOK {
		t.Fatalf("GET /version: %d: %s", code, body)
	}
	var info version.Info
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	if info.GitCommit != strings.TrimSpace(string(commit)) {
		t.Errorf("/version = %+v, want commit %s", info, commit)
	}
	if !strings.HasPrefix(info.GitVersion, "v") || strings.HasPrefix(info.GitVersion, "v1.37") || info.BuildDate == "" || info.GitTreeState == "" {
		t.Errorf("/version = %+v, want the project's version with a build date and tree state", info)
	}

	code, _, body = shared.Get(t, client, "/openapi/v2", "application/json")
	if code != http.StatusOK || !strings.Contains(string(body), `"version":"`+info.GitVersion+`"`) {
		t.Errorf("OpenAPI info does not carry %s", info.GitVersion)
	}

	bin, err := framework.ServerBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Clean(bin), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "cicd-apiserver "+info.GitVersion+" commit ") {
		t.Errorf("cicd-apiserver version: %q, %v", out, err)
	}
}
