package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
	"github.com/autobusi/cicd-apiserver/test/internal/legacydata"
)

// Undecodable values the original server could have left in etcd: an
// approvalstatus this API refuses, and bytes that are no JSON at all.
var corruptValues = map[string]string{
	"bad": `{"kind":"JenkinsService","apiVersion":"autobusi.group.cicd/v1alpha","metadata":{"name":"bad","namespace":"NS",` +
		`"uid":"00000000-0000-4000-8000-00000000000b","creationTimestamp":"2024-01-02T03:04:05Z"},` +
		`"spec":{"instanceamount":1,"instancecpu":1},"status":{"approvalstatus":"Maybe"}}` + "\n",
	"junk": "{not json",
}

// unsafeDeleteQuery is the unsafe delete's option as a query parameter:
// kubectl v1.37 has no flag for it, its delete --raw sends it so.
const unsafeDeleteQuery = "?ignoreStoreReadErrorWithClusterBreakingPotential=true"

// putCorrupt writes the corrupt values as objects of ns straight into etcd.
func putCorrupt(ctx context.Context, t *testing.T, etcd *clientv3.Client, ns string) {
	t.Helper()
	for name, v := range corruptValues {
		if _, err := etcd.Put(ctx, legacydata.Key(ns, name), strings.ReplaceAll(v, "NS", ns)); err != nil {
			t.Fatal(err)
		}
	}
}

// apiStatus is a response: its code and, for an error, the Status in it.
type apiStatus struct {
	code       int
	retryAfter string
	status     metav1.Status
	body       string
}

// request sends method path (JSON body) with client c.
func request(t *testing.T, s *framework.Server, c *http.Client, method, path, body string) apiStatus {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	out := apiStatus{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(b)}
	if resp.StatusCode >= 300 {
		if err := json.Unmarshal(b, &out.status); err != nil {
			t.Fatalf("%s %s: %d, not a Status: %s", method, path, resp.StatusCode, b)
		}
	}
	return out
}

func jsPath(version, ns string) string {
	if ns == "" {
		return "/apis/autobusi.group.cicd/" + version + "/jenkinsservices"
	}
	return "/apis/autobusi.group.cicd/" + version + "/namespaces/" + ns + "/jenkinsservices"
}

// deleteCommand is the kubectl command the errors must name for ns/name.
func deleteCommand(ns, name string) string {
	return "kubectl delete --raw '" + jsPath("v1beta", ns) + "/" + name + unsafeDeleteQuery + "'"
}

// wantCorruptList checks a list's answer: 500 StoreReadError whose causes are
// the keys of names and whose message says how to delete each.
func wantCorruptList(t *testing.T, what string, got apiStatus, ns string, names ...string) {
	t.Helper()
	if got.code != http.StatusInternalServerError || got.status.Reason != metav1.StatusReasonStoreReadError {
		t.Errorf("%s: %d %s, want 500 StoreReadError: %s", what, got.code, got.status.Reason, got.body)
		return
	}
	var keys []string
	if got.status.Details != nil {
		for _, c := range got.status.Details.Causes {
			keys = append(keys, c.Field)
		}
	}
	for _, name := range names {
		if !slices.Contains(keys, legacydata.Key(ns, name)) {
			t.Errorf("%s: causes %v lack %s", what, keys, legacydata.Key(ns, name))
		}
		if !strings.Contains(got.status.Message, deleteCommand(ns, name)) {
			t.Errorf("%s: message lacks %q: %s", what, deleteCommand(ns, name), got.status.Message)
		}
	}
	if len(keys) != len(names) {
		t.Errorf("%s: causes %v, want %d", what, keys, len(names))
	}
	if !strings.Contains(got.status.Message, "unsafe-delete-ignore-read-errors") {
		t.Errorf("%s: message lacks the verb: %s", what, got.status.Message)
	}
}

// wantList checks a list's answer: 200 with exactly names.
func wantList(t *testing.T, what string, got apiStatus, names ...string) {
	t.Helper()
	if got.code != http.StatusOK {
		t.Fatalf("%s: %d: %s", what, got.code, got.body)
	}
	var list struct {
		Items []struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(got.body), &list); err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, it := range list.Items {
		have = append(have, it.Metadata.Namespace+"/"+it.Metadata.Name)
	}
	if strings.Join(have, ",") != strings.Join(names, ",") {
		t.Errorf("%s: %v, want %v", what, have, names)
	}
}

