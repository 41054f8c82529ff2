package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// protobufPrefix starts every protobuf-encoded Kubernetes object.
var protobufPrefix = []byte{'k', '8', 's', 0}

// Lists: limit/continue over 120 objects sees every object exactly once,
// in both versions and encodings.
func TestAPIPagination(t *testing.T) {
	const total, limit = 120, 25
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.Protobuf)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	names := make(chan int, total)
	for i := 0; i < total; i++ {
		names <- i
	}
	close(names)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				if _, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("page-%03d", i)},
				}, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, enc := range encodings {
		for _, version := range []string{"v1beta", "v1alpha"} {
			t.Run(encName(enc)+"-"+version, func(t *testing.T) {
				c := shared.Clientset(t, enc)
				seen := map[string]int{}
				cont, pages, listRV := "", 0, ""
				for {
					opts := metav1.ListOptions{Limit: limit, Continue: cont}
					var items []string
					var meta metav1.ListMeta
					if version == "v1beta" {
						l, err := c.CicdV1beta().JenkinsServices(ns).List(ctx, opts)
						if err != nil {
							t.Fatal(err)
						}
						for _, it := range l.Items {
							items = append(items, it.Name)
						}
						meta = l.ListMeta
					} else {
						l, err := c.CicdV1alpha().JenkinsServices(ns).List(ctx, opts)
						if err != nil {
							t.Fatal(err)
						}
						for _, it := range l.Items {
							items = append(items, it.Name)
						}
						meta = l.ListMeta
					}
					pages++
					if len(items) > limit {
						t.Errorf("page %d has %d items, limit %d", pages, len(items), limit)
					}
					if pages == 1 {
						listRV = meta.ResourceVersion
						if meta.RemainingItemCount != nil && *meta.RemainingItemCount != total-limit {
							t.Errorf("first page: remainingItemCount %d, want %d", *meta.RemainingItemCount, total-limit)
						}
					} else if meta.ResourceVersion != listRV {
						t.Errorf("page %d at resourceVersion %s, the list started at %s", pages, meta.ResourceVersion, listRV)
					}
					for _, n := range items {
						seen[n]++
					}
					cont = meta.Continue
					if cont == "" {
						break
					}
					if pages > total {
						t.Fatal("the continue tokens do not end")
					}
				}
				if pages != (total+limit-1)/limit {
					t.Errorf("%d pages, want %d", pages, (total+limit-1)/limit)
				}
				if len(seen) != total {
					t.Errorf("saw %d distinct objects, want %d", len(seen), total)
				}
				for n, k := range seen {
					if k != 1 {
						t.Errorf("%s seen %d times", n, k)
					}
				}
				for i := 0; i < total; i++ {
					if seen[fmt.Sprintf("page-%03d", i)] != 1 {
						t.Errorf("page-%03d not seen", i)
					}
				}
			})
		}
	}
}

// watchStep is an event a watch should deliver.
type watchStep struct {
	typ  watch.EventType
	name string
	step string // the "step" label, "" for none
	rv   string
}

