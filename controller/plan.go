package controller

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// FieldManager is the field manager of the controller's server-side applies and
// status writes.
const FieldManager = cicd.ManagedBy

// The reasons of the Ready condition.
const (
	ReasonRunning         = "AllInstancesRunning"
	ReasonProvisioning    = "Provisioning"
	ReasonScaledToZero    = "ScaledToZero"
	ReasonPendingApproval = "PendingApproval"
	ReasonDenied          = "Denied"
	ReasonInvalidName     = "InvalidName"
	ReasonConflict        = "Conflict"
)

// maxNameLength is the longest JenkinsService name the controller can run: the
// StatefulSet labels its Pods controller-revision-hash=<name>-<10 characters>,
// a label value of at most 63.
const maxNameLength = 52

// approval is the decision the Approved condition carries, read as v1alpha's
// approvalstatus reads it (the one mapping of the condition to a decision).
type approval = v1alpha.ApprovalStatus

const (
	pending  = v1alpha.ApprovalPending
	approved = v1alpha.ApprovalApproved
	denied   = v1alpha.ApprovalDenied
)

func approvalOf(js *v1beta.JenkinsService) approval { return v1alpha.ApprovalOf(js.Status.Conditions) }

// Observed is what the informers show of the children of one JenkinsService.
type Observed struct {
	StatefulSet *appsv1.StatefulSet
	// Services by name (the headless one and the ClusterIP one).
	Services map[string]*corev1.Service
	// Pods carrying the JenkinsService's selector labels.
	Pods []*corev1.Pod
	// Unlabelled are the JenkinsService's own children that have lost the
	// controller's label (only the metadata informers show them): applied
	// again when approved, deleted when not.
	Unlabelled []Child
}

// Child names an existing object the controller deletes.
type Child struct {
	Kind string // "StatefulSet" or "Service"
	Name string
	UID  types.UID
}

// Plan is what one reconciliation does: apply what differs from what the
// controller applied before (nothing in a steady state), delete what must not
// run, and the status the JenkinsService should show.
type Plan struct {
	StatefulSet *appsv1ac.StatefulSetApplyConfiguration
	Services    []*corev1ac.ServiceApplyConfiguration
	Delete      []Child
	Status      v1beta.JenkinsServiceStatus
	// Problem, when set, says why nothing could be run (an InvalidName or a
	// Conflict): the controller records it as a Warning Event.
	Problem string
}

// Reconcile is the controller's pure function: from a JenkinsService and what
// is observed of its children to the plan. homeSize is the JENKINS_HOME claim
// size of new StatefulSets.
func Reconcile(js *v1beta.JenkinsService, obs Observed, homeSize resource.Quantity) Plan {
	var p Plan
	a := approvalOf(js)
	reason, problem := "", ""
	if msg := nameProblem(js.Name); msg != "" {
		reason, problem = ReasonInvalidName, msg
	}

	if a == approved && problem == "" {
		if msg := foreign(js, obs); msg != "" {
			reason, problem = ReasonConflict, msg
		} else {
			size := homeSize
			if obs.StatefulSet != nil {
				size = claimSize(obs.StatefulSet, homeSize)
			}
			if ss := desiredStatefulSet(js, size); statefulSetDiffers(ss, obs.StatefulSet) {
				p.StatefulSet = ss
			}
			for _, svc := range desiredServices(js) {
				if serviceDiffers(svc, obs.Services[*svc.Name]) {
					p.Services = append(p.Services, svc)
				}
			}
		}
	}
	if a != approved {
		// Nothing runs: remove what the controller made (the claims stay).
		if ss := obs.StatefulSet; ss != nil && controls(js, ss) {
			p.Delete = append(p.Delete, Child{Kind: "StatefulSet", Name: ss.Name, UID: ss.UID})
		}
		for _, name := range []string{js.Name, headlessName(js.Name)} {
			if svc := obs.Services[name]; svc != nil && controls(js, svc) {
				p.Delete = append(p.Delete, Child{Kind: "Service", Name: svc.Name, UID: svc.UID})
			}
		}
		p.Delete = append(p.Delete, obs.Unlabelled...)
	}
	p.Problem = problem
	pods := instancePods(js, obs)
	// Applying a spec not yet observed: the observed StatefulSet runs the
	// former one. (Putting back a hand edit is not a new spec.)
	applying := p.StatefulSet != nil && js.Status.ObservedGeneration != js.Generation
	p.Status = statusOf(js, a, pods, reason, problem, rollout(js, obs.StatefulSet, applying, pods))
	return p
}

// nameProblem says why the controller cannot run a JenkinsService of this name:
// its Services need DNS labels and its Pods a short enough name.
func nameProblem(name string) string {
	if len(name) > maxNameLength {
		return fmt.Sprintf("the name is longer than %d characters, the longest a StatefulSet's Pods allow", maxNameLength)
	}
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return "the name is not a valid Service name: " + strings.Join(errs, "; ")
	}
	return ""
}

