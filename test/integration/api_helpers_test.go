package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	v1betaclient "github.com/autobusi/cicd-apiserver/generated/clientset/versioned/typed/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/test/integration/framework"
)

// Helpers of the TestAPI* tests.

var encodings = []framework.Encoding{framework.JSON, framework.Protobuf}

// encName is a subtest name for an encoding.
func encName(enc framework.Encoding) string {
	if enc == framework.Protobuf {
		return "protobuf"
	}
	return "json"
}

const (
	groupPrefix         = "autobusi.group.cicd/"
	requestedByKey      = "autobusi.group.cicd/requested-by"
	preservedSpecKey    = "autobusi.group.cicd/preserved-spec"
	preservedStatusKey  = "autobusi.group.cicd/preserved-status"
	preservedMarker     = "preserved-"
	digestImage         = "registry:5000/team/jenkins@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	adminUser           = "admin" // CN of the admin certificate local mode writes (server/pki.go)
	conditionApproved   = "Approved"
	conditionReady      = "Ready"
	defaultImage        = "jenkins/jenkins:lts"
	releaseTrainMessage = "approved for the release train"
)

func i32(v int32) *int32 { return &v }

func qty(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// statusCode is the HTTP code of an API error, 0 for nil and -1 for errors
// that are not API errors.
func statusCode(err error) int32 {
	if err == nil {
		return 0
	}
	var s apierrors.APIStatus
	if errors.As(err, &s) {
		return s.Status().Code
	}
	return -1
}

// causeFields are the field paths of an API error's causes.
func causeFields(err error) []string {
	var s apierrors.APIStatus
	if !errors.As(err, &s) || s.Status().Details == nil {
		return nil
	}
	var out []string
	for _, c := range s.Status().Details.Causes {
		out = append(out, c.Field)
	}
	return out
}

// noPreservation fails when annotations hold a round-trip annotation: what a
// v1beta client sees (and what is stored) never does.
func noPreservation(t *testing.T, where string, annotations map[string]string) {
	t.Helper()
	for k := range annotations {
		if strings.HasPrefix(k, groupPrefix+preservedMarker) {
			t.Errorf("%s: round-trip annotation %s=%q visible", where, k, annotations[k])
		}
	}
}

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// sameQuantityText compares quantities exactly, including how they are
// written (4Gi is not 4096Mi for a client that wrote 4Gi).
func sameQuantityText(a, b *resource.Quantity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.String() == b.String()
}

// sameV1betaView fails unless got shows what want showed to a v1beta client:
// spec (quantities as written), status, annotations and generation. The
// resourceVersion may differ. Labels are compared when withLabels.
func sameV1betaView(t *testing.T, step string, want, got *v1beta.JenkinsService, withLabels bool) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(want.Spec, got.Spec) ||
		!sameQuantityText(want.Spec.Resources.CPU, got.Spec.Resources.CPU) ||
		!sameQuantityText(want.Spec.Resources.Memory, got.Spec.Resources.Memory) {
		t.Errorf("%s: v1beta spec changed:\nbefore %s\nafter  %s", step, asJSON(want.Spec), asJSON(got.Spec))
	}
	if !apiequality.Semantic.DeepEqual(want.Status, got.Status) {
		t.Errorf("%s: v1beta status changed:\nbefore %s\nafter  %s", step, asJSON(want.Status), asJSON(got.Status))
	}
	for i := range want.Status.Instances {
		if i < len(got.Status.Instances) && want.Status.Instances[i].CPU.String() != got.Status.Instances[i].CPU.String() {
			t.Errorf("%s: instance %d cpu %s, was %s", step, i, got.Status.Instances[i].CPU.String(), want.Status.Instances[i].CPU.String())
		}
	}
	if !apiequality.Semantic.DeepEqual(want.Annotations, got.Annotations) {
		t.Errorf("%s: v1beta annotations changed:\nbefore %v\nafter  %v", step, want.Annotations, got.Annotations)
	}
	if withLabels && !apiequality.Semantic.DeepEqual(want.Labels, got.Labels) {
		t.Errorf("%s: labels changed: before %v, after %v", step, want.Labels, got.Labels)
	}
	if want.Generation != got.Generation {
		t.Errorf("%s: generation %d, was %d", step, got.Generation, want.Generation)
	}
	noPreservation(t, step, got.Annotations)
}

// createFull creates, through v1beta, a JenkinsService that uses everything
// v1alpha cannot show: memory, image, fractional CPU, zero replicas, status
// conditions with reason and message, observedGeneration, instance names and
// fractional instance CPUs. The status is written through status, the
// Approved condition through approval. It returns the v1beta view.
func createFull(ctx context.Context, t *testing.T, c v1betaclient.JenkinsServiceInterface, name string) *v1beta.JenkinsService {
	t.Helper()
	created, err := c.Create(ctx, &v1beta.JenkinsService{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta.JenkinsServiceSpec{
			Replicas:  i32(0),
			Resources: v1beta.JenkinsServiceResources{CPU: qty("1500m"), Memory: qty("4Gi")},
			Image:     digestImage,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("v1beta create: %v", err)
	}
	created.Status = v1beta.JenkinsServiceStatus{
		ObservedGeneration: created.Generation,
		Conditions: []metav1.Condition{{
			Type: conditionReady, Status: metav1.ConditionFalse, Reason: "Provisioning",
			Message: "1 of 2 instances running", ObservedGeneration: created.Generation,
		}},
		Instances: []v1beta.JenkinsServerInstance{
			{Name: name + "-0", CPU: resource.MustParse("1500m"), Running: true},
			{Name: name + "-1", CPU: resource.MustParse("500m"), Running: false},
		},
	}
	withStatus, err := c.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("v1beta status update: %v", err)
	}
	withStatus.Status.Conditions = append(withStatus.Status.Conditions, metav1.Condition{
		Type: conditionApproved, Status: metav1.ConditionTrue, Reason: "ApprovedByAdmin",
		Message: releaseTrainMessage, ObservedGeneration: created.Generation,
	})
	if _, err := c.UpdateApproval(ctx, name, withStatus, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("v1beta approval: %v", err)
	}
	got, err := c.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The set-up itself must have worked, or the round trips prove nothing.
	if got.Spec.Replicas == nil || *got.Spec.Replicas != 0 || got.Spec.Resources.CPU.String() != "1500m" ||
		got.Spec.Resources.Memory.String() != "4Gi" || got.Spec.Image != digestImage {
		t.Fatalf("v1beta spec after create: %s", asJSON(got.Spec))
	}
	approved := findCondition(got.Status.Conditions, conditionApproved)
	ready := findCondition(got.Status.Conditions, conditionReady)
	if approved == nil || approved.Status != metav1.ConditionTrue || approved.Reason != "ApprovedByAdmin" || approved.Message != releaseTrainMessage ||
		ready == nil || ready.Reason != "Provisioning" || len(got.Status.Instances) != 2 || got.Status.Instances[1].Name != name+"-1" ||
		got.Status.ObservedGeneration != 1 {
		t.Fatalf("v1beta status after status and approval: %s", asJSON(got.Status))
	}
	noPreservation(t, "v1beta get", got.Annotations)
	return got
}

func findCondition(conditions []metav1.Condition, t string) *metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}

// rawGetJSON GETs path as JSON with the admin certificate and decodes it
// into a generic map.
func rawGetJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	code, _, body := shared.Get(t, shared.AdminHTTPClient(t), path, "application/json")
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d: %s", path, code, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return m
}

func resource1500m() resource.Quantity { return resource.MustParse("1500m") }