// poll calls f every 100 ms until it returns true or timeout passes, and
// returns how long that took.
func poll(t *testing.T, timeout time.Duration, what string, f func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !f() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// One undecodable object among good ones, in a running server: reads of it
// answer 500 naming it, reads of the others work, lists fail naming it and
// how to delete it, an unsafe delete by an allowed user removes it, and
// lists and watches recover without a restart.
func TestCorruptObjects(t *testing.T) {
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})
	ctx := testContext(t)
	const ns, other = "team-c", "team-d"
	cs := s.Clientset(t, framework.Protobuf)
	for _, o := range []struct{ ns, name string }{{ns, "good-a"}, {ns, "good-b"}, {other, "good-c"}} {
		if _, err := cs.CicdV1beta().JenkinsServices(o.ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: o.name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	putCorrupt(ctx, t, etcd, ns)
	admin := s.AdminHTTPClient(t)
	// The watch cache stops at the corrupt object's revision and goes on
	// serving what it had (resourceVersion=0) until its retries of the watch
	// give up and it lists again, which fails: it is not ready from then on.
	took := poll(t, 90*time.Second, "list from the cache failing", func() bool {
		return request(t, s, admin, http.MethodGet, jsPath("v1beta", ns)+"?resourceVersion=0", "").code != http.StatusOK
	})
	t.Logf("the watch cache served its last state for %v", took)
	versions := []string{"v1alpha", "v1beta"}

	t.Run("get", func(t *testing.T) {
		for _, version := range versions {
			for name := range corruptValues {
				got := request(t, s, admin, http.MethodGet, jsPath(version, ns)+"/"+name, "")
				if got.code != http.StatusInternalServerError || got.status.Reason != metav1.StatusReasonInternalError {
					t.Errorf("%s GET %s: %d %s, want 500 InternalError", version, name, got.code, got.status.Reason)
				}
				for _, want := range []string{"corrupt object", "/jenkinsservices/" + ns + "/" + name + ",", deleteCommand(ns, name), "unsafe-delete-ignore-read-errors"} {
					if !strings.Contains(got.status.Message, want) {
						t.Errorf("%s GET %s: message lacks %q: %s", version, name, want, got.status.Message)
					}
				}
			}
			for name := range corruptValues {
				for _, sub := range []string{"", "/status"} {
					req, _ := http.NewRequest(http.MethodPatch, s.URL()+jsPath(version, ns)+"/"+name+sub, strings.NewReader(`{"metadata":{"labels":{"a":"b"}}}`))
					req.Header.Set("Content-Type", "application/merge-patch+json")
					resp, err := admin.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					var st metav1.Status
					err = json.NewDecoder(resp.Body).Decode(&st)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusInternalServerError || !strings.Contains(st.Message, "corrupt object") || !strings.Contains(st.Message, deleteCommand(ns, name)) {
						t.Errorf("%s PATCH %s%s: %d %q (%v), want 500 naming the object and the command", version, name, sub, resp.StatusCode, st.Message, err)
					}
				}
			}
			for _, q := range []string{"", "?resourceVersion=0"} {
				if got := request(t, s, admin, http.MethodGet, jsPath(version, ns)+"/good-a"+q, ""); got.code != http.StatusOK {
					t.Errorf("%s GET good-a%s: %d: %s", version, q, got.code, got.body)
				}
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, version := range versions {
			for q, names := range map[string][]string{
				"": {"bad", "junk"}, "?resourceVersion=0": {"bad", "junk"}, "?limit=500": {"bad", "junk"},
				"?labelSelector=app%3Dci": {"bad", "junk"}, "?limit=1": {"bad"}, // a page names those in it
			} {
				wantCorruptList(t, version+" list "+ns+q, request(t, s, admin, http.MethodGet, jsPath(version, ns)+q, ""), ns, names...)
				wantCorruptList(t, version+" list all"+q, request(t, s, admin, http.MethodGet, jsPath(version, "")+q, ""), ns, names...)
			}
			for _, q := range []string{"", "?resourceVersion=0", "?limit=500"} {
				wantList(t, version+" list "+other+q, request(t, s, admin, http.MethodGet, jsPath(version, other)+q, ""), other+"/good-c")
			}
		}
	})

	t.Run("watch", func(t *testing.T) {
		for _, version := range versions {
			wantCorruptList(t, version+" watch "+ns, request(t, s, admin, http.MethodGet, jsPath(version, ns)+"?watch=true&timeoutSeconds=2", ""), ns, "bad", "junk")
			// Elsewhere: the cache's own answer, retry later.
			if got := request(t, s, admin, http.MethodGet, jsPath(version, other)+"?watch=true&timeoutSeconds=2", ""); got.code != http.StatusTooManyRequests || got.retryAfter == "" {
				t.Errorf("%s watch %s: %d retry-after %q, want 429 with Retry-After: %s", version, other, got.code, got.retryAfter, got.body)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns)+"/bad", "")
		if got.code != http.StatusInternalServerError || !strings.Contains(got.status.Message, deleteCommand(ns, "bad")) {
			t.Errorf("DELETE without the option: %d, want 500 with the command: %s", got.code, got.body)
		}
		unsafe := `{"ignoreStoreReadErrorWithClusterBreakingPotential":true}`
		if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns)+"/good-a", unsafe); got.code != http.StatusConflict || !strings.Contains(got.status.Message, "decodable") {
			t.Errorf("unsafe DELETE of a good object: %d, want 409: %s", got.code, got.body)
		}
		if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns)+"/bad", `{"ignoreStoreReadErrorWithClusterBreakingPotential":true,"dryRun":["All"]}`); got.code != http.StatusOK {
			t.Errorf("unsafe dry-run DELETE: %d: %s", got.code, got.body)
		}
		jane := framework.HTTPClient(t, s.ConfigAs(t, framework.JSON, "jane", "team-c-admins"))
		if got := request(t, s, jane, http.MethodDelete, jsPath("v1beta", ns)+"/bad", unsafe); got.code != http.StatusForbidden {
			t.Errorf("unsafe DELETE by a user not allowed: %d, want 403: %s", got.code, got.body)
		}
		// A delete-collection lists first: it fails naming the corrupt
		// objects and deletes nothing; the option is refused for it.
		wantCorruptList(t, "delete-collection", request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns), ""), ns, "bad", "junk")
		if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns), unsafe); got.code != http.StatusUnprocessableEntity {
			t.Errorf("unsafe delete-collection: %d, want 422: %s", got.code, got.body)
		}
		resp, err := etcd.Get(ctx, legacydata.Key(ns, ""), clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) != 4 {
			t.Fatalf("%d objects in %s after the refused deletions, want 4", len(resp.Kvs), ns)
		}

		// The unsafe deletes: one through v1beta (JSON), one through v1alpha (protobuf).
		if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns)+"/bad", unsafe); got.code != http.StatusOK {
			t.Fatalf("unsafe DELETE: %d: %s", got.code, got.body)
		}
		if err := cs.CicdV1alpha().JenkinsServices(ns).Delete(ctx, "junk", metav1.DeleteOptions{IgnoreStoreReadErrorWithClusterBreakingPotential: ptr.To(true)}); err != nil {
			t.Fatalf("unsafe DELETE through v1alpha, protobuf: %v", err)
		}
		for name := range corruptValues {
			if resp, err := etcd.Get(ctx, legacydata.Key(ns, name)); err != nil || len(resp.Kvs) != 0 {
				t.Errorf("%s still in etcd (%v)", name, err)
			}
			if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns)+"/"+name, unsafe); got.code != http.StatusNotFound {
				t.Errorf("unsafe DELETE of %s again: %d, want 404", name, got.code)
			}
		}
	})

	t.Run("recovery", func(t *testing.T) {
		took := poll(t, 30*time.Second, "watches again", func() bool {
			return request(t, s, admin, http.MethodGet, jsPath("v1beta", ns)+"?watch=true&timeoutSeconds=1", "").code == http.StatusOK
		})
		t.Logf("the watch cache serves again %v after the unsafe deletes", took)
		for _, version := range versions {
			for _, q := range []string{"", "&resourceVersion=0", "&limit=500"} {
				path := jsPath(version, "") + "?fieldSelector=metadata.namespace%3D" + ns + q
				wantList(t, version+" list"+q, request(t, s, admin, http.MethodGet, path, ""), ns+"/good-a", ns+"/good-b")
			}
		}
		list, err := cs.CicdV1beta().JenkinsServices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w, err := cs.CicdV1beta().JenkinsServices(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		if _, err := cs.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "good-new"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.ResultChan():
			if js, ok := ev.Object.(*v1beta.JenkinsService); ev.Type != watch.Added || !ok || js.Name != "good-new" {
				t.Errorf("watch: %v %#v, want ADDED good-new", ev.Type, ev.Object)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no watch event for a create after the recovery")
		}
		if got := request(t, s, admin, http.MethodDelete, jsPath("v1beta", ns), ""); got.code != http.StatusOK {
			t.Fatalf("delete-collection after the recovery: %d: %s", got.code, got.body)
		}
		wantList(t, "after delete-collection", request(t, s, admin, http.MethodGet, jsPath("v1beta", ns), ""))
	})
}

