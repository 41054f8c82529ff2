package v1alpha

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Hub → v1alpha. The spec and status functions give v1alpha's lossy view; the
// object function adds the annotations that carry the rest.

// Convert_cicd_JenkinsService_To_v1alpha_JenkinsService converts the hub to v1alpha
// and records what v1alpha cannot hold in the round-trip annotations.
func Convert_cicd_JenkinsService_To_v1alpha_JenkinsService(in *cicd.JenkinsService, out *JenkinsService, s conversion.Scope) error {
	if err := autoConvert_cicd_JenkinsService_To_v1alpha_JenkinsService(in, out, s); err != nil {
		return err
	}
	spec, status := preserveSpec(&in.Spec), preserveStatus(&in.Status)
	values := map[string]string{}
	var err error
	if !spec.empty() {
		if values[cicd.AnnotationPreservedSpec], err = marshalPreserved(cicd.AnnotationPreservedSpec, spec); err != nil {
			return err
		}
	}
	if !status.empty() {
		if values[cicd.AnnotationPreservedStatus], err = marshalPreserved(cicd.AnnotationPreservedStatus, status); err != nil {
			return err
		}
	}
	if len(values) > 0 {
		out.Annotations = withPreserved(in.Annotations, values)
	} else {
		out.Annotations = cicd.WithoutPreservationAnnotations(out.Annotations)
	}
	return nil
}

// Convert_cicd_JenkinsServiceSpec_To_v1alpha_JenkinsServiceSpec renames replicas and
// shows the CPU rounded up to whole cores. Memory and image are not in v1alpha.
func Convert_cicd_JenkinsServiceSpec_To_v1alpha_JenkinsServiceSpec(in *cicd.JenkinsServiceSpec, out *JenkinsServiceSpec, _ conversion.Scope) error {
	out.InstanceAmount = in.Replicas
	out.InstanceCpu = wholeCores(in.Resources.CPU)
	return nil
}

