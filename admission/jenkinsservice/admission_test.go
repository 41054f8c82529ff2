package jenkinsservice

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/autobusi/cicd-apiserver/admission/initializer"
	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/server/local"
)

const (
	testPrefix         = "/registry/cicd-apiserver.autobusi.com/jenkinsservices/"
	testReservationKey = "/registry/cicd-apiserver.autobusi.com/admission/jenkinsservices-reservations"
)

// newPlugin returns a plugin initialized as the server does it.
func newPlugin(t *testing.T, etcd *clientv3.Client, max int) *Plugin {
	t.Helper()
	p := New()
	initializer.New(initializer.Config{
		Etcd:               etcd,
		ObjectKeyPrefix:    testPrefix,
		ReservationKey:     testReservationKey,
		MaxJenkinsServices: max,
	}).Initialize(p)
	if err := p.ValidateInitialization(); err != nil {
		t.Fatalf("ValidateInitialization: %v", err)
	}
	return p
}

func jenkinsService(ns, name string, annotations map[string]string) *cicd.JenkinsService {
	return &cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}}
}

var (
	jsKind     = cicd.SchemeGroupVersion.WithKind("JenkinsService")
	jsResource = cicd.SchemeGroupVersion.WithResource("jenkinsservices")
)

func createAttributes(obj *cicd.JenkinsService, userName string, dryRun bool) admission.Attributes {
	return admission.NewAttributesRecord(obj, nil, jsKind, obj.Namespace, obj.Name, jsResource, "",
		admission.Create, &metav1.CreateOptions{}, dryRun, &user.DefaultInfo{Name: userName})
}

func updateAttributes(obj, old *cicd.JenkinsService, subresource, userName string) admission.Attributes {
	return admission.NewAttributesRecord(obj, old, jsKind, obj.Namespace, obj.Name, jsResource, subresource,
		admission.Update, &metav1.UpdateOptions{}, false, &user.DefaultInfo{Name: userName})
}

// admitCreate runs a create through the plugin as the admission chain does:
// mutation first, then validation.
func admitCreate(ctx context.Context, p *Plugin, ns, name, userName string) error {
	a := createAttributes(jenkinsService(ns, name, nil), userName, false)
	if err := p.Admit(ctx, a, nil); err != nil {
		return err
	}
	return p.Validate(ctx, a, nil)
}

// store writes a (fake) object under its key, as the registry would after
// admission.
func store(t *testing.T, c *clientv3.Client, ns, name string) {
	t.Helper()
	if _, err := c.Put(context.Background(), testPrefix+ns+"/"+name, "object"); err != nil {
		t.Fatalf("storing %s/%s: %v", ns, name, err)
	}
}

func remove(t *testing.T, c *clientv3.Client, ns, name string) {
	t.Helper()
	resp, err := c.Delete(context.Background(), testPrefix+ns+"/"+name)
	if err != nil || resp.Deleted != 1 {
		t.Fatalf("deleting %s/%s: %v (deleted %d)", ns, name, err, resp.Deleted)
	}
}

func storedCount(t *testing.T, c *clientv3.Client) int64 {
	t.Helper()
	resp, err := c.Get(context.Background(), testPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("counting: %v", err)
	}
	return resp.Count
}

func mustAdmit(t *testing.T, p *Plugin, ns, name string) {
	t.Helper()
	if err := admitCreate(context.Background(), p, ns, name, "alice"); err != nil {
		t.Fatalf("create of %s/%s refused: %v", ns, name, err)
	}
}

func mustRefuseLimit(t *testing.T, p *Plugin, ns, name string, used, max int) {
	t.Helper()
	err := admitCreate(context.Background(), p, ns, name, "alice")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("create of %s/%s: got %v, want 403 Forbidden", ns, name, err)
	}
	want := fmt.Sprintf("jenkinsservices limit reached: %d of %d in use (--max-jenkinsservices=%d)", used, max, max)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("create of %s/%s: message %q does not contain %q", ns, name, err.Error(), want)
	}
}

func TestRequestedBySetOnCreate(t *testing.T) {
	p := newPlugin(t, startEtcd(t).client(t), 0)
	for _, tc := range []struct {
		name        string
		annotations map[string]string
	}{
		{"none", nil},
		{"other annotations", map[string]string{"team": "a"}},
		{"forged by the client", map[string]string{cicd.AnnotationRequestedBy: "mallory", "team": "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := jenkinsService("team-a", "ci", tc.annotations)
			a := createAttributes(obj, "alice", false)
			if err := p.Admit(context.Background(), a, nil); err != nil {
				t.Fatalf("Admit: %v", err)
			}
			if err := p.Validate(context.Background(), a, nil); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := obj.Annotations[cicd.AnnotationRequestedBy]; got != "alice" {
				t.Errorf("requested-by = %q, want alice", got)
			}
			if tc.annotations["team"] != "" && obj.Annotations["team"] != "a" {
				t.Errorf("other annotations lost: %v", obj.Annotations)
			}
		})
	}
}

