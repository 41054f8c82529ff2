//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/internal/testproc"
)

// The names the manifests in artifacts/deploy use.
const (
	cicdNamespace      = "cicd-system"
	cicdService        = "cicd-apiserver"
	cicdServiceAccount = "cicd-apiserver"
	// maxJenkinsServices is the servers' --max-jenkinsservices: the default,
	// as in artifacts/deploy. Tests delete what they create.
	maxJenkinsServices = 10
)

var apiServiceNames = []string{"v1beta.autobusi.group.cicd", "v1alpha.autobusi.group.cicd"}

// env is the test cluster.
var env struct {
	root string // repository root
	dir  string // work directory: logs, certificates, kubeconfigs, data

	kubectl, etcd, kubeAPIServer, kubeControllerManager, server string // binaries

	serverCA, clientCA, frontProxyCA *ca
	kubeURL                          string
	admin                            *user

	kubeEtcd, apiserver, controllerManager *proc
	cicdEtcd                               *proc
	cicdEtcdURL                            string
	// cicdEtcdReadyURL is the plain metrics port of the servers' etcd, where
	// its /readyz needs no client certificate; cicdEtcdTLS is the servers'
	// client TLS for it (mutual TLS, certificates from hack/gen-certs.sh).
	cicdEtcdReadyURL string
	cicdEtcdTLS      *tls.Config
	// cicd are the two cicd-apiserver processes. Both listen on
	// 127.0.0.1:cicdPort (SO_REUSEPORT, --permit-port-sharing), the port the
	// ExternalName Service and the APIServices point at.
	cicd     [2]*cicdServer
	cicdPort int

	deployDir string // a copy of artifacts/deploy with certs/ from hack/gen-certs.sh

	kube  kubernetes.Interface
	dyn   dynamic.Interface
	js    versioned.Interface
	jsPB  versioned.Interface // protobuf on the wire
	setup time.Duration
}

var keep = flag.Bool("keep", os.Getenv("E2E_KEEP") != "", "keep the work directory (also E2E_KEEP=1)")

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	start := time.Now()
	var err error
	if env.dir, err = os.MkdirTemp("", "cicd-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: work directory %s\n", env.dir)
	defer func() {
		teardown()
		if code == 0 && !*keep {
			os.RemoveAll(env.dir)
		} else {
			fmt.Fprintf(os.Stderr, "e2e: kept the work directory %s (logs in logs/)\n", env.dir)
		}
	}()
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup failed after %s: %v\n", time.Since(start).Round(time.Second), err)
		return 1
	}
	env.setup = time.Since(start)
	fmt.Fprintf(os.Stderr, "e2e: cluster up in %s\n", env.setup.Round(time.Second))
	return m.Run()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e %s: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// setup brings the cluster up: tools, certificates, etcd, kube-apiserver,
// kube-controller-manager, the registration from artifacts/deploy, the
// server's etcd and the two servers, until both APIServices are Available.
func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("finding the module root: %w", err)
	}
	env.root = strings.TrimSpace(string(out))

	logf("building the tools (hack/tools.sh e2e; reused when built) and the server (artifacts/build.sh)")
	if err := buildTools(); err != nil {
		return err
	}
	env.server = filepath.Join(env.dir, "bin", "cicd-apiserver")
	if _, err := runCmd(ctx, env.root, nil, 20*time.Minute, "bash", "artifacts/build.sh", env.server); err != nil {
		return fmt.Errorf("artifacts/build.sh: %w", err)
	}

	if err := makePKI(); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := startKube(ctx); err != nil {
		return err
	}
	if err := register(ctx); err != nil {
		return err
	}
	if err := startCICD(ctx); err != nil {
		return err
	}
	logf("waiting for the APIServices to be Available")
	return waitAPIServicesAvailable(ctx, 3*time.Minute)
}

func buildTools() error {
	cmd := exec.Command("bash", filepath.Join(env.root, "hack", "tools.sh"), "e2e")
	cmd.Dir = env.root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("hack/tools.sh e2e: %w", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch filepath.Base(p) {
		case "kubectl":
			env.kubectl = p
		case "etcd":
			env.etcd = p
		case "kube-apiserver":
			env.kubeAPIServer = p
		case "kube-controller-manager":
			env.kubeControllerManager = p
		}
	}
	if env.kubectl == "" || env.etcd == "" || env.kubeAPIServer == "" || env.kubeControllerManager == "" {
		return fmt.Errorf("hack/tools.sh e2e printed %q, want the paths of kubectl, etcd, kube-apiserver and kube-controller-manager", out)
	}
	return nil
}