// Watch resume: a watch from a resourceVersion delivers exactly the events
// after it, in order, typed in the client's version, in both encodings.
func TestAPIWatchResume(t *testing.T) {
	ctx, ns := testContext(t), namespace(t)
	c := shared.Clientset(t, framework.JSON)
	beta := c.CicdV1beta().JenkinsServices(ns)
	js, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "w"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := js.ResourceVersion
	var steps []watchStep
	for i := 1; i <= 5; i++ {
		js.Labels = map[string]string{"step": strconv.Itoa(i)}
		if js, err = beta.Update(ctx, js, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, watchStep{watch.Modified, "w", strconv.Itoa(i), js.ResourceVersion})
	}
	w2, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "w2", Labels: map[string]string{"step": "6"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	steps = append(steps, watchStep{watch.Added, "w2", "6", w2.ResourceVersion})
	if err := beta.Delete(ctx, "w", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The DELETED event carries the resourceVersion of the deletion, which
	// the client does not learn otherwise.
	steps = append(steps, watchStep{watch.Deleted, "w", "5", ""})

	for _, enc := range encodings {
		for _, version := range []string{"v1beta", "v1alpha"} {
			t.Run(encName(enc)+"-"+version, func(t *testing.T) {
				c := shared.Clientset(t, enc)
				got := watchFrom(ctx, t, c, version, ns, start, len(steps))
				checkSteps(t, got, steps)
				// From the middle: only what came after.
				got = watchFrom(ctx, t, c, version, ns, steps[2].rv, len(steps)-3)
				checkSteps(t, got, steps[3:])
			})
		}
	}
}

// watchFrom watches ns from rv through version and returns the first n events
// as steps; it fails when an object is not of the version's Go type.
func watchFrom(ctx context.Context, t *testing.T, c versioned.Interface, version, ns, rv string, n int) []watchStep {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts := metav1.ListOptions{ResourceVersion: rv}
	var w watch.Interface
	var err error
	if version == "v1beta" {
		w, err = c.CicdV1beta().JenkinsServices(ns).Watch(ctx, opts)
	} else {
		w, err = c.CicdV1alpha().JenkinsServices(ns).Watch(ctx, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var out []watchStep
	for len(out) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed after %d of %d events", len(out), n)
			}
			var meta metav1.Object
			switch o := ev.Object.(type) {
			case *v1beta.JenkinsService:
				if version != "v1beta" {
					t.Fatalf("%s watch delivered a %T", version, o)
				}
				meta = o
				noPreservation(t, "v1beta watch event", o.Annotations)
			case *v1alpha.JenkinsService:
				if version != "v1alpha" {
					t.Fatalf("%s watch delivered a %T", version, o)
				}
				meta = o
			default:
				t.Fatalf("watch event %s with %T: %v", ev.Type, ev.Object, ev.Object)
			}
			out = append(out, watchStep{ev.Type, meta.GetName(), meta.GetLabels()["step"], meta.GetResourceVersion()})
		case <-ctx.Done():
			t.Fatalf("%d of %d events after 30s: %v", len(out), n, out)
		}
	}
	return out
}

func checkSteps(t *testing.T, got, want []watchStep) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %v", len(got), len(want), got)
	}
	last := int64(0)
	for i := range want {
		g, w := got[i], want[i]
		if g.typ != w.typ || g.name != w.name || g.step != w.step || (w.rv != "" && g.rv != w.rv) {
			t.Errorf("event %d: %+v, want %+v", i, g, w)
		}
		rv, err := strconv.ParseInt(g.rv, 10, 64)
		if err != nil || rv <= last {
			t.Errorf("event %d: resourceVersion %q not after %d", i, g.rv, last)
		}
		last = rv
	}
}