func TestRequestedByUpdate(t *testing.T) {
	p := newPlugin(t, startEtcd(t).client(t), 0)
	old := jenkinsService("team-a", "ci", map[string]string{cicd.AnnotationRequestedBy: "alice", "team": "a"})
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		subresource string
		forbidden   bool
	}{
		{"kept", map[string]string{cicd.AnnotationRequestedBy: "alice", "team": "b"}, "", false},
		{"changed", map[string]string{cicd.AnnotationRequestedBy: "mallory", "team": "a"}, "", true},
		{"removed", map[string]string{"team": "a"}, "", true},
		{"all annotations removed", nil, "", true},
		{"changed through status", map[string]string{cicd.AnnotationRequestedBy: "mallory"}, "status", false},
		{"removed through approval", nil, "approval", false},
		{"changed through scale", map[string]string{cicd.AnnotationRequestedBy: "mallory"}, "scale", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := jenkinsService("team-a", "ci", tc.annotations)
			before, oldBefore := obj.DeepCopy(), old.DeepCopy()
			a := updateAttributes(obj, old, tc.subresource, "bob")
			err := p.Admit(context.Background(), a, nil)
			if err == nil {
				err = p.Validate(context.Background(), a, nil)
			}
			if tc.forbidden {
				if !apierrors.IsForbidden(err) {
					t.Fatalf("got %v, want 403 Forbidden", err)
				}
				if !strings.Contains(err.Error(), cicd.AnnotationRequestedBy) {
					t.Errorf("message %q does not name the annotation", err.Error())
				}
			} else if err != nil {
				t.Fatalf("got %v, want it admitted", err)
			}
			if !equality.Semantic.DeepEqual(obj, before) || !equality.Semantic.DeepEqual(old, oldBefore) {
				t.Errorf("update was mutated: %v", obj.Annotations)
			}
		})
	}

	t.Run("added to an object without it", func(t *testing.T) {
		legacy := jenkinsService("team-a", "ci", nil)
		obj := jenkinsService("team-a", "ci", map[string]string{cicd.AnnotationRequestedBy: "bob"})
		if err := p.Validate(context.Background(), updateAttributes(obj, legacy, "", "bob"), nil); !apierrors.IsForbidden(err) {
			t.Fatalf("got %v, want 403 Forbidden", err)
		}
		same := jenkinsService("team-a", "ci", map[string]string{"team": "a"})
		if err := p.Validate(context.Background(), updateAttributes(same, legacy, "", "bob"), nil); err != nil {
			t.Fatalf("update keeping it absent: %v", err)
		}
	})
}

func TestOtherResourcesPass(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 1)
	mustAdmit(t, p, "team-a", "first")
	store(t, c, "team-a", "first")
	for _, gvr := range []struct{ group, resource string }{
		{"autobusi.group.cicd", "somethingelse"},
		{"apps", "jenkinsservices"},
	} {
		obj := jenkinsService("team-a", "x", map[string]string{cicd.AnnotationRequestedBy: "mallory"})
		a := admission.NewAttributesRecord(obj, nil, jsKind, "team-a", "x",
			schema.GroupVersionResource{Group: gvr.group, Version: "v1", Resource: gvr.resource}, "", admission.Create,
			&metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "alice"})
		if err := p.Admit(context.Background(), a, nil); err != nil {
			t.Errorf("%v: Admit: %v", gvr, err)
		}
		if err := p.Validate(context.Background(), a, nil); err != nil {
			t.Errorf("%v: Validate: %v", gvr, err)
		}
		if obj.Annotations[cicd.AnnotationRequestedBy] != "mallory" {
			t.Errorf("%v: object was mutated", gvr)
		}
	}
}

func TestLimitSequential(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 3)
	for _, name := range []string{"a", "b", "c"} {
		mustAdmit(t, p, "team-a", name)
		store(t, c, "team-a", name)
	}
	mustRefuseLimit(t, p, "team-b", "d", 3, 3)
	mustRefuseLimit(t, p, "team-a", "a", 3, 3) // an existing name too
	if n := storedCount(t, c); n != 3 {
		t.Fatalf("stored %d objects, want 3", n)
	}
}

