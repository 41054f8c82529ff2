package jenkinsservice

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.etcd.io/etcd/client/v3/kubernetes"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	scalescheme "k8s.io/client-go/scale/scheme"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// The storage tests run the REST storage on an embedded etcd, as the server
// configures it (protobuf, v1beta in storage), but without the HTTP layer: the
// handlers, admission and discovery are the integration suite's.

// newTestStorage returns the storage on a fresh etcd, and the scheme it was built
// with (which NewStorage completes with the Scale types).
func newTestStorage(t *testing.T) (*Storage, *runtime.Scheme) {
	t.Helper()
	s, scheme, _ := newTestStorageWithEtcd(t, 1)
	return s, scheme
}

// newTestStorageWithEtcd is newTestStorage with workers delete-collection
// workers, and the client of its etcd.
func newTestStorageWithEtcd(t *testing.T, workers int) (*Storage, *runtime.Scheme, *kubernetes.Client) {
	t.Helper()
	client := testserver.RunEtcd(t, nil)

	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	codec := codecs.CodecForVersions(info.Serializer, codecs.UniversalDeserializer(), v1beta.SchemeGroupVersion, cicd.SchemeGroupVersion)
	config := storagebackend.NewDefaultConfig("/registry/cicd-apiserver.autobusi.com", codec)
	config.Transport.ServerList = client.Endpoints()
	config.EncodeVersioner = v1beta.SchemeGroupVersion
	opts := generic.RESTOptions{
		StorageConfig:           config.ForResource(cicd.Resource("jenkinsservices")),
		Decorator:               generic.UndecoratedStorage,
		ResourcePrefix:          cicd.GroupName + "/jenkinsservices",
		DeleteCollectionWorkers: workers,
	}
	s, err := newStorage(scheme, opts, testClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.JenkinsService.Destroy)
	return s, scheme, client
}

// requestCtx is the context of a request in version of the group, on subresource.
func requestCtx(version, subresource string) context.Context {
	ctx := genericapirequest.WithNamespace(context.Background(), "team-a")
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, APIGroup: cicd.GroupName, APIVersion: version,
		Namespace: "team-a", Resource: "jenkinsservices", Subresource: subresource, Name: "ci",
	})
}

func create(t *testing.T, s *Storage, js *cicd.JenkinsService) *cicd.JenkinsService {
	t.Helper()
	js = js.DeepCopy()
	js.ResourceVersion, js.UID = "", ""
	rest.FillObjectMetaSystemFields(js)
	out, err := s.JenkinsService.Create(requestCtx("v1beta", ""), js, rest.ValidateAllObjectFunc, &metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out.(*cicd.JenkinsService)
}

func TestStorageIsOneStore(t *testing.T) {
	s, scheme := newTestStorage(t)

	if !hasScaleTypes(scheme) {
		t.Error("NewStorage did not register the Scale types")
	}
	m := s.Map()
	want := map[string]rest.Storage{
		"jenkinsservices": s.JenkinsService, "jenkinsservices/status": s.Status,
		"jenkinsservices/approval": s.Approval, "jenkinsservices/scale": s.Scale,
	}
	if len(m) != len(want) {
		t.Errorf("Map() = %v", m)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("Map()[%q] is not the storage's %T", k, v)
		}
	}
	main := s.JenkinsService.Store.Storage.Storage
	for name, other := range map[string]any{
		"status": s.Status.store.Storage.Storage, "approval": s.Approval.store.Storage.Storage, "scale": s.Scale.store.Storage.Storage,
	} {
		if other != main {
			t.Errorf("%s has a storage of its own", name)
		}
	}
	if got := s.JenkinsService.GetSingularName(); got != "jenkinsservice" {
		t.Errorf("singular name %q", got)
	}
	if s.JenkinsService.DefaultQualifiedResource != cicd.Resource("jenkinsservices") {
		t.Errorf("qualified resource %v", s.JenkinsService.DefaultQualifiedResource)
	}
	if !cmp.Equal(s.JenkinsService.ShortNames(), []string{"js"}) || !cmp.Equal(s.JenkinsService.Categories(), []string{"all", "cicd"}) {
		t.Errorf("short names %v, categories %v", s.JenkinsService.ShortNames(), s.JenkinsService.Categories())
	}
}