// makePKI makes the cluster's CAs (serving, clients, front proxy), the
// service account key pair and the admin user.
func makePKI() error {
	dir := filepath.Join(env.dir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var err error
	if env.serverCA, err = newCA(dir, "server-ca"); err != nil {
		return err
	}
	if env.clientCA, err = newCA(dir, "client-ca"); err != nil {
		return err
	}
	if env.frontProxyCA, err = newCA(dir, "front-proxy-ca"); err != nil {
		return err
	}
	if _, _, err = env.serverCA.issue(dir, "kube-apiserver", certSpec{
		cn:     "kube-apiserver",
		dns:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		ips:    []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		server: true,
	}); err != nil {
		return err
	}
	// The aggregator's client certificate: its CN is the one name
	// --requestheader-allowed-names allows.
	if _, _, err = env.frontProxyCA.issue(dir, "front-proxy-client", certSpec{cn: "front-proxy-client"}); err != nil {
		return err
	}
	if _, _, err = writeServiceAccountKeys(dir); err != nil {
		return err
	}
	port, err := testproc.FreePort()
	if err != nil {
		return err
	}
	env.kubeURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	env.admin, err = newUser("e2e-admin", "system:masters")
	return err
}

func etcdArgs(name string) (args []string, clientURL string, err error) {
	cp, err := testproc.FreePort()
	if err != nil {
		return nil, "", err
	}
	pp, err := testproc.FreePort()
	if err != nil {
		return nil, "", err
	}
	clientURL = fmt.Sprintf("http://127.0.0.1:%d", cp)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", pp)
	return []string{
		"--name", name,
		"--data-dir", filepath.Join(env.dir, name),
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL,
		"--initial-advertise-peer-urls", peerURL,
		"--log-level", "warn",
		"--unsafe-no-fsync",
	}, clientURL, nil
}

// startEtcd starts an etcd and waits for its /readyz at readyURL (its client
// URL, or its metrics URL when the client port wants a certificate).
func startEtcd(ctx context.Context, p *proc, readyURL string) error {
	if err := p.start(); err != nil {
		return err
	}
	return p.waitHTTP(ctx, insecureClient(2*time.Second), readyURL+"/readyz", time.Minute)
}

// etcdWithTLS makes the member of etcdArgs serve clients and peers with
// mutual TLS, as artifacts/deploy runs it, with the certificates
// hack/gen-certs.sh made in certs; its /readyz moves to a plain metrics port.
// It returns the arguments, the https client URL and the metrics URL.
func etcdWithTLS(args []string, certs string) ([]string, string, string, error) {
	mp, err := testproc.FreePort()
	if err != nil {
		return nil, "", "", err
	}
	out := make([]string, 0, len(args)+20)
	clientURL := ""
	for i, a := range args {
		a = strings.Replace(a, "http://127.0.0.1", "https://127.0.0.1", 1)
		if i > 0 && args[i-1] == "--listen-client-urls" {
			clientURL = a
		}
		out = append(out, a)
	}
	f := func(name string) string { return filepath.Join(certs, name) }
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d", mp)
	out = append(out,
		"--client-cert-auth", "--trusted-ca-file", f("etcd-ca.crt"),
		"--cert-file", f("etcd-server.crt"), "--key-file", f("etcd-server.key"),
		"--peer-client-cert-auth", "--peer-trusted-ca-file", f("etcd-ca.crt"),
		"--peer-cert-file", f("etcd-peer.crt"), "--peer-key-file", f("etcd-peer.key"),
		"--listen-metrics-urls", metricsURL,
	)
	return out, clientURL, metricsURL, nil
}

// etcdClientTLS is the client TLS of the servers for their etcd.
func etcdClientTLS(certs string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(filepath.Join(certs, "etcd-ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", filepath.Join(certs, "etcd-ca.crt"))
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(certs, "etcd-client.crt"), filepath.Join(certs, "etcd-client.key"))
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func startKube(ctx context.Context) error {
	pki := filepath.Join(env.dir, "pki")
	f := func(name string) string { return filepath.Join(pki, name) }

	args, etcdURL, err := etcdArgs("kube-etcd")
	if err != nil {
		return err
	}
	env.kubeEtcd = newProc("kube-etcd", env.etcd, args...)
	logf("starting etcd for kube-apiserver on %s", etcdURL)
	if err := startEtcd(ctx, env.kubeEtcd, etcdURL); err != nil {
		return err
	}

	_, port, _ := net.SplitHostPort(strings.TrimPrefix(env.kubeURL, "https://"))
	env.apiserver = newProc("kube-apiserver", env.kubeAPIServer,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1",
		// No endpoints for the kubernetes Service: its address would be
		// loopback, which Endpoints may not hold.
		"--endpoint-reconciler-type", "none",
		"--secure-port", port,
		"--tls-cert-file", f("kube-apiserver.crt"),
		"--tls-private-key-file", f("kube-apiserver.key"),
		"--client-ca-file", f("client-ca.crt"),
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", f("sa.pub"),
		"--service-account-signing-key-file", f("sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		// The aggregation layer: kube-apiserver proxies to aggregated
		// servers with the front proxy's client certificate and the user in
		// these headers; the servers trust the headers only from a
		// certificate of --requestheader-client-ca-file with an allowed name.
		"--requestheader-client-ca-file", f("front-proxy-ca.crt"),
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", f("front-proxy-client.crt"),
		"--proxy-client-key-file", f("front-proxy-client.key"),
		"--enable-aggregator-routing=false",
		"--profiling=false",
		"--v=1",
	)
	// The aggregator talks HTTP/1.1 to aggregated servers, so that it opens a
	// connection per concurrent request and the kernel spreads them over
	// the two cicd-apiserver processes on the shared port (see
	// resilience_test.go). E2E_AGGREGATOR_HTTP2=1 leaves HTTP/2 on: then one
	// connection carries everything, to one process.
	if os.Getenv("E2E_AGGREGATOR_HTTP2") == "" {
		env.apiserver.env = []string{"DISABLE_HTTP2=true"}
	}
	logf("starting kube-apiserver on %s", env.kubeURL)
	if err := env.apiserver.start(); err != nil {
		return err
	}
	adminCfg := env.admin.config()
	httpClient, err := rest.HTTPClientFor(adminCfg)
	if err != nil {
		return err
	}
	if err := env.apiserver.waitHTTP(ctx, httpClient, env.kubeURL+"/readyz", 3*time.Minute); err != nil {
		return err
	}
	if env.kube, err = kubernetes.NewForConfig(adminCfg); err != nil {
		return err
	}
	if env.dyn, err = dynamic.NewForConfig(adminCfg); err != nil {
		return err
	}
	if env.js, err = versioned.NewForConfig(adminCfg); err != nil {
		return err
	}
	pb := rest.CopyConfig(adminCfg)
	pb.ContentType = "application/vnd.kubernetes.protobuf"
	pb.AcceptContentTypes = "application/vnd.kubernetes.protobuf"
	if env.jsPB, err = versioned.NewForConfig(pb); err != nil {
		return err
	}

	kcmPort, err := testproc.FreePort()
	if err != nil {
		return err
	}
	env.controllerManager = newProc("kube-controller-manager", env.kubeControllerManager,
		"--kubeconfig", env.admin.kubeconfig,
		"--authentication-kubeconfig", env.admin.kubeconfig,
		"--authorization-kubeconfig", env.admin.kubeconfig,
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(kcmPort),
		"--leader-elect=false",
		// What the tests need: namespace deletion and garbage collection of
		// dependents, both across the aggregated API; the StatefulSets'
		// Pods and claims of the JenkinsService controller (controller_test.go),
		// the default ServiceAccount the Pods need, and the claims' protection
		// finalizer removed once no Pod uses them; storage version migration
		// (migration_test.go; it needs the garbage collector's monitors).
		"--controllers", "namespace-controller,garbage-collector-controller,statefulset-controller,persistentvolumeclaim-protection-controller,serviceaccount-controller,storage-version-migrator-controller",
		"--concurrent-gc-syncs", "5",
		"--v=1",
	)
	logf("starting kube-controller-manager")
	if err := env.controllerManager.start(); err != nil {
		return err
	}
	return env.controllerManager.waitHTTP(ctx, insecureClient(5*time.Second), fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort), 2*time.Minute)
}

// register applies the registration from artifacts/deploy: a copy of it with
// certificates from hack/gen-certs.sh, through an overlay that leaves out
// what runs in pods (the Deployments, the etcd StatefulSet) and makes the
// Service an ExternalName for localhost on the servers' port. Namespace,
// ServiceAccount, RBAC, Secret and the APIServices with their caBundle are
// applied as they are.
func register(ctx context.Context) error {
	env.deployDir = filepath.Join(env.dir, "deploy")
	if _, err := runCmd(ctx, "", nil, time.Minute, "cp", "-r", filepath.Join(env.root, "artifacts", "deploy"), env.deployDir); err != nil {
		return err
	}
	_ = os.RemoveAll(filepath.Join(env.deployDir, "certs")) // never a developer's certificates
	if _, err := runCmd(ctx, env.root, nil, time.Minute, "bash", "hack/gen-certs.sh", "--out", filepath.Join(env.deployDir, "certs")); err != nil {
		return fmt.Errorf("hack/gen-certs.sh: %w", err)
	}

	var err error
	if env.cicdPort, err = testproc.FreePort(); err != nil {
		return err
	}
	overlay := filepath.Join(env.dir, "deploy-e2e")
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		return err
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../deploy
patches:
- patch: |-
    $patch: delete
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: cicd-apiserver, namespace: %[1]s}
- patch: |-
    $patch: delete
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: cicd-controller, namespace: %[1]s}
- patch: |-
    $patch: delete
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: cicd-etcd, namespace: %[1]s}
- target: {kind: Service, name: %[2]s}
  patch: |-
    - op: remove
      path: /spec/selector
    - op: add
      path: /spec/type
      value: ExternalName
    - op: add
      path: /spec/externalName
      value: localhost
    - op: replace
      path: /spec/ports/0/port
      value: %[3]d
    - op: replace
      path: /spec/ports/0/targetPort
      value: %[3]d
