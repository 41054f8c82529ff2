// Package legacydata reads the original server's stored objects
// (testdata/legacy) and writes objects of that form straight into etcd, for
// the tests of taking over the original server's data.
package legacydata

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/types"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// Prefix is where the original server, and ours, store JenkinsServices.
const Prefix = "/registry/cicd-apiserver.autobusi.com/autobusi.group.cicd/jenkinsservices/"

// Fixture is one stored object of the original server.
type Fixture struct {
	Namespace, Name string
	// Value is the etcd value, byte for byte.
	Value []byte
}

// Key is the fixture's etcd key.
func (f Fixture) Key() string { return Key(f.Namespace, f.Name) }

// Key is the etcd key of a JenkinsService.
func Key(namespace, name string) string { return Prefix + namespace + "/" + name }

// Dir is testdata/legacy in the repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "legacy")
}

// Fixtures reads testdata/legacy/<namespace>.<name>.json, sorted by key.
func Fixtures() ([]Fixture, error) {
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Fixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var js v1alpha.JenkinsService
		if _, _, err := serializer.Decode(b, nil, &js); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, Fixture{Namespace: js.Namespace, Name: js.Name, Value: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// scheme and serializer are what the original server stored with: its v1alpha
// types, encoded by the apimachinery JSON serializer (compact, one trailing
// newline, kind before apiVersion).
var (
	scheme     = newScheme()
	serializer = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{})
)

func newScheme() *k8sruntime.Scheme {
	s := k8sruntime.NewScheme()
	if err := v1alpha.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// Encode is the value the original server stored for js (apiVersion and kind
// are set here).
func Encode(js *v1alpha.JenkinsService) ([]byte, error) {
	js = js.DeepCopy()
	js.APIVersion, js.Kind = v1alpha.SchemeGroupVersion.String(), "JenkinsService"
	var b bytes.Buffer
	if err := serializer.Encode(js, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Object is a legacy object as the original server stored objects created with
// `instanceamount: replicas, instancecpu: cpu` and approved.
func Object(namespace, name string, replicas, cpu int32) *v1alpha.JenkinsService {
	return &v1alpha.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: name, Generation: 1,
			UID:               types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", fnv(namespace+"/"+name))),
			CreationTimestamp: metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)),
		},
		Spec:   v1alpha.JenkinsServiceSpec{InstanceAmount: replicas, InstanceCpu: cpu},
		Status: v1alpha.JenkinsServiceStatus{ApprovalStatus: v1alpha.ApprovalApproved},
	}
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & 0xffffffffffff
}

// Put writes values straight into etcd, as the original server left them.
func Put(ctx context.Context, c *clientv3.Client, fixtures ...Fixture) error {
	for _, f := range fixtures {
		if _, err := c.Put(ctx, f.Key(), string(f.Value)); err != nil {
			return fmt.Errorf("putting %s: %w", f.Key(), err)
		}
	}
	return nil
}

// Seed writes n legacy objects <prefix>-<i> into namespace, in batches of one
// etcd transaction each.
func Seed(ctx context.Context, c *clientv3.Client, namespace, prefix string, n int) ([]Fixture, error) {
	out := make([]Fixture, 0, n)
	for i := 0; i < n; i++ {
		b, err := Encode(Object(namespace, fmt.Sprintf("%s-%05d", prefix, i), int32(1+i%5), int32(1+i%4)))
		if err != nil {
			return nil, err
		}
		out = append(out, Fixture{Namespace: namespace, Name: fmt.Sprintf("%s-%05d", prefix, i), Value: b})
	}
	const batch = 100
	for i := 0; i < len(out); i += batch {
		var ops []clientv3.Op
		for _, f := range out[i:min(i+batch, len(out))] {
			ops = append(ops, clientv3.OpPut(f.Key(), string(f.Value)))
		}
		if _, err := c.Txn(ctx).Then(ops...).Commit(); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", namespace, err)
		}
	}
	return out, nil
}

// StoredForm tells the form of a stored value: "v1beta/protobuf" for the
// current one, "v1alpha/json" for the original server's.
func StoredForm(value []byte) string {
	if bytes.HasPrefix(value, []byte("k8s\x00")) {
		var u k8sruntime.Unknown
		if err := u.Unmarshal(value[4:]); err != nil {
			return "protobuf?"
		}
		return versionOf(u.APIVersion) + "/protobuf"
	}
	gvk, err := json.DefaultMetaFactory.Interpret(value)
	if err != nil || gvk.Version == "" {
		return "unknown"
	}
	return gvk.Version + "/json"
}

func versionOf(apiVersion string) string {
	if i := bytes.LastIndexByte([]byte(apiVersion), '/'); i >= 0 {
		return apiVersion[i+1:]
	}
	return apiVersion
}

// Forms counts the stored forms of every JenkinsService in etcd.
func Forms(ctx context.Context, c *clientv3.Client) (map[string]int, error) {
	resp, err := c.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, kv := range resp.Kvs {
		out[StoredForm(kv.Value)]++
	}
	return out, nil
}

// Decode decodes a stored value of the original server into js.
func Decode(value []byte, js *v1alpha.JenkinsService) error {
	_, _, err := serializer.Decode(value, nil, js)
	return err
}