// verbs derives the verbs discovery lists from the interfaces a storage
// implements, as the apiserver's installer does.
func verbs(storage rest.Storage) []string {
	var out []string
	add := func(ok bool, verb string) {
		if ok {
			out = append(out, verb)
		}
	}
	_, creater := storage.(rest.Creater)
	_, lister := storage.(rest.Lister)
	_, getter := storage.(rest.Getter)
	_, updater := storage.(rest.Updater)
	_, patcher := storage.(rest.Patcher)
	_, deleter := storage.(rest.GracefulDeleter)
	_, collectionDeleter := storage.(rest.CollectionDeleter)
	_, watcher := storage.(rest.Watcher)
	_, connecter := storage.(rest.Connecter)
	add(creater, "create")
	add(deleter, "delete")
	add(collectionDeleter, "deletecollection")
	add(getter, "get")
	add(lister, "list")
	add(patcher, "patch")
	add(updater, "update")
	add(watcher, "watch")
	add(connecter, "connect")
	sort.Strings(out)
	return out
}

func TestStorageVerbs(t *testing.T) {
	s := &Storage{JenkinsService: &REST{}, Status: &StatusREST{}, Approval: &ApprovalREST{}, Scale: &ScaleREST{}}
	want := map[string][]string{
		"jenkinsservices":          {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
		"jenkinsservices/status":   {"get", "patch", "update"},
		"jenkinsservices/scale":    {"get", "patch", "update"},
		"jenkinsservices/approval": {"update"},
	}
	for path, storage := range s.Map() {
		if diff := cmp.Diff(want[path], verbs(storage)); diff != "" {
			t.Errorf("%s verbs (-want +got):\n%s", path, diff)
		}
	}
	if _, ok := any(s.Approval).(rest.ResetFieldsStrategy); ok {
		t.Error("approval implements both ResetFieldsStrategy and ResetFieldsFilterStrategy; the installer refuses that")
	}
	if _, ok := any(s.JenkinsService).(rest.Scoper); !ok {
		t.Error("main resource is no Scoper")
	}
}

func TestStorageLifecycle(t *testing.T) {
	s, _ := newTestStorage(t)

	// Create: status dropped, generation 1.
	created := create(t, s, stored())
	if created.Generation != 1 || len(created.Status.Conditions) != 0 || len(created.Status.Instances) != 0 {
		t.Fatalf("created %+v", created)
	}

	// Main update, labels only: same generation. Spec: next generation.
	labelled := created.DeepCopy()
	labelled.Labels["tier"] = "gold"
	labelled.Status.Instances = nil
	obj, _, err := s.JenkinsService.Update(requestCtx("v1beta", ""), "ci", rest.DefaultUpdatedObjectInfo(labelled), nil, nil, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.(*cicd.JenkinsService); got.Generation != 1 || got.Labels["tier"] != "gold" {
		t.Errorf("after a label update: generation %d, labels %v", got.Generation, got.Labels)
	}

	// Status: instances and Ready written, Approved ignored, times stamped.
	st := obj.(*cicd.JenkinsService).DeepCopy()
	st.Spec.Replicas = 77
	st.Status = stored().Status
	for i := range st.Status.Conditions {
		st.Status.Conditions[i].LastTransitionTime = metav1.Time{}
	}
	obj, _, err = s.Status.Update(requestCtx("v1beta", "status"), "ci", rest.DefaultUpdatedObjectInfo(st), nil, nil, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*cicd.JenkinsService)
	if got.Spec.Replicas != 2 || condition(t, got, cicd.ConditionApproved) != nil || len(got.Status.Instances) != 2 {
		t.Errorf("after a status update: replicas %d, conditions %+v, instances %+v", got.Spec.Replicas, got.Status.Conditions, got.Status.Instances)
	}
	if ready := condition(t, got, cicd.ConditionReady); ready == nil || !ready.LastTransitionTime.Equal(&tNow) {
		t.Errorf("Ready = %+v, want stamped %v", ready, tNow)
	}

	// Approval: only the Approved condition; the time is the server's.
	ap := got.DeepCopy()
	ap.Spec.Replicas = 50
	ap.Labels = nil
	ap.Status.Conditions = []metav1.Condition{{Type: cicd.ConditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin", Message: "ok"}}
	obj, _, err = s.Approval.Update(requestCtx("v1beta", "approval"), "ci", rest.DefaultUpdatedObjectInfo(ap), nil, nil, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	approved := obj.(*cicd.JenkinsService)
	if c := condition(t, approved, cicd.ConditionApproved); c == nil || c.Status != metav1.ConditionTrue || c.Message != "ok" || !c.LastTransitionTime.Equal(&tNow) {
		t.Errorf("Approved = %+v", c)
	}
	if condition(t, approved, cicd.ConditionReady) == nil || approved.Spec.Replicas != 2 || approved.Labels["tier"] != "gold" {
		t.Errorf("approval changed more than the Approved condition: %+v", approved)
	}

	// A main-resource write does not touch the status.
	mainWrite := approved.DeepCopy()
	mainWrite.Status = cicd.JenkinsServiceStatus{}
	obj, _, err = s.JenkinsService.Update(requestCtx("v1alpha", ""), "ci", rest.DefaultUpdatedObjectInfo(mainWrite), nil, nil, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(obj.(*cicd.JenkinsService).Status, approved.Status) {
		t.Errorf("main update changed the status")
	}
	current := obj.(*cicd.JenkinsService)

	// Scale: read, write with the current resourceVersion, with a stale one.
	sc, err := s.Scale.Get(requestCtx("v1beta", "scale"), "ci", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale := sc.(*scalescheme.Scale)
	if scale.Spec.Replicas != 2 || scale.Status.Replicas != 1 || scale.ResourceVersion != current.ResourceVersion {
		t.Errorf("scale %+v", scale)
	}
	stale := scale.DeepCopy()
	scale.Spec.Replicas = 3
	sc, _, err = s.Scale.Update(requestCtx("v1alpha", "scale"), "ci", rest.DefaultUpdatedObjectInfo(scale), nil, nil, false, &metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sc.(*scalescheme.Scale).Spec.Replicas != 3 {
		t.Errorf("scaled to %d", sc.(*scalescheme.Scale).Spec.Replicas)
	}
	obj, err = s.JenkinsService.Get(requestCtx("v1beta", ""), "ci", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if js := obj.(*cicd.JenkinsService); js.Spec.Replicas != 3 || js.Generation != 2 || !apiequality.Semantic.DeepEqual(js.Status, current.Status) {
		t.Errorf("after scaling: replicas %d, generation %d", js.Spec.Replicas, js.Generation)
	}
	stale.Spec.Replicas = 4
	if _, _, err := s.Scale.Update(requestCtx("v1beta", "scale"), "ci", rest.DefaultUpdatedObjectInfo(stale), nil, nil, false, &metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("stale scale: %v, want 409", err)
	}
	tooMany := scale.DeepCopy()
	tooMany.ResourceVersion = ""
	tooMany.Spec.Replicas = 101
	if _, _, err := s.Scale.Update(requestCtx("v1beta", "scale"), "ci", rest.DefaultUpdatedObjectInfo(tooMany), nil, nil, false, &metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("101 replicas: %v, want 422", err)
	}
	if _, _, err := s.Scale.Update(requestCtx("v1beta", "scale"), "nope", rest.DefaultUpdatedObjectInfo(scale), nil, nil, false, &metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("scale of a missing service: %v, want 404", err)
	}
	if _, err := s.Scale.Get(requestCtx("v1beta", "scale"), "nope", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get scale of a missing service: %v, want 404", err)
	}
	for name, update := range map[string]func() error{
		"status": func() error {
			_, _, err := s.Status.Update(requestCtx("v1beta", "status"), "nope", rest.DefaultUpdatedObjectInfo(stored()), nil, nil, true, &metav1.UpdateOptions{})
			return err
		},
		"approval": func() error {
			_, _, err := s.Approval.Update(requestCtx("v1beta", "approval"), "nope", rest.DefaultUpdatedObjectInfo(stored()), nil, nil, true, &metav1.UpdateOptions{})
			return err
		},
	} {
		if err := update(); !apierrors.IsNotFound(err) {
			t.Errorf("%s update of a missing service: %v, want 404", name, err)
		}
	}

	// Invalid writes are 422 with paths of the request's version.
	bad := current.DeepCopy()
	bad.ResourceVersion = ""
	bad.Spec.Replicas = 101
	_, _, err = s.JenkinsService.Update(requestCtx("v1alpha", ""), "ci", rest.DefaultUpdatedObjectInfo(bad), nil, nil, false, &metav1.UpdateOptions{})
	if status, ok := err.(apierrors.APIStatus); !ok || !apierrors.IsInvalid(err) || status.Status().Details.Causes[0].Field != "spec.instanceamount" {
		t.Errorf("invalid v1alpha update: %v", err)
	}
}

func TestStorageSelectors(t *testing.T) {
	s, _ := newTestStorage(t)
	for i, replicas := range []int32{1, 2, 2} {
		js := stored()
		js.Name = []string{"a", "b", "c"}[i]
		js.Spec.Replicas = replicas
		js.Labels = map[string]string{"replicas": []string{"one", "two", "two"}[i]}
		create(t, s, js)
	}
	tests := []struct {
		field, label string
		want         []string
	}{
		{"spec.replicas=2", "", []string{"b", "c"}},
		{"spec.replicas!=2", "", []string{"a"}},
		{"metadata.name=c", "", []string{"c"}},
		{"metadata.namespace=team-a", "replicas=two", []string{"b", "c"}},
		{"", "replicas=one", []string{"a"}},
	}
	for _, tc := range tests {
		fs, err := fields.ParseSelector(tc.field)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := labels.Parse(tc.label)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.JenkinsService.List(requestCtx("v1beta", ""), &metainternalversion.ListOptions{FieldSelector: fs, LabelSelector: ls})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, js := range obj.(*cicd.JenkinsServiceList).Items {
			names = append(names, js.Name)
		}
		if diff := cmp.Diff(tc.want, names); diff != "" {
			t.Errorf("list %q %q (-want +got):\n%s", tc.field, tc.label, diff)
		}
	}

	table, err := s.JenkinsService.ConvertToTable(requestCtx("v1beta", ""), &cicd.JenkinsServiceList{Items: []cicd.JenkinsService{*stored()}}, nil)
	if err != nil || len(table.Rows) != 1 {
		t.Errorf("table %+v, %v", table, err)
	}
}

// The handlers decode a Scale request body into ScaleREST.New() and patch Scales in
// autoscaling/v1, converting back to the internal Scale (the "hub" of the group
// autoscaling). Both need the Scale types AddToScheme (and NewStorage) registers.
func TestScaleSchemeRoundTrip(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	internal := scaleOf(stored())
	v1, err := scheme.UnsafeConvertToVersion(internal.DeepCopy(), autoscalingv1.SchemeGroupVersion)
	if err != nil {
		t.Fatal(err)
	}
	back, err := scheme.UnsafeConvertToVersion(v1, schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(internal, back.(*scalescheme.Scale), cmp.Comparer(func(a, b metav1.Time) bool { return a.Equal(&b) }),
		// The selector comes back from its string form with empty, not nil, expressions.
		cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Scale round trip (-want +got):\n%s", diff)
	}
	codecs := serializer.NewCodecFactory(scheme)
	body := []byte(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"ci","namespace":"team-a","resourceVersion":"5"},"spec":{"replicas":4}}`)
	decoder := codecs.DecoderToVersion(codecs.UniversalDeserializer(), schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal})
	obj, _, err := decoder.Decode(body, nil, (&ScaleREST{}).New())
	if err != nil {
		t.Fatal(err)
	}
	if sc := obj.(*scalescheme.Scale); sc.Spec.Replicas != 4 || sc.ResourceVersion != "5" {
		t.Errorf("decoded %+v", sc)
	}
}
