package main

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/internal/testproc"
)

// The deployed path (ours-agg, ours-agg-json): clients talk to kube-apiserver,
// whose aggregator proxies to cicd-apiserver in delegated mode (TokenReview
// and SubjectAccessReview through kube-apiserver, the user from the front
// proxy's headers), as artifacts/deploy registers it: an APIService per
// version pointing at a Service, here an ExternalName for localhost.
const (
	aggNamespace = "cicd-system"
	aggService   = "cicd-apiserver"
)

var apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// aggSetups are the setups of the deployed path, in order.
var aggSetups = []string{"ours-agg", "ours-agg-json"}

// startAgg starts etcd and kube-apiserver with the aggregation layer, our
// etcd and cicd-apiserver in delegated mode, registers the APIServices and
// returns the setups of the deployed path.
func (e *environment) startAgg(ctx context.Context, st *stops) ([]*setup, error) {
	kubeEtcd, kubeEtcdURL, err := e.startEtcd(ctx, "agg-kube-etcd")
	if err != nil {
		return nil, err
	}
	st.add(func() { kubeEtcd.stop(30 * time.Second) })
	etcd, etcdURL, err := e.startEtcd(ctx, "agg-etcd")
	if err != nil {
		return nil, err
	}
	st.add(func() { etcd.stop(30 * time.Second) })

	// The aggregator's client certificate, the one name the servers accept
	// the X-Remote-* headers from; the aggregated server's serving
	// certificate for the Service's name, which the aggregator verifies.
	proxyCert, proxyKey, err := e.pki.issueBy(e.pki.proxyCA, e.pki.proxyCAKey, "front-proxy-client", x509Cert{cn: "front-proxy-client", client: true}.template())
	if err != nil {
		return nil, err
	}
	// With -agg-routing the aggregator picks an endpoint of the Service
	// itself; endpoints may not be loopback addresses, so our server listens
	// on the machine's own address.
	cicdHost := "127.0.0.1"
	if e.o.aggRouting {
		if cicdHost, err = hostIPv4(); err != nil {
			return nil, err
		}
	}
	svcName := aggService + "." + aggNamespace + ".svc"
	servingCert, servingKey, err := e.pki.issue("cicd-serving", x509Cert{cn: svcName, dns: []string{svcName, "localhost"}, ip: cicdHost}.template())
	if err != nil {
		return nil, err
	}

	logf("[agg] starting kube-apiserver with the aggregation layer (etcd %s)", kubeEtcdURL)
	kas, cfg, hc, err := e.startKubeAPIServer(ctx, st, "agg", kubeEtcdURL,
		"--requestheader-client-ca-file", e.pki.proxyCAFile,
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", proxyCert,
		"--proxy-client-key-file", proxyKey,
		// Without routing the Service is an ExternalName (no endpoints): the
		// aggregator dials the Service's name, as it does for a cluster IP.
		"--enable-aggregator-routing="+strconv.FormatBool(e.o.aggRouting),
	)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(withContentType(cfg, protobuf))
	if err != nil {
		return nil, err
	}
	nsOf := map[string]string{"ours-agg": namespace, "ours-agg-json": namespace + "-json"}
	for _, ns := range []string{aggNamespace, nsOf["ours-agg"], nsOf["ours-agg-json"]} {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}

	// cicd-apiserver in delegated mode, with the admin's kubeconfig (the
	// ServiceAccount of artifacts/deploy is what make e2e checks; here it is
	// the path's speed that counts).
	kubeconfig := filepath.Join(e.o.workDir, "agg-admin.kubeconfig")
	if err := writeKubeconfig(kubeconfig, cfg.Host, e.pki); err != nil {
		return nil, err
	}
	cicdPort, err := testproc.FreePort()
	if err != nil {
		return nil, err
	}
	logf("[agg] starting cicd-apiserver in delegated mode on 127.0.0.1:%d (etcd %s)", cicdPort, etcdURL)
	srv, err := startProc("agg-cicd-apiserver", e.logs, e.server, nil, append([]string{
		"--kubeconfig", kubeconfig,
		"--authentication-kubeconfig", kubeconfig,
		"--authorization-kubeconfig", kubeconfig,
		"--etcd-servers", etcdURL,
		"--bind-address", cicdHost,
		"--secure-port", strconv.Itoa(cicdPort),
		"--tls-cert-file", servingCert,
		"--tls-private-key-file", servingKey,
		"--max-jenkinsservices", "0",
		"--profiling",
	}, e.o.aggServerFlags...)...)
	if err != nil {
		return nil, err
	}
	st.add(func() { srv.stop(60 * time.Second) })
	direct := rest.CopyConfig(cfg)
	direct.Host = fmt.Sprintf("https://%s:%d", cicdHost, cicdPort)
	dhc, err := rest.HTTPClientFor(direct)
	if err != nil {
		return nil, err
	}
	if err := srv.waitHTTP(ctx, dhc, direct.Host+"/readyz", 3*time.Minute); err != nil {
		return nil, err
	}
	if err := e.registerAgg(ctx, cfg, kube, cicdHost, cicdPort); err != nil {
		return nil, err
	}
	if _, ok := e.preferred["agg"]; !ok {
		e.preferred["agg"] = preferredVersion(cfg)
	}
	ccfg, err := e.clientConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	profile, _ := httpGetter(hc, cfg.Host)
	backendProfile, heap := httpGetter(dhc, direct.Host)
	roles := []role{{"server", kas.pid()}, {"backend", srv.pid()}, {"etcd", etcd.pid()}, {"kube-etcd", kubeEtcd.pid()}}
	var out []*setup
	for _, id := range aggSetups {
		if !e.want[id] {
			continue
		}
		ns := nsOf[id]
		s := &setup{id: id, ns: ns, roles: roles, rssPID: srv.pid(), profile: profile, backendProfile: backendProfile,
			heap: heap, etcdProfile: etcdProfiler(etcdURL)}
		ct := protobuf
		s.title = "cicd-apiserver behind kube-apiserver's aggregator, v1beta, protobuf"
		if id == "ours-agg-json" {
			ct = jsonType
			s.title = "cicd-apiserver behind kube-apiserver's aggregator, v1beta, JSON"
		}
		cs, err := versioned.NewForConfig(withContentType(ccfg, ct))
		if err != nil {
			return nil, err
		}
		s.t = newV1betaTarget(cs.CicdV1beta().JenkinsServices(ns), ns)
		if n, err := storedSize(ctx, s.t, etcdURL, "/registry/cicd-apiserver.autobusi.com/", ns); err == nil {
			s.storedBytes = n
		} else {
			logf("[%s] stored size: %v", id, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// registerAgg creates the Service and both APIServices, as artifacts/deploy
// does, and waits until they are Available.
func (e *environment) registerAgg(ctx context.Context, cfg *rest.Config, kube kubernetes.Interface, host string, port int) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: aggService, Namespace: aggNamespace},
		Spec: corev1.ServiceSpec{
			Type:         corev1.ServiceTypeExternalName,
			ExternalName: "localhost",
			Ports:        []corev1.ServicePort{{Name: "https", Port: int32(port)}},
		},
	}
	if e.o.aggRouting {
		// A Service without a selector and its EndpointSlice, as the
		// EndpointSlice controller would write it for the server's pod.
		svc.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: svc.Spec.Ports}
	}
	if _, err := kube.CoreV1().Services(aggNamespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	if e.o.aggRouting {
		ready, name, p := true, "https", int32(port)
		if _, err := kube.DiscoveryV1().EndpointSlices(aggNamespace).Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: aggService + "-bench", Namespace: aggNamespace, Labels: map[string]string{discoveryv1.LabelServiceName: aggService}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{host}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &p}},
		}, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("endpoint slice: %w", err)
		}
	}
	ca, err := os.ReadFile(e.pki.caFile)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	names := []string{}
	for _, v := range []struct {
		version  string
		priority int64
	}{{"v1beta", 20}, {"v1alpha", 10}} {
		name := v.version + ".autobusi.group.cicd"
		names = append(names, name)
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1",
			"kind":       "APIService",
			"metadata":   map[string]any{"name": name},
			"spec": map[string]any{
				"group":                "autobusi.group.cicd",
				"version":              v.version,
				"groupPriorityMinimum": int64(1000),
				"versionPriority":      v.priority,
				"caBundle":             base64.StdEncoding.EncodeToString(ca),
				"service":              map[string]any{"name": aggService, "namespace": aggNamespace, "port": int64(port)},
			},
		}}
		if _, err := dyn.Resource(apiServiceGVR).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("APIService %s: %w", name, err)
		}
	}
	logf("[agg] APIServices created; waiting until they are Available")
	return waitFor(ctx, 3*time.Minute, 250*time.Millisecond, func() (bool, error) {
		for _, name := range names {
			o, err := dyn.Resource(apiServiceGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
			ok := false
			msg := "no Available condition"
			for _, c := range conds {
				if m, _ := c.(map[string]any); m != nil && m["type"] == "Available" {
					ok = m["status"] == "True"
					msg = fmt.Sprint(m["reason"], ": ", m["message"])
				}
			}
			if !ok {
				return false, errors.New(name + " not Available: " + msg)
			}
		}
		return true, nil
	})
}

// hostIPv4 is the first IPv4 address of the machine that is not loopback
// or link-local.
func hostIPv4() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String(), nil
		}
	}
	return "", errors.New("-agg-routing: the machine has no IPv4 address but loopback")
}

// writeKubeconfig writes a kubeconfig for the admin at host.
func writeKubeconfig(path, host string, p *pki) error {
	c := clientcmdapi.NewConfig()
	c.Clusters["bench"] = &clientcmdapi.Cluster{Server: host, CertificateAuthority: p.caFile}
	c.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificate: p.adminCert, ClientKey: p.adminKey}
	c.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "admin"}
	c.CurrentContext = "bench"
	return clientcmd.WriteToFile(*c, path)
}

// x509Cert is what a certificate of the bench's CA needs.
type x509Cert struct {
	cn     string
	dns    []string
	ip     string
	client bool
}

func (c x509Cert) template() *x509.Certificate {
	t := &x509.Certificate{Subject: pkix.Name{CommonName: c.cn}, DNSNames: c.dns}
	if c.ip != "" {
		t.IPAddresses = []net.IP{net.ParseIP(c.ip)}
	}
	if c.client {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	return t
}