// Convert_cicd_JenkinsServiceStatus_To_v1alpha_JenkinsServiceStatus maps the Approved
// condition to approvalstatus and the instance CPUs to whole cores.
func Convert_cicd_JenkinsServiceStatus_To_v1alpha_JenkinsServiceStatus(in *cicd.JenkinsServiceStatus, out *JenkinsServiceStatus, s conversion.Scope) error {
	out.ApprovalStatus = ApprovalOf(in.Conditions)
	out.Instances = nil
	if in.Instances != nil {
		out.Instances = make([]JenkinsServerInstance, len(in.Instances))
		for i := range in.Instances {
			if err := Convert_cicd_JenkinsServerInstance_To_v1alpha_JenkinsServerInstance(&in.Instances[i], &out.Instances[i], s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Convert_cicd_JenkinsServerInstance_To_v1alpha_JenkinsServerInstance shows the CPU
// rounded up to whole cores; the name is not in v1alpha.
func Convert_cicd_JenkinsServerInstance_To_v1alpha_JenkinsServerInstance(in *cicd.JenkinsServerInstance, out *JenkinsServerInstance, _ conversion.Scope) error {
	out.Cpu = wholeCores(in.CPU)
	out.Running = in.Running
	return nil
}

// v1alpha → hub. The spec and status functions convert what v1alpha shows; the
// object function then restores what the round-trip annotations carry, wherever
// the v1alpha fields still agree with it (a field the client changed wins).

// Convert_v1alpha_JenkinsService_To_cicd_JenkinsService converts v1alpha to the hub,
// restores the preserved v1beta data and drops the round-trip annotations.
func Convert_v1alpha_JenkinsService_To_cicd_JenkinsService(in *JenkinsService, out *cicd.JenkinsService, s conversion.Scope) error {
	if err := autoConvert_v1alpha_JenkinsService_To_cicd_JenkinsService(in, out, s); err != nil {
		return err
	}
	var spec preservedSpec
	if err := decodePreserved(in.Annotations, cicd.AnnotationPreservedSpec, &spec); err != nil {
		return err
	}
	var status preservedStatus
	if err := decodePreserved(in.Annotations, cicd.AnnotationPreservedStatus, &status); err != nil {
		return err
	}
	restoreSpec(&in.Spec, &spec, &out.Spec)
	restoreStatus(&in.Status, &status, &out.Status)
	out.Annotations = cicd.WithoutPreservationAnnotations(out.Annotations)
	return nil
}

// Convert_v1alpha_JenkinsServiceSpec_To_cicd_JenkinsServiceSpec converts what v1alpha
// shows. Memory and image take the defaults; the object conversion replaces them
// with preserved values. instancecpu 0 is unset (defaulting sets it before any
// request is converted; the field manager converts objects without it): the
// CPU stays the zero Quantity, which v1beta shows as unset too.
func Convert_v1alpha_JenkinsServiceSpec_To_cicd_JenkinsServiceSpec(in *JenkinsServiceSpec, out *cicd.JenkinsServiceSpec, _ conversion.Scope) error {
	out.Replicas = in.InstanceAmount
	out.Resources.CPU = resource.Quantity{}
	if in.InstanceCpu != 0 {
		out.Resources.CPU = *resource.NewQuantity(int64(in.InstanceCpu), resource.DecimalSI)
	}
	out.Resources.Memory = cicd.DefaultMemory()
	out.Image = cicd.DefaultImage
	return nil
}

// Convert_v1alpha_JenkinsServiceStatus_To_cicd_JenkinsServiceStatus maps approvalstatus
// to the Approved condition.
func Convert_v1alpha_JenkinsServiceStatus_To_cicd_JenkinsServiceStatus(in *JenkinsServiceStatus, out *cicd.JenkinsServiceStatus, s conversion.Scope) error {
	want := requestedStatus(in.ApprovalStatus)
	out.ObservedGeneration = 0
	out.Conditions = nil
	if want != metav1.ConditionUnknown {
		out.Conditions = []metav1.Condition{approvedCondition(want, in.ApprovalStatus)}
	}
	out.Instances = nil
	if in.Instances != nil {
		out.Instances = make([]cicd.JenkinsServerInstance, len(in.Instances))
		for i := range in.Instances {
			if err := Convert_v1alpha_JenkinsServerInstance_To_cicd_JenkinsServerInstance(&in.Instances[i], &out.Instances[i], s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Convert_v1alpha_JenkinsServerInstance_To_cicd_JenkinsServerInstance converts whole
// cores to a quantity.
func Convert_v1alpha_JenkinsServerInstance_To_cicd_JenkinsServerInstance(in *JenkinsServerInstance, out *cicd.JenkinsServerInstance, _ conversion.Scope) error {
	out.Name = ""
	out.CPU = *resource.NewQuantity(int64(in.Cpu), resource.DecimalSI)
	out.Running = in.Running
	return nil
}

// preserveSpec returns what v1alpha's spec loses of in.
func preserveSpec(in *cicd.JenkinsServiceSpec) preservedSpec {
	var p preservedSpec
	if in.Replicas == 0 {
		zero := int32(0)
		p.Replicas = &zero
	}
	if !isWholeCores(in.Resources.CPU) {
		p.CPU = ptrTo(in.Resources.CPU.DeepCopy())
	}
	if !sameText(in.Resources.Memory, cicd.DefaultMemory()) {
		p.Memory = ptrTo(in.Resources.Memory.DeepCopy())
	}
	if in.Image != cicd.DefaultImage {
		p.Image = ptrTo(in.Image)
	}
	return p
}

// restoreSpec puts preserved data into out, the hub spec converted from in. A
// preserved CPU counts only while v1alpha still shows it (rounded up): a client
// that wrote another instancecpu gets what it wrote.
func restoreSpec(in *JenkinsServiceSpec, p *preservedSpec, out *cicd.JenkinsServiceSpec) {
	if p.CPU != nil && wholeCores(*p.CPU) == in.InstanceCpu {
		out.Resources.CPU = p.CPU.DeepCopy()
	}
	if p.Memory != nil {
		out.Resources.Memory = p.Memory.DeepCopy()
	}
	if p.Image != nil {
		out.Image = *p.Image
	}
}

// preserveStatus returns what v1alpha's status loses of in.
func preserveStatus(in *cicd.JenkinsServiceStatus) preservedStatus {
	p := preservedStatus{ObservedGeneration: in.ObservedGeneration}
	if len(in.Conditions) > 0 {
		p.Conditions = in.Conditions
	}
	lossy := false
	for i := range in.Instances {
		if in.Instances[i].Name != "" || !isWholeCores(in.Instances[i].CPU) {
			lossy = true
			break
		}
	}
	if lossy {
		p.Instances = make([]preservedInstance, len(in.Instances))
		for i, inst := range in.Instances {
			p.Instances[i].Name = inst.Name
			if !isWholeCores(inst.CPU) {
				p.Instances[i].CPU = ptrTo(inst.CPU.DeepCopy())
			}
		}
	}
	return p
}

// restoreStatus puts preserved data into out, the hub status converted from in.
// The preserved conditions stand unless approvalstatus now says something else;
// then the Approved condition is replaced by the one approvalstatus gives.
func restoreStatus(in *JenkinsServiceStatus, p *preservedStatus, out *cicd.JenkinsServiceStatus) {
	out.ObservedGeneration = p.ObservedGeneration
	if len(p.Conditions) > 0 {
		conditions := make([]metav1.Condition, 0, len(p.Conditions)+1)
		for _, c := range p.Conditions {
			conditions = append(conditions, *c.DeepCopy())
		}
		if ApprovalOf(conditions) != normalApproval(in.ApprovalStatus) {
			conditions = setCondition(conditions, approvedCondition(requestedStatus(in.ApprovalStatus), in.ApprovalStatus))
		}
		out.Conditions = conditions
	}
	for i := range out.Instances {
		if i >= len(p.Instances) {
			break
		}
		out.Instances[i].Name = p.Instances[i].Name
		if cpu := p.Instances[i].CPU; cpu != nil && wholeCores(*cpu) == in.Instances[i].Cpu {
			out.Instances[i].CPU = cpu.DeepCopy()
		}
	}
}

// approvedCondition is the Approved condition a v1alpha client sets. The time is
// left zero: the server stamps it when it stores a changed condition.
func approvedCondition(status metav1.ConditionStatus, a ApprovalStatus) metav1.Condition {
	reason := string(normalApproval(a))
	if _, unsupported := unsupportedValue(status); unsupported {
		reason = "Unsupported" // validation names the value; a reason must be a word
	}
	return metav1.Condition{
		Type:    cicd.ConditionApproved,
		Status:  status,
		Reason:  reason,
		Message: "set through " + SchemeGroupVersion.String() + " approvalstatus",
	}
}

// setCondition replaces the condition of c's type in conditions, or appends c.
func setCondition(conditions []metav1.Condition, c metav1.Condition) []metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == c.Type {
			conditions[i] = c
			return conditions
		}
	}
	return append(conditions, c)
}

// sameText tells whether a and b serialize alike (2Gi and 2147483648 are equal
// quantities, but a client that wrote one must not read back the other). It works
// on copies: String caches its result in the quantity, and the object converted
// may be shared, e.g. by the watch cache.
func sameText(a, b resource.Quantity) bool {
	ac, bc := a.DeepCopy(), b.DeepCopy()
	return ac.String() == bc.String()
}

func ptrTo[T any](v T) *T { return &v }
