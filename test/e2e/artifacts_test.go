//go:build e2e

package e2e

import (
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeployManifests: kube-apiserver accepts every manifest of
// artifacts/deploy (server-side dry run: schema, validation, admission),
// with the certificate hack/gen-certs.sh made.
func TestDeployManifests(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)

	built, err := kubectl(ctx, env.admin, "kustomize", env.deployDir)
	if err != nil {
		t.Fatalf("kubectl kustomize artifacts/deploy: %v\n%s", err, built)
	}
	var want []string
	for _, doc := range splitYAML(built) {
		kind, name := topField(doc, "kind"), metadataName(doc)
		want = append(want, strings.ToLower(kind)+"/"+name)
	}
	for _, k := range []string{
		"namespace/cicd-system", "serviceaccount/cicd-apiserver", "clusterrole/cicd-apiserver",
		"clusterrolebinding/cicd-apiserver:system:auth-delegator", "rolebinding/cicd-apiserver:extension-apiserver-authentication-reader",
		"deployment/cicd-apiserver", "poddisruptionbudget/cicd-apiserver", "service/cicd-apiserver", "secret/cicd-apiserver-serving-cert",
		"statefulset/cicd-etcd", "service/cicd-etcd", "apiservice/v1beta.autobusi.group.cicd", "apiservice/v1alpha.autobusi.group.cicd",
		"serviceaccount/cicd-controller", "clusterrole/cicd-controller", "clusterrolebinding/cicd-controller",
		"role/cicd-controller-leader-election", "rolebinding/cicd-controller-leader-election", "deployment/cicd-controller",
	} {
		if !contains(want, k) {
			t.Errorf("artifacts/deploy has no %s (has %v)", k, want)
		}
	}

	out, err := kubectl(ctx, env.admin, "apply", "--dry-run=server", "-k", env.deployDir)
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server -k artifacts/deploy: %v\n%s", err, out)
	}
	t.Logf("kubectl apply --dry-run=server -k artifacts/deploy:\n%s", out)
	if n := strings.Count(out, "(server dry run)"); n != len(want) {
		t.Errorf("kubectl apply --dry-run=server -k artifacts/deploy: %d objects, want %d\n%s", n, len(want), out)
	}
	if strings.Contains(out, "Warning") {
		t.Errorf("kubectl apply --dry-run=server -k artifacts/deploy warns:\n%s", out)
	}

	// The APIServices carry the CA that signed the serving certificate, and
	// v1beta has the higher versionPriority.
	for _, doc := range splitYAML(built) {
		if topField(doc, "kind") != "APIService" {
			continue
		}
		if !strings.Contains(doc, "caBundle: ") {
			t.Errorf("APIService %s has no caBundle", metadataName(doc))
		}
		prio := field(doc, "versionPriority")
		if (strings.HasPrefix(metadataName(doc), "v1beta.") && prio != "20") || (strings.HasPrefix(metadataName(doc), "v1alpha.") && prio != "10") {
			t.Errorf("APIService %s: versionPriority %s", metadataName(doc), prio)
		}
	}
}

