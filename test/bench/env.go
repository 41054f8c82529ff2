package main

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/bench/webhook"
	"github.com/autobusi/cicd-apiserver/test/internal/testproc"
)

//go:embed crd.yaml
var crdYAML string

const (
	protobuf = "application/vnd.kubernetes.protobuf"
	jsonType = "application/json"
)

// environment is what the setups share: binaries, certificates, versions.
type environment struct {
	o                                 *options
	server, etcd, kubeAPIServer, self string
	pki                               *pki
	logs                              string
	want                              map[string]bool // the setups to start

	versions       map[string]string
	preferred      map[string]string // "ours", "crd": the group's preferred version in discovery
	storedBytes    map[string]int    // mean stored value size per setup
	etcdValueBytes int
}

func newEnvironment(o *options) (*environment, error) {
	e := &environment{o: o, logs: filepath.Join(o.workDir, "logs"), versions: map[string]string{}, storedBytes: map[string]int{}, preferred: map[string]string{}}
	e.server = o.serverBin
	e.etcd = filepath.Join(o.binDir, "etcd")
	e.kubeAPIServer = filepath.Join(o.binDir, "kube-apiserver")
	need := []string{e.server, e.etcd}
	if o.setups["crd-beta"] || o.setups["crd-alpha"] || o.setups["deploy"] || o.setups["ours-agg"] || o.setups["ours-agg-json"] {
		need = append(need, e.kubeAPIServer)
	}
	for _, b := range need {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("%s: %w (hack/bench.sh builds it)", b, err)
		}
	}
	var err error
	if e.self, err = os.Executable(); err != nil {
		return nil, err
	}
	if e.pki, err = newPKI(filepath.Join(o.workDir, "pki")); err != nil {
		return nil, err
	}
	e.versions["cicd-apiserver"] = firstLine(exec.Command(e.server, "version").Output())
	if contains(need, e.kubeAPIServer) {
		e.versions["kube-apiserver"] = firstLine(exec.Command(e.kubeAPIServer, "--version").Output())
	}
	return e, nil
}