// The original server's data with corrupt objects among its good ones, and
// this server started on it: the watch cache cannot load, yet the good
// objects read and list, kubectl names the corrupt ones, its unsafe delete
// removes them, and the cache comes up without a restart.
func TestCorruptObjectsAtStart(t *testing.T) {
	etcdURL := framework.StartEtcd(t)
	etcd := framework.EtcdClient(t, etcdURL)
	ctx := testContext(t)
	putFixtures(ctx, t, etcd) // team-a/ci, team-a/nightly, team-b/build, team-b/fresh
	putCorrupt(ctx, t, etcd, "team-a")
	s := framework.StartLocal(t, framework.Options{EtcdServers: etcdURL})
	admin := s.AdminHTTPClient(t)

	for _, version := range []string{"v1alpha", "v1beta"} {
		for _, q := range []string{"", "?resourceVersion=0"} {
			if got := request(t, s, admin, http.MethodGet, jsPath(version, "team-a")+"/ci"+q, ""); got.code != http.StatusOK {
				t.Errorf("%s GET team-a/ci%s: %d: %s", version, q, got.code, got.body)
			}
			wantCorruptList(t, version+" list team-a"+q, request(t, s, admin, http.MethodGet, jsPath(version, "team-a")+q, ""), "team-a", "bad", "junk")
			wantList(t, version+" list team-b"+q, request(t, s, admin, http.MethodGet, jsPath(version, "team-b")+q, ""), "team-b/build", "team-b/fresh")
		}
		wantCorruptList(t, version+" watch team-a", request(t, s, admin, http.MethodGet, jsPath(version, "team-a")+"?watch=true&timeoutSeconds=1", ""), "team-a", "bad", "junk")
	}

	k := newKubectlFor(t, s, "team-a")
	stderr := k.fails("get", "js")
	if !strings.HasPrefix(stderr, "Error from server (StorageReadError): ") {
		t.Errorf("kubectl get js: %s", stderr)
	}
	for _, name := range []string{"bad", "junk"} {
		if !strings.Contains(stderr, deleteCommand("team-a", name)) {
			t.Errorf("kubectl get js: stderr lacks %q: %s", deleteCommand("team-a", name), stderr)
		}
	}
	if stderr := k.fails("delete", "jenkinsservice", "bad"); !strings.Contains(stderr, deleteCommand("team-a", "bad")) {
		t.Errorf("kubectl delete without the flag: stderr %s", stderr)
	}
	for _, name := range []string{"bad", "junk"} {
		// The command the error names, as a shell would split it.
		stdout := k.ok("delete", "--raw", jsPath("v1beta", "team-a")+"/"+name+unsafeDeleteQuery)
		if !strings.Contains(stdout, `"status":"Success"`) {
			t.Errorf("kubectl delete --raw %s: %q", name, stdout)
		}
	}

	took := poll(t, 30*time.Second, "watches again", func() bool {
		return request(t, s, admin, http.MethodGet, jsPath("v1beta", "team-a")+"?watch=true&timeoutSeconds=1", "").code == http.StatusOK
	})
	t.Logf("the watch cache serves %v after the unsafe deletes", took)
	if stdout := k.ok("get", "js", "-o", "name"); strings.Join(strings.Fields(stdout), " ") != "jenkinsservice.autobusi.group.cicd/ci jenkinsservice.autobusi.group.cicd/nightly" {
		t.Errorf("kubectl get js after the deletes: %q", stdout)
	}
	wantList(t, "list from the cache", request(t, s, admin, http.MethodGet, jsPath("v1beta", "")+"?resourceVersion=0", ""),
		"team-a/ci", "team-a/nightly", "team-b/build", "team-b/fresh")
}
