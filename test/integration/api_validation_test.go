package integration

import (
	"context"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// API.md, Defaults: each version's defaults as served, and how a v1alpha
// object's defaults look through v1beta.
func TestAPIDefaults(t *testing.T) {
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)

			b, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "beta-empty"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkV1betaDefaults(t, "v1beta create answer", b)
			if b, err = beta.Get(ctx, "beta-empty", metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			checkV1betaDefaults(t, "v1beta get", b)
			a, err := alpha.Get(ctx, "beta-empty", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 1 || a.Spec.InstanceCpu != 1 {
				t.Errorf("v1alpha view of a defaulted v1beta object: %+v", a.Spec)
			}
			if len(a.Annotations) != 1 || a.Annotations[requestedByKey] == "" {
				t.Errorf("defaults need no round-trip annotations, v1alpha shows %v", a.Annotations)
			}

			a, err = alpha.Create(ctx, &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "alpha-empty"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 1 || a.Spec.InstanceCpu != 1 {
				t.Errorf("v1alpha create with empty spec answered %+v, want instanceamount 1, instancecpu 1", a.Spec)
			}
			if b, err = beta.Get(ctx, "alpha-empty", metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			checkV1betaDefaults(t, "v1beta view of an empty v1alpha create", b)

			// Only what is unset is defaulted.
			b, err = beta.Create(ctx, &v1beta.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "partial"},
				Spec:       v1beta.JenkinsServiceSpec{Replicas: i32(0), Resources: v1beta.JenkinsServiceResources{Memory: qty("512Mi")}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *b.Spec.Replicas != 0 || b.Spec.Resources.Memory.String() != "512Mi" || b.Spec.Resources.CPU.String() != "1" || b.Spec.Image != defaultImage {
				t.Errorf("partial v1beta spec defaulted to %s", asJSON(b.Spec))
			}
			a, err = alpha.Create(ctx, &v1alpha.JenkinsService{
				ObjectMeta: metav1.ObjectMeta{Name: "alpha-partial"},
				Spec:       v1alpha.JenkinsServiceSpec{InstanceAmount: 5},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Spec.InstanceAmount != 5 || a.Spec.InstanceCpu != 1 {
				t.Errorf("partial v1alpha spec defaulted to %+v", a.Spec)
			}

			// Defaults apply on update too: a v1beta update that unsets cpu gets 1.
			b, err = beta.Get(ctx, "partial", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b.Spec.Resources.CPU, b.Spec.Image = nil, ""
			if b, err = beta.Update(ctx, b, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			if b.Spec.Resources.CPU.String() != "1" || b.Spec.Image != defaultImage || *b.Spec.Replicas != 0 {
				t.Errorf("v1beta update with cpu and image unset: %s", asJSON(b.Spec))
			}
		})
	}
}

func checkV1betaDefaults(t *testing.T, where string, b *v1beta.JenkinsService) {
	t.Helper()
	s := b.Spec
	if s.Replicas == nil || *s.Replicas != 1 || s.Resources.CPU == nil || s.Resources.CPU.String() != "1" ||
		s.Resources.Memory == nil || s.Resources.Memory.String() != "2Gi" || s.Image != defaultImage {
		t.Errorf("%s: spec %s, want replicas 1, cpu 1, memory 2Gi, image %s", where, asJSON(s), defaultImage)
	}
}

// API.md, Validation: 422 Invalid with field paths in the version the client
// used, on create and on update; nothing is stored. The limits themselves
// are accepted.
func TestAPIValidation(t *testing.T) {
	longName := strings.Repeat("a", 254)
	betaSpec := func(f func(*v1beta.JenkinsServiceSpec)) v1beta.JenkinsServiceSpec {
		var s v1beta.JenkinsServiceSpec
		f(&s)
		return s
	}
	type tc struct {
		name  string
		alpha *v1alpha.JenkinsService
		beta  *v1beta.JenkinsService
		field string // "" means valid
	}
	alphaObj := func(name string, amount, cpu int32) *v1alpha.JenkinsService {
		return &v1alpha.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha.JenkinsServiceSpec{InstanceAmount: amount, InstanceCpu: cpu}}
	}
	betaObj := func(name string, spec v1beta.JenkinsServiceSpec) *v1beta.JenkinsService {
		return &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	}
	cases := []tc{
		{name: "v1alpha instancecpu 65", alpha: alphaObj("a-cpu", 1, 65), field: "spec.instancecpu"},
		{name: "v1alpha instancecpu -1", alpha: alphaObj("a-cpu-neg", 1, -1), field: "spec.instancecpu"},
		{name: "v1alpha instanceamount 101", alpha: alphaObj("a-amount", 101, 1), field: "spec.instanceamount"},
		{name: "v1alpha instanceamount -1", alpha: alphaObj("a-amount-neg", -1, 1), field: "spec.instanceamount"},
		{name: "v1alpha name", alpha: alphaObj("Not_A_Name", 1, 1), field: "metadata.name"},
		{name: "v1alpha limits", alpha: alphaObj("a-limits", 100, 64)},

		{name: "v1beta cpu 65", beta: betaObj("b-cpu", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Resources.CPU = qty("65") })), field: "spec.resources.cpu"},
		{name: "v1beta cpu 64001m", beta: betaObj("b-cpu-m", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Resources.CPU = qty("64001m") })), field: "spec.resources.cpu"},
		{name: "v1beta cpu 0", beta: betaObj("b-cpu-0", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Resources.CPU = qty("0") })), field: "spec.resources.cpu"},
		{name: "v1beta memory 255Mi", beta: betaObj("b-mem-low", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Resources.Memory = qty("255Mi") })), field: "spec.resources.memory"},
		{name: "v1beta memory 257Gi", beta: betaObj("b-mem-high", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Resources.Memory = qty("257Gi") })), field: "spec.resources.memory"},
		{name: "v1beta image", beta: betaObj("b-image", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Image = "Not A Valid/Image!!" })), field: "spec.image"},
		{name: "v1beta replicas 101", beta: betaObj("b-replicas", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Replicas = i32(101) })), field: "spec.replicas"},
		{name: "v1beta replicas -1", beta: betaObj("b-replicas-neg", betaSpec(func(s *v1beta.JenkinsServiceSpec) { s.Replicas = i32(-1) })), field: "spec.replicas"},
		{name: "v1beta name", beta: betaObj("Not_A_Name", v1beta.JenkinsServiceSpec{}), field: "metadata.name"},
		{name: "v1beta name too long", beta: betaObj(longName, v1beta.JenkinsServiceSpec{}), field: "metadata.name"},
		{name: "v1beta name with dot", beta: betaObj("ci.team-a", v1beta.JenkinsServiceSpec{})},
		{name: "v1beta limits", beta: betaObj("b-limits", v1beta.JenkinsServiceSpec{
			Replicas: i32(100), Resources: v1beta.JenkinsServiceResources{CPU: qty("64"), Memory: qty("256Gi")}, Image: digestImage})},
		{name: "v1beta lower limits", beta: betaObj("b-lower", v1beta.JenkinsServiceSpec{
			Replicas: i32(0), Resources: v1beta.JenkinsServiceResources{CPU: qty("1m"), Memory: qty("256Mi")}})},
	}
	for _, enc := range encodings {
		t.Run(encName(enc), func(t *testing.T) {
			ctx, ns := testContext(t), namespace(t)
			c := shared.Clientset(t, enc)
			for _, tc := range cases {
				var err error
				var name string
				if tc.alpha != nil {
					name = tc.alpha.Name
					_, err = c.CicdV1alpha().JenkinsServices(ns).Create(ctx, tc.alpha.DeepCopy(), metav1.CreateOptions{})
				} else {
					name = tc.beta.Name
					_, err = c.CicdV1beta().JenkinsServices(ns).Create(ctx, tc.beta.DeepCopy(), metav1.CreateOptions{})
				}
				if tc.field == "" {
					if err != nil {
						t.Errorf("%s: valid create refused: %v", tc.name, err)
					}
					continue
				}
				checkInvalid(t, tc.name, err, tc.field, tc.alpha != nil)
				if len(name) <= 253 && !strings.Contains(name, "_") {
					if _, err := c.CicdV1beta().JenkinsServices(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						t.Errorf("%s: the invalid object was stored (get: %v)", tc.name, err)
					}
				}
			}
			validationOnUpdate(ctx, t, c, ns)
		})
	}
}