// TestCertManagerOverlay: artifacts/deploy/cert-manager builds, asks
// cert-manager for the serving certificate and CA injection, and everything
// but cert-manager's own kinds passes a server-side dry run.
func TestCertManagerOverlay(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	built, err := kubectl(ctx, env.admin, "kustomize", filepath.Join(env.root, "artifacts", "deploy", "cert-manager"))
	if err != nil {
		t.Fatalf("kubectl kustomize artifacts/deploy/cert-manager: %v\n%s", err, built)
	}
	var rest []string
	injected, certs := 0, 0
	for _, doc := range splitYAML(built) {
		switch {
		case strings.HasPrefix(topField(doc, "apiVersion"), "cert-manager.io/"):
			if topField(doc, "kind") == "Certificate" && field(doc, "secretName") == "cicd-apiserver-serving-cert" {
				certs++
				if !strings.Contains(doc, "- cicd-apiserver.cicd-system.svc\n") {
					t.Errorf("the serving Certificate does not name cicd-apiserver.cicd-system.svc:\n%s", doc)
				}
			}
			continue
		case topField(doc, "kind") == "APIService":
			if strings.Contains(doc, "cert-manager.io/inject-ca-from: cicd-system/cicd-apiserver-serving-cert") {
				injected++
			}
		case topField(doc, "kind") == "Secret":
			t.Errorf("the cert-manager overlay has a Secret of its own:\n%s", doc)
		}
		rest = append(rest, doc)
	}
	if injected != 2 || certs != 1 {
		t.Errorf("cert-manager overlay: %d APIServices with CA injection (want 2), %d serving Certificates (want 1)", injected, certs)
	}
	out, err := kubectlIn(ctx, env.admin, strings.Join(rest, "\n---\n"), "apply", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server (cert-manager overlay without cert-manager's kinds): %v\n%s", err, out)
	}
}

// TestGenCerts: the serving certificate is valid for the name the
// aggregator checks, and a second run keeps the CA, so caBundle stays.
func TestGenCerts(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	dir := t.TempDir()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if out, err := runCmd(ctx, env.root, nil, time.Minute, "bash", "hack/gen-certs.sh", "--out", dir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ca1, tls1, patch1 := read("ca.crt"), read("tls.crt"), read("apiservices-cabundle.yaml")
	if out, err := runCmd(ctx, env.root, nil, time.Minute, "bash", "hack/gen-certs.sh", "--out", dir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if string(read("ca.crt")) != string(ca1) || string(read("apiservices-cabundle.yaml")) != string(patch1) {
		t.Errorf("a second run of hack/gen-certs.sh changed the CA or caBundle")
	}
	if string(read("tls.crt")) == string(tls1) {
		t.Errorf("a second run of hack/gen-certs.sh did not make a new serving certificate")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(read("ca.crt")) {
		t.Fatal("ca.crt holds no certificate")
	}
	block, _ := pem.Decode(read("tls.crt"))
	if block == nil {
		t.Fatal("tls.crt holds no certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cicd-apiserver.cicd-system.svc", "cicd-apiserver.cicd-system.svc.cluster.local"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("serving certificate for %s: %v", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "tls.key")); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("tls.key: %v, mode %v; want readable by its owner only", err, fi.Mode())
	}
}

// TestExamples: the examples apply, one per version, and read back in the
// other version.
func TestExamples(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	if _, err := env.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteNamespaceAndWait(t, "team-a") })
	out, err := kubectl(ctx, env.admin, "apply", "-f", filepath.Join(env.root, "artifacts", "examples"))
	if err != nil {
		t.Fatalf("kubectl apply -f artifacts/examples: %v\n%s", err, out)
	}
	beta, err := env.js.CicdV1beta().JenkinsServices("team-a").Get(ctx, "nightly", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if beta.Spec.Resources.CPU.String() != "2" || beta.Spec.Resources.Memory.String() != "2Gi" || beta.Spec.Image != "jenkins/jenkins:lts" {
		t.Errorf("the v1alpha example through v1beta: %+v", beta.Spec)
	}
	alpha, err := env.js.CicdV1alpha().JenkinsServices("team-a").Get(ctx, "release-train", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if alpha.Spec.InstanceAmount != 2 || alpha.Spec.InstanceCpu != 2 {
		t.Errorf("the v1beta example through v1alpha: %+v", alpha.Spec)
	}
}

// TestImageBinary: the server the tests run is the image's build
// (artifacts/build.sh): static, so that it runs on distroless/static; and
// the image runs it as a non-root user.
func TestImageBinary(t *testing.T) {
	f, err := elf.Open(env.server)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s is dynamically linked (%s)", env.server, p.Type)
		}
	}
	df, err := os.ReadFile(filepath.Join(env.root, "artifacts", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d := string(df)
	stages := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(d, -1)
	if len(stages) < 2 || !strings.HasPrefix(stages[len(stages)-1][1], "gcr.io/distroless/static") {
		t.Errorf("artifacts/Dockerfile: want a multi-stage build ending on distroless/static, got %v", stages)
	}
	if !strings.Contains(d, "artifacts/build.sh") {
		t.Errorf("artifacts/Dockerfile does not build with artifacts/build.sh")
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(d, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || strings.HasPrefix(users[len(users)-1][1], "root") {
		t.Errorf("artifacts/Dockerfile: the image does not run as a non-root user (%v)", users)
	}
}

// splitYAML splits a multi-document YAML stream.
func splitYAML(s string) []string {
	var docs []string
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(s, -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.TrimSpace(d)+"\n")
		}
	}
	return docs
}

// field is the value of the first line "<name>: value" at any indentation.
func field(doc, name string) string {
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(name) + `:\s*(\S.*)$`).FindStringSubmatch(doc)
	if m == nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m[1]), `"'`)
}

// topField is the value of the top-level "<name>: value".
func topField(doc, name string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `:\s*(\S.*)$`).FindStringSubmatch(doc)
	if m == nil {
		return ""
	}
	return strings.Trim(strings.TrimSpace(m[1]), `"'`)
}

// metadataName is metadata.name of a manifest.
func metadataName(doc string) string {
	m := regexp.MustCompile(`(?m)^metadata:\n(?:  .*\n)*?  name: (\S+)`).FindStringSubmatch(doc)
	if m == nil {
		return ""
	}
	return m[1]
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