// fresh is e with its processes' data under dir, so that setups can be
// started anew beside (or after) e's.
func (e *environment) fresh(dir string) *environment {
	o := *e.o
	o.workDir = dir
	f := *e
	f.o = &o
	f.logs = filepath.Join(dir, "logs")
	return &f
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// etcdProfiler fetches CPU profiles of the etcd at url (started with
// --enable-pprof when there is a -profile-dir).
func etcdProfiler(url string) func(time.Duration) (io.ReadCloser, error) {
	profile, _ := httpGetter(&http.Client{}, url)
	return profile
}

// startEtcd starts a fresh etcd on loopback.
func (e *environment) startEtcd(ctx context.Context, name string) (*proc, string, error) {
	cp, err := testproc.FreePort()
	if err != nil {
		return nil, "", err
	}
	pp, err := testproc.FreePort()
	if err != nil {
		return nil, "", err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", cp)
	peer := fmt.Sprintf("http://127.0.0.1:%d", pp)
	args := []string{
		"--name", name,
		"--data-dir", filepath.Join(e.o.workDir, name),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", name + "=" + peer,
		"--quota-backend-bytes", strconv.Itoa(8 << 30),
		"--log-level", "warn",
	}
	if !e.o.fsync {
		args = append(args, "--unsafe-no-fsync")
	}
	if e.o.profileDir != "" {
		args = append(args, "--enable-pprof")
	}
	p, err := startProc(name, e.logs, e.etcd, nil, args...)
	if err != nil {
		return nil, "", err
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	if err := p.waitHTTP(ctx, hc, client+"/health", time.Minute); err != nil {
		p.stop(10 * time.Second)
		return nil, "", err
	}
	if _, ok := e.versions["etcd"]; !ok {
		if resp, err := hc.Get(client + "/version"); err == nil {
			var v struct {
				Server string `json:"etcdserver"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
			e.versions["etcd"] = v.Server
		}
	}
	return p, client, nil
}

// noGzip is -no-gzip: clients do not ask for compressed responses.
var noGzip bool

func unlimited(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	cfg.Timeout = 5 * time.Minute
	cfg.DisableCompression = noGzip
	return cfg
}

func withContentType(cfg *rest.Config, ct string) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType, cfg.AcceptContentTypes = ct, ct
	return cfg
}

var kubeconfigLine = regexp.MustCompile(`KUBECONFIG=(\S+?);?(\s|$)`)

// stops stops processes in the reverse order of their start.
type stops []func()

func (s *stops) add(f func()) { *s = append(*s, f) }

func (s *stops) run() {
	for i := len(*s) - 1; i >= 0; i-- {
		(*s)[i]()
	}
	*s = nil
}

// startOurs starts one of our local setups: a fresh cicd-apiserver in local
// mode with a fresh etcd of its own. st stops them.
func (e *environment) startOurs(ctx context.Context, id string, st *stops) (*setup, error) {
	etcd, etcdURL, err := e.startEtcd(ctx, id+"-etcd")
	if err != nil {
		return nil, err
	}
	st.add(func() { etcd.stop(30 * time.Second) })
	logf("[%s] starting cicd-apiserver local (etcd %s)", id, etcdURL)
	srv, err := startProc(id+"-cicd-apiserver", e.logs, e.server, nil, "local",
		"--data-dir", filepath.Join(e.o.workDir, id+"-data"),
		"--secure-port", "0",
		"--max-jenkinsservices", "0",
		"--profiling",
		"--etcd-servers", etcdURL)
	if err != nil {
		return nil, err
	}
	st.add(func() { srv.stop(60 * time.Second) })
	m, err := srv.waitLine(kubeconfigLine, 3*time.Minute)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", m[1])
	if err != nil {
		return nil, err
	}
	cfg = unlimited(cfg)

	if _, ok := e.preferred["ours"]; !ok {
		e.preferred["ours"] = preferredVersion(cfg)
		logf("[%s] discovery: preferred version of autobusi.group.cicd is %s", id, e.preferred["ours"])
	}
	s := &setup{id: id, ns: namespace, roles: []role{{"server", srv.pid()}, {"etcd", etcd.pid()}}, rssPID: srv.pid()}
	switch id {
	case "ours-json":
		s.title = "cicd-apiserver, v1beta, JSON"
		cs, err := versioned.NewForConfig(withContentType(cfg, jsonType))
		if err != nil {
			return nil, err
		}
		s.t = newV1betaTarget(cs.CicdV1beta().JenkinsServices(s.ns), s.ns)
	case "ours-pb":
		s.title = "cicd-apiserver, v1beta, protobuf"
		cs, err := versioned.NewForConfig(withContentType(cfg, protobuf))
		if err != nil {
			return nil, err
		}
		s.t = newV1betaTarget(cs.CicdV1beta().JenkinsServices(s.ns), s.ns)
	case "ours-alpha":
		s.title = "cicd-apiserver, v1alpha (conversion in process), protobuf"
		cs, err := versioned.NewForConfig(withContentType(cfg, protobuf))
		if err != nil {
			return nil, err
		}
		s.t = newV1alphaTarget(cs.CicdV1alpha().JenkinsServices(s.ns), s.ns)
	}
	if hc, err := rest.HTTPClientFor(cfg); err == nil {
		s.profile, s.heap = httpGetter(hc, cfg.Host)
	}
	s.etcdProfile = etcdProfiler(etcdURL)
	// The stored size (for the raw etcd setup, that of ours-pb).
	if n, err := storedSize(ctx, s.t, etcdURL, "/registry/cicd-apiserver.autobusi.com/", s.ns); err == nil {
		s.storedBytes = n
		if id == "ours-pb" || e.storedBytes["ours"] == 0 {
			e.storedBytes["ours"] = n
		}
	} else {
		logf("[%s] stored size: %v", id, err)
	}
	return s, nil
}

// storedSize creates object 0, reads its value from etcd under prefix
// and deletes it.
func storedSize(ctx context.Context, t target, etcdURL, prefix, ns string) (int, error) {
	if err := t.create(ctx, 0); err != nil {
		return 0, err
	}
	defer func() { _ = t.deleteCollection(ctx) }()
	c, err := newEtcdClient(etcdURL)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	resp, err := c.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	for _, kv := range resp.Kvs {
		if strings.HasSuffix(string(kv.Key), "/"+ns+"/"+objName(0)) {
			return len(kv.Value), nil
		}
	}
	return 0, fmt.Errorf("no %s/%s under %s", ns, objName(0), prefix)
}

// startKube starts etcd, the conversion webhook and kube-apiserver, installs
// the CRD and returns the CRD and Deployment setups.
func (e *environment) startKube(ctx context.Context, st *stops) ([]*setup, error) {
	etcd, etcdURL, err := e.startEtcd(ctx, "kube-etcd")
	if err != nil {
		return nil, err
	}
	st.add(func() { etcd.stop(30 * time.Second) })

	wh, err := startProc("webhook", e.logs, e.self, nil, "webhook", "--addr", "127.0.0.1:0",
		"--cert", e.pki.serverCert, "--key", e.pki.serverKey)
	if err != nil {
		return nil, err
	}
	st.add(func() { wh.stop(10 * time.Second) })
	m, err := wh.waitLine(regexp.MustCompile(`listening on (https://\S+)`), time.Minute)
	if err != nil {
		return nil, err
	}
	whURL := m[1]
	reviews := webhookStats(e.pki, whURL)

	logf("[kube] starting kube-apiserver %s (etcd %s), conversion webhook at %s", e.versions["kube-apiserver"], etcdURL, whURL)
	kas, cfg, hc, err := e.startKubeAPIServer(ctx, st, "kube", etcdURL)
	if err != nil {
		return nil, err
	}

	kubePB, err := kubernetes.NewForConfig(withContentType(cfg, protobuf))
	if err != nil {
		return nil, err
	}
	// A namespace per setup: they share the server and interleave.
	nsOf := map[string]string{"crd-beta": namespace, "crd-alpha": namespace + "-alpha", "deploy": namespace + "-deploy"}
	for _, ns := range nsOf {
		if _, err := kubePB.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	if err := e.installCRD(ctx, cfg, whURL); err != nil {
		return nil, err
	}
	ccfg, err := e.clientConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	js, err := versioned.NewForConfig(withContentType(ccfg, jsonType))
	if err != nil {
		return nil, err
	}
	clientPB, err := kubernetes.NewForConfig(withContentType(ccfg, protobuf))
	if err != nil {
		return nil, err
	}
	e.preferred["crd"] = preferredVersion(cfg)
	logf("[kube] discovery: preferred version of autobusi.group.cicd is %s", e.preferred["crd"])
	profile, heap := httpGetter(hc, cfg.Host)
	roles := []role{{"server", kas.pid()}, {"webhook", wh.pid()}, {"etcd", etcd.pid()}}

	var out []*setup
	for _, id := range []string{"crd-beta", "crd-alpha", "deploy"} {
		if !e.want[id] {
			continue
		}
		ns := nsOf[id]
		s := &setup{id: id, ns: ns, roles: roles, rssPID: kas.pid(), profile: profile, heap: heap, reviews: reviews, etcdProfile: etcdProfiler(etcdURL)}
		prefix := "/registry/autobusi.group.cicd/"
		switch id {
		case "crd-beta":
			s.title = "CRD with conversion webhook, v1beta, JSON"
			s.t = newV1betaTarget(js.CicdV1beta().JenkinsServices(ns), ns)
		case "crd-alpha":
			s.title = "CRD with conversion webhook, v1alpha, JSON"
			s.t = newV1alphaTarget(js.CicdV1alpha().JenkinsServices(ns), ns)
		case "deploy":
			s.title = "built-in Deployments, apps/v1, protobuf"
			s.roles = []role{{"server", kas.pid()}, {"etcd", etcd.pid()}}
			s.reviews = nil
			s.t = newDeploymentTarget(clientPB.AppsV1().Deployments(ns), ns)
			prefix = "/registry/deployments/"
		}
		if n, err := storedSize(ctx, s.t, etcdURL, prefix, ns); err == nil {
			s.storedBytes = n
		} else {
			logf("[%s] stored size: %v", id, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// startKubeAPIServer starts kube-apiserver (logs: <name>-apiserver.log) on
// etcdURL with extra flags, and returns it once ready, with the admin's
// config and HTTP client.
func (e *environment) startKubeAPIServer(ctx context.Context, st *stops, name, etcdURL string, extra ...string) (*proc, *rest.Config, *http.Client, error) {
	port, err := testproc.FreePort()
	if err != nil {
		return nil, nil, nil, err
	}
	kas, err := startProc(name+"-apiserver", e.logs, e.kubeAPIServer, nil, append([]string{
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1",
		"--endpoint-reconciler-type", "none",
		"--secure-port", strconv.Itoa(port),
		"--tls-cert-file", e.pki.serverCert,
		"--tls-private-key-file", e.pki.serverKey,
		"--client-ca-file", e.pki.caFile,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", e.pki.saPub,
		"--service-account-signing-key-file", e.pki.saPriv,
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--profiling",
		"--v=0",
	}, extra...)...)
	if err != nil {
		return nil, nil, nil, err
	}
	st.add(func() { kas.stop(60 * time.Second) })
	cfg := unlimited(&rest.Config{
		Host: fmt.Sprintf("https://127.0.0.1:%d", port),
		TLSClientConfig: rest.TLSClientConfig{
			CAFile: e.pki.caFile, CertFile: e.pki.adminCert, KeyFile: e.pki.adminKey,
		},
	})
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	t0 := time.Now()
	if err := kas.waitHTTP(ctx, hc, cfg.Host+"/readyz", 5*time.Minute); err != nil {
		return nil, nil, nil, err
	}
	logf("[%s] kube-apiserver ready on %s in %s", name, cfg.Host, time.Since(t0).Round(time.Second))
	return kas, cfg, hc, nil
}

// preferredVersion is the preferred version of our group in discovery.
func preferredVersion(cfg *rest.Config) string {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	groups, err := dc.ServerGroups()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, g := range groups.Groups {
		if g.Name == "autobusi.group.cicd" {
			return g.PreferredVersion.Version
		}
	}
	return "not served"
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func (e *environment) installCRD(ctx context.Context, cfg *rest.Config, whURL string) error {
	ca, err := os.ReadFile(e.pki.caFile)
	if err != nil {
		return err
	}
	text := strings.Replace(crdYAML, "url: URL", "url: "+whURL+"/convert", 1)
	text = strings.Replace(text, "caBundle: CA_BUNDLE", "caBundle: "+base64.StdEncoding.EncodeToString(ca), 1)
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(text), &obj.Object); err != nil {
		return fmt.Errorf("crd.yaml: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the CRD: %w", err)
	}
	logf("[kube] CRD %s created; waiting until both versions serve", obj.GetName())
	js, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return waitFor(ctx, 2*time.Minute, 250*time.Millisecond, func() (bool, error) {
		crd, err := dyn.Resource(crdGVR).Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		established := false
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				established = true
			}
		}
		if !established {
			return false, errors.New("not Established")
		}
		if _, err := js.CicdV1beta().JenkinsServices(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			return false, err
		}
		if _, err := js.CicdV1alpha().JenkinsServices(namespace).List(ctx, metav1.ListOptions{}); err != nil {
			return false, err
		}
		return true, nil
	})
}

// webhookCounters are the conversion webhook's counters.
type webhookCounters struct {
	Reviews, Objects int64
	Pairs            map[string]int64
}

func webhookStats(p *pki, base string) func() webhookCounters {
	cfg := &rest.Config{TLSClientConfig: rest.TLSClientConfig{CAFile: p.caFile}}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil
	}
	hc.Timeout = 10 * time.Second
	return func() webhookCounters {
		var s webhookCounters
		resp, err := hc.Get(base + "/stats")
		if err != nil {
			return s
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&s)
		return s
	}
}

// startRawEtcd starts the raw etcd setup.
func (e *environment) startRawEtcd(ctx context.Context, st *stops) (*setup, error) {
	etcd, url, err := e.startEtcd(ctx, "raw-etcd")
	if err != nil {
		return nil, err
	}
	st.add(func() { etcd.stop(30 * time.Second) })
	c, err := newEtcdClient(url)
	if err != nil {
		return nil, err
	}
	st.add(func() { c.Close() })
	size := e.o.valueSize
	if size == 0 {
		size = e.storedBytes["ours"]
	}
	if size == 0 {
		size = 865
	}
	e.etcdValueBytes = size
	s := &setup{
		id:          "etcd",
		title:       fmt.Sprintf("raw etcd, %d-byte values", size),
		t:           newEtcdTarget(c, size),
		roles:       []role{{"etcd", etcd.pid()}},
		etcdProfile: etcdProfiler(url),
		ns:          namespace,
		storedBytes: size,
	}
	return s, nil
}

// runWebhook is `bench webhook`: the conversion webhook as a process of its
// own, so that its CPU time counts separately.
func runWebhook(args []string) error {
	fs := flag.NewFlagSet("webhook", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	cert := fs.String("cert", "", "serving certificate")
	key := fs.String("key", "", "serving key")
	_ = fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	c := webhook.NewConverter()
	var served atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			c.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	fmt.Printf("listening on https://%s\n", l.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(l, *cert, *key) }()
	sig := make(chan os.Signal, 1)
	signalNotify(sig)
	select {
	case err := <-done:
		return err
	case <-sig:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		fmt.Fprintf(os.Stderr, "served %d requests, %d reviews, %d objects; objects by conversion: %v\n",
			served.Load(), c.Reviews.Load(), c.Objects.Load(), c.Pairs())
		return nil
	}
}