// checkInvalid fails unless err is a 422 Invalid whose causes name field, and,
// for v1alpha, no v1beta-only path.
func checkInvalid(t *testing.T, what string, err error, field string, v1alphaClient bool) {
	t.Helper()
	if !apierrors.IsInvalid(err) || statusCode(err) != 422 {
		t.Errorf("%s: got %v (code %d), want 422 Invalid", what, err, statusCode(err))
		return
	}
	fields := causeFields(err)
	if !slices.Contains(fields, field) {
		t.Errorf("%s: causes name %q, want %q (%v)", what, fields, field, err)
	}
	if v1alphaClient {
		for _, f := range fields {
			if strings.HasPrefix(f, "spec.replicas") || strings.HasPrefix(f, "spec.resources") || strings.HasPrefix(f, "spec.image") {
				t.Errorf("%s: a v1alpha client is shown the v1beta path %q", what, f)
			}
		}
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("%s: the message %q does not name %s", what, err.Error(), field)
	}
}

// validationOnUpdate: an invalid update is 422 with the version's paths and
// leaves the stored object as it was.
func validationOnUpdate(ctx context.Context, t *testing.T, c versioned.Interface, ns string) {
	t.Helper()
	beta, alpha := c.CicdV1beta().JenkinsServices(ns), c.CicdV1alpha().JenkinsServices(ns)
	if _, err := beta.Create(ctx, &v1beta.JenkinsService{ObjectMeta: metav1.ObjectMeta{Name: "upd"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := alpha.Get(ctx, "upd", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Spec.InstanceCpu = 65
	_, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
	checkInvalid(t, "v1alpha update instancecpu 65", err, "spec.instancecpu", true)

	b, err := beta.Get(ctx, "upd", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Spec.Resources.Memory = qty("100Mi")
	_, err = beta.Update(ctx, b, metav1.UpdateOptions{})
	checkInvalid(t, "v1beta update memory 100Mi", err, "spec.resources.memory", false)
	b.Spec.Resources.Memory = qty("2Gi")
	b.Spec.Image = "Not A Valid/Image!!"
	_, err = beta.Update(ctx, b, metav1.UpdateOptions{})
	checkInvalid(t, "v1beta update image", err, "spec.image", false)

	after, err := beta.Get(ctx, "upd", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkV1betaDefaults(t, "after refused updates", after)
	if after.Generation != 1 || after.ResourceVersion != b.ResourceVersion {
		t.Errorf("refused updates changed the object: generation %d, resourceVersion %s -> %s", after.Generation, b.ResourceVersion, after.ResourceVersion)
	}
}