- target: {group: apiregistration.k8s.io, kind: APIService}
  patch: |-
    - op: replace
      path: /spec/service/port
      value: %[3]d
`, cicdNamespace, cicdService, env.cicdPort)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	logf("applying artifacts/deploy (registration only: ExternalName Service for localhost:%d)", env.cicdPort)
	if out, err := kubectl(ctx, env.admin, "apply", "-k", overlay); err != nil {
		return fmt.Errorf("kubectl apply -k: %v\n%s", err, out)
	}
	return nil
}

// serviceAccountKubeconfig writes a kubeconfig with a token of the
// ServiceAccount artifacts/deploy runs the server as, so that the server
// works with exactly the permissions the manifests grant it.
func serviceAccountKubeconfig(ctx context.Context) (string, error) {
	tr, err := env.kube.CoreV1().ServiceAccounts(cicdNamespace).CreateToken(ctx, cicdServiceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", cicdNamespace, cicdServiceAccount, err)
	}
	path := filepath.Join(env.dir, "cicd-apiserver.kubeconfig")
	return path, writeTokenKubeconfig(path, tr.Status.Token)
}

func startCICD(ctx context.Context) error {
	args, _, err := etcdArgs("cicd-etcd")
	if err != nil {
		return err
	}
	// Mutual TLS, as in artifacts/deploy, with the certificates register()
	// had hack/gen-certs.sh make.
	certs := filepath.Join(env.deployDir, "certs")
	args, etcdURL, readyURL, err := etcdWithTLS(args, certs)
	if err != nil {
		return err
	}
	if env.cicdEtcdTLS, err = etcdClientTLS(certs); err != nil {
		return err
	}
	env.cicdEtcdURL, env.cicdEtcdReadyURL = etcdURL, readyURL
	env.cicdEtcd = newProc("cicd-etcd", env.etcd, args...)
	logf("starting etcd for cicd-apiserver on %s (mutual TLS)", etcdURL)
	if err := startEtcd(ctx, env.cicdEtcd, readyURL); err != nil {
		return err
	}
	kubeconfig, err := serviceAccountKubeconfig(ctx)
	if err != nil {
		return err
	}
	policy := filepath.Join(env.dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return err
	}
	for i, name := range []string{"cicd-apiserver-a", "cicd-apiserver-b"} {
		s := &cicdServer{audit: filepath.Join(env.dir, "logs", name+".audit.log")}
		s.proc = newProc(name, env.server,
			// Delegated mode: the core API, TokenReview and SubjectAccessReview
			// through kube-apiserver, as the ServiceAccount of artifacts/deploy.
			"--kubeconfig", kubeconfig,
			"--authentication-kubeconfig", kubeconfig,
			"--authorization-kubeconfig", kubeconfig,
			"--etcd-servers", etcdURL,
			"--etcd-cafile", filepath.Join(certs, "etcd-ca.crt"),
			"--etcd-certfile", filepath.Join(certs, "etcd-client.crt"),
			"--etcd-keyfile", filepath.Join(certs, "etcd-client.key"),
			"--bind-address", "127.0.0.1",
			"--secure-port", strconv.Itoa(env.cicdPort),
			// Both processes on one port, the one the Service names.
			"--permit-port-sharing",
			"--tls-cert-file", filepath.Join(env.deployDir, "certs", "tls.crt"),
			"--tls-private-key-file", filepath.Join(env.deployDir, "certs", "tls.key"),
			"--max-jenkinsservices", strconv.Itoa(maxJenkinsServices),
			// Which process served what: each writes its own audit log.
			"--audit-policy-file", policy,
			"--audit-log-path", s.audit,
			"--audit-log-maxbackup", "0",
			"--v=1",
		)
		env.cicd[i] = s
	}
	for _, s := range env.cicd {
		logf("starting %s on 127.0.0.1:%d", s.name, env.cicdPort)
		if err := s.startAndWait(ctx); err != nil {
			return err
		}
	}
	return nil
}

func teardown() {
	for _, p := range []*proc{cicdProc(1), cicdProc(0), env.cicdEtcd, env.controllerManager, env.apiserver, env.kubeEtcd} {
		if p != nil {
			p.stop(syscall.SIGTERM, 30*time.Second)
		}
	}
}

func cicdProc(i int) *proc {
	if env.cicd[i] == nil {
		return nil
	}
	return env.cicd[i].proc
}

// runCmd runs a command, its output also to stderr, and returns the output.
func runCmd(ctx context.Context, dir string, extraEnv []string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	if err != nil {
		return b.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, b.String())
	}
	return b.String(), nil
}

// kubectl runs the pinned kubectl as u against kube-apiserver.
func kubectl(ctx context.Context, u *user, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.kubectl, append([]string{"--kubeconfig", u.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(env.dir, "kubectl-cache", u.name))
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// kubectlNS returns a runner of the pinned kubectl as the admin in namespace
// ns, which ends the test when kubectl fails.
func kubectlNS(t *testing.T, ctx context.Context, ns string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := kubectl(ctx, env.admin, append([]string{"-n", ns}, args...)...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
}

// kubectlIn is kubectl with stdin.
func kubectlIn(ctx context.Context, u *user, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.kubectl, append([]string{"--kubeconfig", u.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(env.dir, "kubectl-cache", u.name))
	cmd.Stdin = strings.NewReader(stdin)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// apiServiceConditions returns the Available condition of each APIService.
func apiServiceAvailable(ctx context.Context) (map[string]metav1.Condition, error) {
	res := map[string]metav1.Condition{}
	for _, name := range apiServiceNames {
		u, err := env.dyn.Resource(apiServiceGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		conds, _, _ := unstructuredSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Available" {
				res[name] = metav1.Condition{
					Type:    "Available",
					Status:  metav1.ConditionStatus(fmt.Sprint(m["status"])),
					Reason:  fmt.Sprint(m["reason"]),
					Message: fmt.Sprint(m["message"]),
				}
			}
		}
	}
	return res, nil
}

func waitAPIServicesAvailable(ctx context.Context, timeout time.Duration) error {
	var last map[string]metav1.Condition
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		conds, err := apiServiceAvailable(ctx)
		if err != nil {
			return false, nil
		}
		last = conds
		for _, name := range apiServiceNames {
			if conds[name].Status != metav1.ConditionTrue {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		msg := fmt.Sprintf("APIServices not Available within %s: %+v", timeout, last)
		for _, s := range env.cicd {
			if s != nil {
				msg += fmt.Sprintf("\n--- %s:\n%s", s.name, s.tail(30))
			}
		}
		return fmt.Errorf("%s\n--- kube-apiserver:\n%s", msg, env.apiserver.tail(30))
	}
	return nil
}

var _ = http.StatusOK
