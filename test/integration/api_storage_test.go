package integration

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

const etcdPrefix = "/registry/cicd-apiserver.autobusi.com/"

// API.md, Identity (storage) and round-trip rule 1: one server on an etcd
// the test can read. What is stored is protobuf in v1beta under
// /registry/cicd-apiserver.autobusi.com, holds what v1beta shows
// (requested-by included) and never a round-trip annotation, whichever
// version wrote it. Then: there is one watch cache for jenkinsservices
// although two versions are served.
func TestAPIStorageAndWatchCache(t *testing.T) {
	etcdURL := framework.StartEtcd(t)
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})
	etcd := framework.EtcdClient(t, etcdURL)

	t.Run("stored-protobuf", func(t *testing.T) {
		for _, enc := range encodings {
			t.Run(encName(enc), func(t *testing.T) {
				ctx, ns := testContext(t), namespace(t)
				c := s.Clientset(t, enc)
				beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
				createFull(ctx, t, beta, "ci")
				checkStored(ctx, t, etcd, c, ns, "ci", "after v1beta create, status and approval")

				// Written back through v1alpha (with its round-trip annotations).
				a, err := alpha.Get(ctx, "ci", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if a.Annotations[preservedSpecKey] == "" {
					t.Fatalf("v1alpha view without round-trip annotations: %v", a.Annotations)
				}
				a.Labels = map[string]string{"edited": "v1alpha"}
				if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				checkStored(ctx, t, etcd, c, ns, "ci", "after a v1alpha update")
				if a, err = alpha.Get(ctx, "ci", metav1.GetOptions{}); err != nil {
					t.Fatal(err)
				}
				if _, err := alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				checkStored(ctx, t, etcd, c, ns, "ci", "after a v1alpha status update")
				a.Status.ApprovalStatus = v1alpha.ApprovalDenied
				if _, err := alpha.UpdateApproval(ctx, "ci", a, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				checkStored(ctx, t, etcd, c, ns, "ci", "after a v1alpha approval")

				// A v1alpha create carrying round-trip annotations (as a copy of
				// another object's v1alpha YAML does).
				if _, err := alpha.Create(ctx, &v1alpha.JenkinsService{
					ObjectMeta: metav1.ObjectMeta{Name: "copy", Annotations: a.Annotations},
					Spec:       a.Spec,
				}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				checkStored(ctx, t, etcd, c, ns, "copy", "after a v1alpha create with round-trip annotations")
			})
		}

		// Nothing under the prefix holds a round-trip annotation.
		ctx := testContext(t)
		resp, err := etcd.Get(ctx, etcdPrefix, clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		objects := 0
		for _, kv := range resp.Kvs {
			if bytes.Contains(kv.Value, []byte(preservedMarker)) {
				t.Errorf("%s holds %q", kv.Key, preservedMarker)
			}
			if strings.Contains(string(kv.Key), "/jenkinsservices/") {
				objects++
			}
		}
		if objects != 4 {
			t.Errorf("%d jenkinsservices under %s, want 4", objects, etcdPrefix)
		}
	})

	t.Run("one-watch-cache", func(t *testing.T) {
		checkOneWatchCache(t, s)
	})
}

// checkStored reads the object's key from etcd and checks the stored bytes:
// protobuf (k8s\x00 + Unknown) of autobusi.group.cicd/v1beta JenkinsService,
// no round-trip annotation, and the same spec, status and annotations a
// v1beta client reads.
func checkStored(ctx context.Context, t *testing.T, etcd *clientv3.Client, c versioned.Interface, ns, name, step string) {
	t.Helper()
	resp, err := etcd.Get(ctx, etcdPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, kv := range resp.Kvs {
		if strings.HasSuffix(string(kv.Key), "/jenkinsservices/"+ns+"/"+name) {
			if key != "" {
				t.Fatalf("%s: two keys for %s/%s: %s and %s", step, ns, name, key, kv.Key)
			}
			key = string(kv.Key)
		}
	}
	if key == "" {
		t.Fatalf("%s: no key for %s/%s under %s", step, ns, name, etcdPrefix)
	}
	got, err := etcd.Get(ctx, key)
	if err != nil || len(got.Kvs) != 1 {
		t.Fatalf("%s: reading %s: %v", step, key, err)
	}
	value := got.Kvs[0].Value
	if !bytes.HasPrefix(value, protobufPrefix) {
		t.Fatalf("%s: %s is not protobuf: %q", step, key, value[:min(len(value), 40)])
	}
	if bytes.Contains(value, []byte(preservedMarker)) {
		t.Errorf("%s: %s stores a round-trip annotation: %q", step, key, value)
	}
	var u runtime.Unknown
	if err := u.Unmarshal(value[len(protobufPrefix):]); err != nil {
		t.Fatalf("%s: %s: %v", step, key, err)
	}
	if u.APIVersion != group+"/v1beta" || u.Kind != "JenkinsService" {
		t.Errorf("%s: stored as %s %s, want %s/v1beta JenkinsService", step, u.APIVersion, u.Kind, group)
	}
	var stored v1beta.JenkinsService
	if err := stored.Unmarshal(u.Raw); err != nil {
		t.Fatalf("%s: %s: %v", step, key, err)
	}
	served, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stored.Annotations[requestedByKey] != adminUser {
		t.Errorf("%s: stored requested-by %q, want %q", step, stored.Annotations[requestedByKey], adminUser)
	}
	if stored.ResourceVersion != "" {
		t.Errorf("%s: the stored object carries a resourceVersion %q", step, stored.ResourceVersion)
	}
	if fmt.Sprint(got.Kvs[0].ModRevision) != served.ResourceVersion {
		t.Errorf("%s: etcd revision %d, served resourceVersion %s", step, got.Kvs[0].ModRevision, served.ResourceVersion)
	}
	stored.ResourceVersion = served.ResourceVersion
	sameV1betaView(t, step+": stored vs served", served, &stored, true)
}

// checkOneWatchCache shows that both versions are served from one watch
// cache. A watch cache (k8s.io/apiserver's cacher) counts, per group and
// resource, its initializations (apiserver_watch_cache_initializations_total)
// and every event it receives from etcd
// (apiserver_watch_cache_events_received_total). With a store (and cache)
// per version, both caches would be labelled autobusi.group.cicd
// jenkinsservices: the initializations would be 2 once both are ready, and
// every write would be received twice. Lists at resourceVersion 0 through
// both versions make any cache ready; watches through both versions that see
// all writes make sure any cache has received them.
func checkOneWatchCache(t *testing.T, s *framework.Server) {
	ctx, ns := testContext(t), namespace(t)
	labels := map[string]string{"group": group, "resource": "jenkinsservices"}
	c := s.Clientset(t, framework.JSON)
	p := s.Clientset(t, framework.Protobuf)
	for _, cs := range []versioned.Interface{c, p} {
		if _, err := cs.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CicdV1alpha().JenkinsServices(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"}); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(samples []framework.Sample) float64 {
		total := 0.0
		for _, s := range samples {
			total += s.Value
		}
		return total
	}
	metrics := s.Metrics(t)
	inits := framework.FindSamples(metrics, "apiserver_watch_cache_initializations_total", labels)
	if len(inits) != 1 || inits[0].Value != 1 {
		t.Errorf("watch cache initializations of jenkinsservices: %+v, want one series at 1", inits)
	}
	if caps := framework.FindSamples(metrics, "watch_cache_capacity", labels); len(caps) != 1 {
		t.Errorf("watch cache capacity series of jenkinsservices: %+v, want one", caps)
	}
	received := sum(framework.FindSamples(metrics, "apiserver_watch_cache_events_received_total", labels))

	start, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Five writes: three creates, an update, a delete.
	for _, name := range []string{"wc-a", "wc-b", "wc-c"} {
		if _, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CicdV1alpha().JenkinsServices(ns).Patch(ctx, "wc-a", "application/merge-patch+json", []byte(`{"spec":{"instanceamount":2}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CicdV1beta().JenkinsServices(ns).Delete(ctx, "wc-b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	const writes = 5
	for _, cs := range []versioned.Interface{c, p} {
		for _, version := range []string{"v1beta", "v1alpha"} {
			if got := watchFrom(ctx, t, cs, version, ns, start.ResourceVersion, writes); len(got) != writes {
				t.Fatalf("%s watch: %d events", version, len(got))
			}
		}
	}
	metrics = s.Metrics(t)
	delta := sum(framework.FindSamples(metrics, "apiserver_watch_cache_events_received_total", labels)) - received
	if delta != writes {
		t.Errorf("the watch cache(s) of jenkinsservices received %v events for %d writes; one cache receives each write once", delta, writes)
	}
	inits = framework.FindSamples(metrics, "apiserver_watch_cache_initializations_total", labels)
	if len(inits) != 1 || inits[0].Value != 1 {
		t.Errorf("watch cache initializations after watches through both versions: %+v, want 1", inits)
	}
	t.Logf("jenkinsservices: watch cache initializations %+v, %v events received for %d writes", inits, delta, writes)
}