func TestLimitCountsCreatesInFlight(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 2)
	mustAdmit(t, p, "team-a", "a")
	mustAdmit(t, p, "team-a", "b")
	// Neither object is stored yet; both creates are still on their way.
	mustRefuseLimit(t, p, "team-a", "c", 2, 2)
	store(t, c, "team-a", "a")
	store(t, c, "team-a", "b")
	mustRefuseLimit(t, p, "team-a", "c", 2, 2)
}

// TestLimitConcurrentTwoServers races fifty creates through two plugin
// instances with clients of their own, as two server processes sharing one
// etcd would; each admitted create stores its object a little later.
func TestLimitConcurrentTwoServers(t *testing.T) {
	e := startEtcd(t)
	servers := []*Plugin{newPlugin(t, e.client(t), 10), newPlugin(t, e.client(t), 10)}
	writer := e.client(t)

	for _, delayed := range []bool{false, true} {
		t.Run(fmt.Sprintf("store delayed %v", delayed), func(t *testing.T) {
			if _, err := writer.Delete(context.Background(), "/registry/", clientv3.WithPrefix()); err != nil {
				t.Fatal(err)
			}
			var admitted, refused atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 50 {
				wg.Go(func() {
					<-start
					name := fmt.Sprintf("js-%02d", i)
					err := admitCreate(context.Background(), servers[i%2], "team-a", name, "alice")
					switch {
					case err == nil:
						admitted.Add(1)
						if delayed {
							time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
						}
						store(t, writer, "team-a", name)
					case apierrors.IsForbidden(err):
						refused.Add(1)
					default:
						t.Errorf("create %s: unexpected error %v", name, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if admitted.Load() != 10 || refused.Load() != 40 {
				t.Errorf("admitted %d and refused %d, want 10 and 40", admitted.Load(), refused.Load())
			}
			if n := storedCount(t, writer); n != 10 {
				t.Errorf("stored %d objects, want 10", n)
			}
		})
	}
}

func TestDeletedObjectFreesSlot(t *testing.T) {
	e := startEtcd(t)
	c := e.client(t)
	p := newPlugin(t, c, 3)
	other := newPlugin(t, e.client(t), 3)
	for _, name := range []string{"a", "b", "c"} {
		mustAdmit(t, p, "team-a", name)
		store(t, c, "team-a", name)
	}

	// The latest object goes: its reservation is still in the record, and
	// only the history shows that its create is done.
	remove(t, c, "team-a", "c")
	mustAdmit(t, other, "team-a", "d")
	store(t, c, "team-a", "d")
	mustRefuseLimit(t, p, "team-a", "e", 3, 3)

	// An older one goes.
	remove(t, c, "team-a", "a")
	mustAdmit(t, p, "team-a", "e")
	store(t, c, "team-a", "e")
	mustRefuseLimit(t, other, "team-a", "f", 3, 3)

	// The same name again, right after its deletion.
	remove(t, c, "team-a", "e")
	mustAdmit(t, p, "team-a", "e")
	store(t, c, "team-a", "e")
	remove(t, c, "team-a", "e")
	mustAdmit(t, other, "team-a", "e")
	mustRefuseLimit(t, p, "team-a", "g", 3, 3) // e is on its way again
	store(t, c, "team-a", "e")
	if n := storedCount(t, c); n != 3 {
		t.Fatalf("stored %d objects, want 3", n)
	}
}

func TestUnfulfilledReservationExpires(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 2)
	p.limit.ttl = 500 * time.Millisecond
	mustAdmit(t, p, "team-a", "a")
	store(t, c, "team-a", "a")
	mustAdmit(t, p, "team-a", "b") // its create fails after admission: never stored
	mustRefuseLimit(t, p, "team-a", "c", 2, 2)
	time.Sleep(600 * time.Millisecond)
	mustAdmit(t, p, "team-a", "c")
	store(t, c, "team-a", "c")
	mustRefuseLimit(t, p, "team-a", "d", 2, 2)
}

func TestCompactedHistoryErrsOnTheSafeSide(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 1)
	p.limit.ttl = time.Second
	mustAdmit(t, p, "team-a", "a")
	store(t, c, "team-a", "a")
	remove(t, c, "team-a", "a")
	resp, err := c.Get(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(context.Background(), resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("compacting: %v", err)
	}
	// Without the history the reservation of a keeps counting until it expires.
	mustRefuseLimit(t, p, "team-a", "b", 1, 1)
	time.Sleep(1100 * time.Millisecond)
	mustAdmit(t, p, "team-a", "b")
}

func TestDryRunDoesNotReserve(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 1)
	for range 3 {
		a := createAttributes(jenkinsService("team-a", "dry", nil), "alice", true)
		if err := p.Validate(context.Background(), a, nil); err != nil {
			t.Fatalf("dry run: %v", err)
		}
	}
	mustAdmit(t, p, "team-a", "real")
	a := createAttributes(jenkinsService("team-a", "dry", nil), "alice", true)
	if err := p.Validate(context.Background(), a, nil); !apierrors.IsForbidden(err) {
		t.Fatalf("dry run beyond the limit: got %v, want 403", err)
	}
}

func TestUnlimitedSkipsEtcd(t *testing.T) {
	c := startEtcd(t).client(t)
	p := newPlugin(t, c, 0)
	// Any use of the closed client would fail the admission.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := admitCreate(context.Background(), p, "team-a", fmt.Sprintf("js-%d", i), "alice"); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
}

// TestNotReady: the plugin decides from the storage etcd, so it refuses while
// that etcd has never answered, and serves once it has.
func TestNotReady(t *testing.T) {
	gone, err := local.StartEtcd(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gone.Stop()
	unreachable, err := clientv3.New(clientv3.Config{Endpoints: []string{gone.Endpoint}, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unreachable.Close() })
	p := newPlugin(t, unreachable, 5)
	if p.storageReached() {
		t.Fatal("ready without a reachable etcd")
	}
	if !newPlugin(t, startEtcd(t).client(t), 5).storageReached() {
		t.Fatal("not ready with a reachable etcd")
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "not yet ready to handle request") {
			t.Fatalf("got %v, want 403 not yet ready", err)
		}
	}
	t.Run("admit", func(t *testing.T) {
		t.Parallel()
		check(t, p.Admit(context.Background(), createAttributes(jenkinsService("team-a", "a", nil), "alice", false), nil))
	})
	t.Run("validate create", func(t *testing.T) {
		t.Parallel()
		check(t, p.Validate(context.Background(), createAttributes(jenkinsService("team-a", "a", nil), "alice", false), nil))
	})
	t.Run("validate update", func(t *testing.T) {
		t.Parallel()
		obj := jenkinsService("team-a", "a", map[string]string{cicd.AnnotationRequestedBy: "alice"})
		check(t, p.Validate(context.Background(), updateAttributes(obj, obj.DeepCopy(), "", "alice"), nil))
	})
}

func TestValidateInitialization(t *testing.T) {
	c := startEtcd(t).client(t)
	good := initializer.Config{Etcd: c, ObjectKeyPrefix: testPrefix, ReservationKey: testReservationKey, MaxJenkinsServices: 10}
	for _, tc := range []struct {
		name   string
		change func(*initializer.Config)
		ok     bool
	}{
		{"complete", func(*initializer.Config) {}, true},
		{"unlimited", func(c *initializer.Config) { c.MaxJenkinsServices = 0 }, true},
		{"no etcd", func(c *initializer.Config) { c.Etcd = nil }, false},
		{"negative limit", func(c *initializer.Config) { c.MaxJenkinsServices = -1 }, false},
		{"prefix without slash", func(c *initializer.Config) { c.ObjectKeyPrefix = "/registry/js" }, false},
		{"no reservation key", func(c *initializer.Config) { c.ReservationKey = "" }, false},
		{"reservation key under the prefix", func(c *initializer.Config) { c.ReservationKey = testPrefix + "reservations" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			p := New()
			initializer.New(cfg).Initialize(p)
			if err := p.ValidateInitialization(); (err == nil) != tc.ok {
				t.Fatalf("ValidateInitialization: %v, want ok %v", err, tc.ok)
			}
		})
	}
	if err := New().ValidateInitialization(); err == nil {
		t.Fatal("an uninitialized plugin passed ValidateInitialization")
	}
}

func TestRegister(t *testing.T) {
	plugins := admission.NewPlugins()
	Register(plugins)
	if !slices.Contains(plugins.Registered(), PluginName) {
		t.Fatalf("%s not registered: %v", PluginName, plugins.Registered())
	}
	if _, err := plugins.InitPlugin(PluginName, nil, initializer.New(initializer.Config{})); err == nil {
		t.Fatal("an uninitialized plugin was accepted")
	}
	cfg := initializer.Config{
		Etcd:               startEtcd(t).client(t),
		ObjectKeyPrefix:    testPrefix,
		ReservationKey:     testReservationKey,
		MaxJenkinsServices: 10,
	}
	p, err := plugins.InitPlugin(PluginName, nil, initializer.New(cfg))
	if err != nil {
		t.Fatalf("InitPlugin: %v", err)
	}
	if _, ok := p.(*Plugin); !ok {
		t.Fatalf("plugin is a %T", p)
	}
	for _, op := range []admission.Operation{admission.Create, admission.Update} {
		if !p.Handles(op) {
			t.Errorf("plugin does not handle %s", op)
		}
	}
	if p.Handles(admission.Delete) {
		t.Error("plugin handles delete")
	}
}