// foreign says which child exists under the controller's name without being
// the JenkinsService's: the controller leaves those alone.
func foreign(js *v1beta.JenkinsService, obs Observed) string {
	if ss := obs.StatefulSet; ss != nil && !controls(js, ss) {
		return fmt.Sprintf("StatefulSet %s exists and is not controlled by this JenkinsService", ss.Name)
	}
	for _, name := range []string{js.Name, headlessName(js.Name)} {
		if svc := obs.Services[name]; svc != nil && !controls(js, svc) {
			return fmt.Sprintf("Service %s exists and is not controlled by this JenkinsService", name)
		}
	}
	return ""
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller {
			return r.UID == uid
		}
	}
	return false
}

// claimSize is the JENKINS_HOME claim size of an existing StatefulSet: claim
// templates are immutable, so a changed --jenkins-home-size applies to new ones.
func claimSize(ss *appsv1.StatefulSet, def resource.Quantity) resource.Quantity {
	for _, c := range ss.Spec.VolumeClaimTemplates {
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; c.Name == homeVolume && ok {
			return q
		}
	}
	return def
}

// statefulSetDiffers reports whether desired differs from what the controller
// applied to ss last: the fields it owns (a hand edit takes ownership of what it
// changes, so it shows here as a difference and is applied back).
func statefulSetDiffers(desired *appsv1ac.StatefulSetApplyConfiguration, ss *appsv1.StatefulSet) bool {
	if ss == nil {
		return true
	}
	owned, err := appsv1ac.ExtractStatefulSet(ss, FieldManager)
	if err != nil || owned.Spec == nil || desired.Spec == nil {
		return true
	}
	// The claim templates are an atomic list: what is extracted holds the
	// server's defaults too (status.phase, volumeMode). They cannot change
	// anyway, so they are left out of the comparison.
	want := *desired
	wantSpec := *desired.Spec
	wantSpec.VolumeClaimTemplates = nil
	want.Spec = &wantSpec
	owned.Spec.VolumeClaimTemplates = nil
	return !equality.Semantic.DeepEqual(owned, &want)
}

func serviceDiffers(desired *corev1ac.ServiceApplyConfiguration, svc *corev1.Service) bool {
	if svc == nil {
		return true
	}
	owned, err := corev1ac.ExtractService(svc, FieldManager)
	return err != nil || !equality.Semantic.DeepEqual(owned, desired)
}

// statusOf is the status the JenkinsService should show: its own status with
// the instances, the observed generation and the Ready condition set. The
// Approved condition and any other condition stay as they are.
func statusOf(js *v1beta.JenkinsService, a approval, pods []*corev1.Pod, reason, problem, updating string) v1beta.JenkinsServiceStatus {
	st := *js.Status.DeepCopy()
	st.ObservedGeneration = js.Generation
	st.Instances = instancesOf(js, pods)
	s := specOf(js)

	// Only the instances the spec asks for count: one being scaled away is
	// listed while it terminates, but neither runs nor is missing.
	var running int32
	for _, in := range st.Instances {
		if ord, _ := ordinal(js.Name, in.Name); in.Running && ord < int(s.replicas) {
			running++
		}
	}
	progress := fmt.Sprintf("%d of %d instances running", running, s.replicas)
	ready := metav1.Condition{Type: cicd.ConditionReady, Status: metav1.ConditionFalse, ObservedGeneration: js.Generation}
	switch {
	case problem != "":
		ready.Reason, ready.Message = reason, problem
	case a == pending:
		ready.Reason, ready.Message = ReasonPendingApproval, "waiting for approval; nothing runs"
	case a == denied:
		ready.Reason, ready.Message = ReasonDenied, "approval denied; nothing runs, the instances' volumes are kept"
	case s.replicas == 0:
		ready.Reason, ready.Message = ReasonScaledToZero, "scaled to zero; the instances' volumes are kept"
	case running == s.replicas && updating != "":
		ready.Reason, ready.Message = ReasonUpdating, progress+"; "+updating
	case running == s.replicas:
		ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, ReasonRunning, progress
	default:
		ready.Reason, ready.Message = ReasonProvisioning, progress
	}
	meta.SetStatusCondition(&st.Conditions, ready)
	return st
}

// instancesOf lists the instances from the Pods named <name>-<ordinal>, in the
// order of their ordinals. An instance runs when its Pod is ready.
func instancesOf(js *v1beta.JenkinsService, pods []*corev1.Pod) []v1beta.JenkinsServerInstance {
	type ordered struct {
		ordinal int
		in      v1beta.JenkinsServerInstance
	}
	var list []ordered
	for _, pod := range pods {
		ord, ok := ordinal(js.Name, pod.Name)
		if !ok {
			continue
		}
		list = append(list, ordered{ord, v1beta.JenkinsServerInstance{
			Name:    pod.Name,
			CPU:     podCPU(pod, specOf(js).cpu),
			Running: pod.DeletionTimestamp == nil && podReady(pod),
		}})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ordinal < list[j].ordinal })
	var out []v1beta.JenkinsServerInstance
	for _, o := range list {
		out = append(out, o.in)
	}
	return out
}

func ordinal(name, podName string) (int, bool) {
	rest, ok := strings.CutPrefix(podName, name+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == rest
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podCPU is the CPU the Pod's jenkins container requests (the spec's, for a Pod
// without one).
func podCPU(pod *corev1.Pod, def resource.Quantity) resource.Quantity {
	for _, c := range pod.Spec.Containers {
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; c.Name == containerName && ok {
			return q
		}
	}
	return def
}