// Protobuf watch over raw HTTP: Accept application/vnd.kubernetes.protobuf;
// stream=watch gives frames of a 4-byte big-endian length and a protobuf
// meta/v1 WatchEvent (raw, as kube-apiserver sends them) whose object is a
// k8s\x00-prefixed Unknown holding the JenkinsService of the requested version.
func TestAPIProtobufWatchFrames(t *testing.T) {
	client := shared.AdminHTTPClient(t)
	c := shared.Clientset(t, framework.Protobuf)
	for _, version := range []string{"v1beta", "v1alpha"} {
		t.Run(version, func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			first, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "pw-1"},
				Spec:       v1beta.JenkinsServiceSpec{Resources: v1beta.JenkinsServiceResources{CPU: qty("1500m")}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CicdV1beta().JenkinsServices(ns).Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "pw-2"}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			// From the first create: the second create is the first event.
			path := fmt.Sprintf("%s/apis/autobusi.group.cicd/%s/namespaces/%s/jenkinsservices?watch=true&resourceVersion=%s",
				shared.URL(), version, ns, first.ResourceVersion)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/vnd.kubernetes.protobuf;stream=watch")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("watch: %s: %s", resp.Status, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.kubernetes.protobuf;stream=watch" {
				t.Errorf("watch Content-Type %q", ct)
			}
			r := bufio.NewReader(resp.Body)
			ev, obj := readProtobufWatchFrame(t, r, version)
			if ev.Type != string(watch.Added) || obj.GetName() != "pw-2" || obj.GetNamespace() != ns {
				t.Errorf("first frame: %s %s/%s, want ADDED %s/pw-2", ev.Type, obj.GetNamespace(), obj.GetName(), ns)
			}
			// A change to the first object arrives as the next frame.
			js, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, "pw-1", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			js.Labels = map[string]string{"version": version}
			if _, err := c.CicdV1beta().JenkinsServices(ns).Update(ctx, js, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			ev, obj = readProtobufWatchFrame(t, r, version)
			if ev.Type != string(watch.Modified) || obj.GetName() != "pw-1" || obj.GetLabels()["version"] != version {
				t.Errorf("second frame: %s %s labels %v, want MODIFIED pw-1 version=%s", ev.Type, obj.GetName(), obj.GetLabels(), version)
			}
			switch o := obj.(type) {
			case *v1beta.JenkinsService:
				if o.Spec.Resources.CPU.String() != "1500m" {
					t.Errorf("v1beta object in the frame: cpu %v", o.Spec.Resources.CPU)
				}
			case *v1alpha.JenkinsService:
				if o.Spec.InstanceCpu != 2 {
					t.Errorf("v1alpha object in the frame: instancecpu %d, want 2", o.Spec.InstanceCpu)
				}
			}
		})
	}
}

// readProtobufWatchFrame reads one length-prefixed frame and decodes it by
// hand: WatchEvent{type, k8s\x00 Unknown{JenkinsService}}.
func readProtobufWatchFrame(t *testing.T, r *bufio.Reader, version string) (*metav1.WatchEvent, metav1.Object) {
	t.Helper()
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		t.Fatalf("reading the frame length: %v", err)
	}
	n := binary.BigEndian.Uint32(size[:])
	if n == 0 || n > 1<<20 {
		t.Fatalf("frame length %d", n)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r, frame); err != nil {
		t.Fatalf("reading a frame of %d bytes: %v", n, err)
	}
	// The frame itself is the raw protobuf of a meta/v1 WatchEvent, without
	// the k8s\x00 envelope: apimachinery's stream serializer for protobuf is
	// the raw serializer (codec_factory.go), and client-go decodes frames so.
	// The envelope is on the object inside.
	if bytes.HasPrefix(frame, protobufPrefix) {
		t.Errorf("frame starts with the k8s\\x00 envelope; Kubernetes watch frames are raw WatchEvents")
	}
	var ev metav1.WatchEvent
	if err := ev.Unmarshal(frame); err != nil {
		t.Fatalf("frame is not a protobuf WatchEvent: %v", err)
	}
	if !bytes.HasPrefix(ev.Object.Raw, protobufPrefix) {
		t.Fatalf("event object does not start with k8s\\x00: %q", ev.Object.Raw[:min(len(ev.Object.Raw), 16)])
	}
	var inner runtime.Unknown
	if err := inner.Unmarshal(ev.Object.Raw[len(protobufPrefix):]); err != nil {
		t.Fatalf("event object is not a protobuf Unknown: %v", err)
	}
	if inner.APIVersion != "autobusi.group.cicd/"+version || inner.Kind != "JenkinsService" {
		t.Errorf("event object is %s %s, want autobusi.group.cicd/%s JenkinsService", inner.APIVersion, inner.Kind, version)
	}
	if inner.ContentType != "" && inner.ContentType != runtime.ContentTypeProtobuf {
		t.Errorf("event object content type %q", inner.ContentType)
	}
	if version == "v1beta" {
		var js v1beta.JenkinsService
		if err := js.Unmarshal(inner.Raw); err != nil {
			t.Fatalf("v1beta JenkinsService: %v", err)
		}
		return &ev, &js
	}
	var js v1alpha.JenkinsService
	if err := js.Unmarshal(inner.Raw); err != nil {
		t.Fatalf("v1alpha JenkinsService: %v", err)
	}
	return &ev, &js
}
