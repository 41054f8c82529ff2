// The examples, built and run against a real `cicd-apiserver local` (make test).
package examples

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
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cicdv1beta "github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	applyv1beta "github.com/autobusi/cicd-apiserver/generated/applyconfiguration/cicd/v1beta"
)

const protobuf = "application/vnd.kubernetes.protobuf"

var (
	kubeconfig string
	binDir     string
)

func TestMain(m *testing.M) {
	code, err := runWithServer(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "examples:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// runWithServer builds the server (from the module above) and the examples,
// starts the server in local mode on a free port, and runs the tests.
func runWithServer(m *testing.M) (int, error) {
	tmp, err := os.MkdirTemp("", "cicd-examples-")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	binDir = filepath.Join(tmp, "bin")
	builds := [][]string{
		{"..", "-o", filepath.Join(binDir, "cicd-apiserver"), "."},
		{".", "-o", filepath.Join(binDir, "clientset-informer"), "./clientset-informer"},
		{".", "-o", filepath.Join(binDir, "controller-runtime"), "./controller-runtime"},
	}
	for _, b := range builds {
		cmd := exec.Command("go", append([]string{"build"}, b[1:]...)...)
		cmd.Dir = b[0]
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build %s: %w\n%s", b[len(b)-1], err, out)
		}
	}

	server := exec.Command(filepath.Join(binDir, "cicd-apiserver"), "local", "--data-dir", filepath.Join(tmp, "data"),
		"--secure-port", "0", "--max-jenkinsservices", "0")
	var log bytes.Buffer
	pr, pw := io.Pipe()
	server.Stdout, server.Stderr = io.MultiWriter(&log, pw), &log
	if err := server.Start(); err != nil {
		return 0, fmt.Errorf("starting the server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = server.Wait(); _ = pw.Close(); close(exited) }()
	defer func() {
		_ = server.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = server.Process.Kill()
			<-exited
		}
	}()
	ready := make(chan string, 1)
	go func() {
		line := regexp.MustCompile(`KUBECONFIG=(\S+?);?(\s|$)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := line.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case kubeconfig = <-ready:
	case <-exited:
		return 0, fmt.Errorf("server exited before it was ready:\n%s", log.String())
	case <-time.After(90 * time.Second):
		return 0, fmt.Errorf("server not ready after 90s:\n%s", log.String())
	}
	return m.Run(), nil
}

// runExample runs an example binary and returns its output; it fails the test
// when the example fails.
func runExample(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, name), append([]string{"-kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s:\n%s", name, out)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

// responses parses the example's "responses:" line into "METHOD type" -> count.
func responses(t *testing.T, out string) map[string]int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^responses: (.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no responses line in:\n%s", out)
	}
	got := map[string]int{}
	// Entries are "METHOD type=N", separated by spaces.
	fields := strings.Fields(m[1])
	for i := 0; i+1 < len(fields); i += 2 {
		k, v, _ := strings.Cut(fields[i+1], "=")
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatalf("responses entry %q: %v", fields[i]+" "+fields[i+1], err)
		}
		got[fields[i]+" "+k] = n
	}
	return got
}

func TestClientsetInformer(t *testing.T) {
	out := runExample(t, "clientset-informer", "-namespace", "ex-informer", "-name", "ci")
	for _, want := range []string{
		"created ex-informer/ci through v1alpha (approval Pending)",
		"lister: ci replicas=2 cpu=2 memory=2Gi image=jenkins/jenkins:lts",
		"lister: ci replicas=3; 1 JenkinsService(s) in ex-informer",
		"informer: added ci",
		"informer: deleted ci",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Every answer of the API group, the informer's list and watch included, was protobuf.
	got := responses(t, out)
	for k := range got {
		if !strings.HasSuffix(k, " "+protobuf) {
			t.Errorf("a %s answer was not protobuf: %v", k, got)
		}
	}
	for _, k := range []string{"GET", "POST", "PUT", "DELETE"} {
		if got[k+" "+protobuf] == 0 {
			t.Errorf("no %s answered in protobuf: %v", k, got)
		}
	}
}

func TestControllerRuntimeServerSideApply(t *testing.T) {
	out := runExample(t, "controller-runtime", "-namespace", "ex-cr", "-name", "ci")
	for _, want := range []string{
		"applied ex-cr/ci: replicas=2 image=jenkins/jenkins:2.462.3-lts",
		"(unchanged: true)",
		"v1alpha: ci instanceamount=2 instancecpu=1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Typed reads and the delete in protobuf; apply answers in JSON, as controller-runtime requires.
	got := responses(t, out)
	want := map[string]int{"GET " + protobuf: 2, "PATCH application/json": 2, "DELETE " + protobuf: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("responses = %v, want %v", got, want)
	}
}

// TestControllerRuntimeContentTypeProtobufBreaksApply pins what the README says:
// a rest.Config with ContentType protobuf makes controller-runtime's Apply fail
// on the client side, which is why the example uses AddToProtobufScheme instead.
func TestControllerRuntimeContentTypeProtobufBreaksApply(t *testing.T) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := cicdv1beta.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*rest.Config)
		wantErr string
	}{
		{"ContentType protobuf", func(c *rest.Config) { c.ContentType = protobuf }, "unexpected content type"},
		{"default", func(*rest.Config) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rest.CopyConfig(cfg)
			tc.mutate(c)
			cl, err := client.New(c, client.Options{Scheme: scheme})
			if err != nil {
				t.Fatal(err)
			}
			ac := applyv1beta.JenkinsService("apply-"+strings.ReplaceAll(strings.ToLower(tc.name), " ", "-"), "ex-cr").
				WithSpec(applyv1beta.JenkinsServiceSpec().WithReplicas(1))
			err = cl.Apply(context.Background(), ac, client.FieldOwner("examples-test"))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("apply: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("apply error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
