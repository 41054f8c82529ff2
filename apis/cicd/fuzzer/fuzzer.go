// Package fuzzer holds the fuzz functions of the autobusi.group.cicd hub types,
// for round-trip tests (k8s.io/apimachinery/pkg/api/apitesting/roundtrip).
package fuzzer

import (
	"fmt"
	"strings"
	"unicode"

	"sigs.k8s.io/randfill"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Funcs returns the fuzz functions of the hub types. They make only objects that
// pass validation.ValidateJenkinsService, and they cover everything the hub can
// hold, not just what v1alpha can show: replicas 0, fractional CPUs, any memory in
// range, images with registries, tags and digests, conditions of several types
// with reasons, messages and times, instance names and fractional instance CPUs.
// Merge them with k8s.io/apimachinery/pkg/apis/meta/fuzzer.Funcs, as
// roundtrip.RoundTripTestForAPIGroup does; they also work alone.
var Funcs = func(codecs runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		fuzzJenkinsService,
		fuzzJenkinsServiceSpec,
		fuzzJenkinsServiceStatus,
	}
}

func fuzzJenkinsService(obj *cicd.JenkinsService, c randfill.Continue) {
	c.FillNoCustom(obj) // the spec and status through the functions below
	// In memory, the hub's apiVersion and kind stay empty.
	obj.TypeMeta = metav1.TypeMeta{}
	makeObjectMetaValid(&obj.ObjectMeta, c)
}

func fuzzJenkinsServiceSpec(spec *cicd.JenkinsServiceSpec, c randfill.Continue) {
	spec.Replicas = fuzzReplicas(c)
	spec.Resources.CPU = fuzzCPU(c)
	spec.Resources.Memory = fuzzMemory(c)
	spec.Image = fuzzImage(c)
}

func fuzzJenkinsServiceStatus(status *cicd.JenkinsServiceStatus, c randfill.Continue) {
	status.ObservedGeneration = 0
	if c.Intn(3) > 0 {
		status.ObservedGeneration = c.Int63n(1 << 40)
	}
	status.Conditions = fuzzConditions(c)
	status.Instances = fuzzInstances(c)
}

// pick returns one of choices.
func pick[T any](c randfill.Continue, choices ...T) T {
	return choices[c.Intn(len(choices))]
}

// --- spec ---

func fuzzReplicas(c randfill.Continue) int32 {
	switch c.Intn(6) {
	case 0:
		return 0 // scaled to zero
	case 1:
		return 1
	case 2:
		return 100
	default:
		return int32(c.Intn(101))
	}
}

func fuzzCPU(c randfill.Continue) resource.Quantity {
	switch c.Intn(6) {
	case 0:
		return cicd.DefaultCPU()
	case 1: // whole cores
		return *resource.NewQuantity(int64(1+c.Intn(64)), resource.DecimalSI)
	case 2: // any number of millicores
		return *resource.NewMilliQuantity(int64(1+c.Intn(64000)), resource.DecimalSI)
	case 3: // tenths of a core
		return *resource.NewMilliQuantity(int64(100*(1+c.Intn(640))), resource.DecimalSI)
	default:
		return resource.MustParse(pick(c, "1m", "250m", "500m", "1500m", "0.5", "2.25", "2000m", "63999m", "64000m", "64", "2"))
	}
}

var (
	minMemory = resource.MustParse("256Mi")
	maxMemory = resource.MustParse("256Gi")
)

// memoryUnits are the units fuzzMemory counts memory in.
var memoryUnits = []struct {
	bytes  int64
	format resource.Format
}{
	{1, resource.DecimalSI},
	{1000, resource.DecimalSI},
	{1 << 10, resource.BinarySI},
	{1000 * 1000, resource.DecimalSI},
	{1 << 20, resource.BinarySI},
	{1000 * 1000 * 1000, resource.DecimalSI},
	{1 << 30, resource.BinarySI},
}

func fuzzMemory(c randfill.Continue) resource.Quantity {
	switch c.Intn(4) {
	case 0:
		return cicd.DefaultMemory()
	case 1:
		return resource.MustParse(pick(c, "256Mi", "256Gi", "268435456", "512Mi", "1Gi", "1.5Gi", "2048Mi", "2Gi", "4Gi", "3000M", "1G", "100Gi", "0.25Gi"))
	default: // a whole number of some unit, anywhere in range
		unit := memoryUnits[c.Intn(len(memoryUnits))]
		lo := (minMemory.Value() + unit.bytes - 1) / unit.bytes
		hi := maxMemory.Value() / unit.bytes
		return *resource.NewQuantity((lo+c.Int63n(hi-lo+1))*unit.bytes, unit.format)
	}
}

const (
	lowerAlphaNum = "abcdefghijklmnopqrstuvwxyz0123456789"
	alphaNum      = lowerAlphaNum + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerHex      = "0123456789abcdef"
)

// randomFrom returns n characters from chars.
func randomFrom(c randfill.Continue, chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[c.Intn(len(chars))]
	}
	return string(b)
}

func fuzzImage(c randfill.Continue) string {
	if c.Intn(5) == 0 {
		return cicd.DefaultImage
	}
	registry := pick(c, "", "", "docker.io/", "quay.io/", "registry:5000/", "registry.example.com/",
		"localhost:5000/", "10.1.2.3:443/", "[::1]:5000/", "My-Registry.example.com:8443/")
	var path string
	if c.Bool() {
		path = pick(c, "jenkins/jenkins", "jenkins", "team/ci/jenkins", "my_org/jenkins-agent", "ci.tools/jenkins__lts", "library/jenkins---x")
	} else {
		path = randomImagePath(c)
	}
	var tag string
	switch c.Intn(4) {
	case 0:
	case 1:
		tag = ":" + randomFrom(c, alphaNum+"_", 1) + randomFrom(c, alphaNum+"_.-", c.Intn(20))
	default:
		tag = pick(c, ":lts", ":2.462.3-lts", ":latest", ":2.4_x", ":LTS-JDK21", ":_", ":2.462.3-lts-jdk21")
	}
	var digest string
	switch c.Intn(10) {
	case 0, 1, 2:
		digest = "@sha256:" + randomFrom(c, lowerHex, 64)
	case 3:
		digest = "@sha512:" + randomFrom(c, lowerHex, 128)
	}
	return registry + path + tag + digest
}

// randomImagePath returns 1 to 3 lowercase path components.
func randomImagePath(c randfill.Continue) string {
	components := make([]string, 1+c.Intn(3))
	for i := range components {
		component := randomFrom(c, lowerAlphaNum, 1+c.Intn(8))
		if c.Bool() {
			component += pick(c, ".", "_", "__", "-", "---") + randomFrom(c, lowerAlphaNum, 1+c.Intn(8))
		}
		components[i] = component
	}
	return strings.Join(components, "/")
}

// --- status ---

var (
	conditionTypes  = []string{cicd.ConditionApproved, cicd.ConditionReady, "Progressing", "Degraded", "example.com/Synced"}
	approvalReasons = map[metav1.ConditionStatus][]string{
		metav1.ConditionTrue:    {"ApprovedByAdmin", "Approved", "AutoApproved"},
		metav1.ConditionFalse:   {"DeniedByAdmin", "Denied", "QuotaExceeded"},
		metav1.ConditionUnknown: {"Pending", "AwaitingReview"},
	}
	otherReasons = []string{"Provisioning", "AllInstancesRunning", "Scaling", "ImagePullBackOff", "Reason_1", "ReasonA,ReasonB", "ReasonA:ReasonB"}
	statuses     = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}
)

// fuzzConditions returns 0 to 3 conditions of distinct types; about half of the
// non-empty lists hold the Approved condition.
func fuzzConditions(c randfill.Continue) []metav1.Condition {
	n := c.Intn(4)
	if n == 0 {
		return nil
	}
	order := c.Perm(len(conditionTypes))
	if c.Bool() {
		// Put Approved (conditionTypes[0]) somewhere among the first n.
		at := c.Intn(n)
		for i, t := range order {
			if t == 0 {
				order[i], order[at] = order[at], order[i]
				break
			}
		}
	}
	conditions := make([]metav1.Condition, n)
	for i := range conditions {
		condType := conditionTypes[order[i]]
		status := statuses[c.Intn(len(statuses))]
		var reason string
		switch {
		case condType == cicd.ConditionApproved:
			reason = pick(c, approvalReasons[status]...)
		case c.Intn(3) == 0:
			reason = randomReason(c)
		default:
			reason = pick(c, otherReasons...)
		}
		var message string
		switch c.Intn(3) {
		case 0:
		case 1:
			message = pick(c, "approved for the release train", "1 of 2 instances running", "set through autobusi.group.cicd/v1alpha approvalstatus")
		default:
			message = c.String(0)
		}
		var observedGeneration int64
		if c.Bool() {
			observedGeneration = c.Int63n(1 << 40)
		}
		conditions[i] = metav1.Condition{
			Type:   condType,
			Status: status,
			// Seconds from 1970 to 2100, never the zero time.
			LastTransitionTime: metav1.Unix(1+c.Int63n(4102444800), 0).Rfc3339Copy(),
			Reason:             reason,
			Message:            message,
			ObservedGeneration: observedGeneration,
		}
	}
	return conditions
}

// randomReason returns a reason of [A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?.
func randomReason(c randfill.Continue) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	reason := randomFrom(c, letters, 1)
	if n := c.Intn(20); n > 0 {
		reason += randomFrom(c, alphaNum+"_,:", n-1) + randomFrom(c, alphaNum+"_", 1)
	}
	return reason
}

// fuzzInstances returns 0 to 3 instances: all unnamed, all named, or some named;
// the names are unique.
func fuzzInstances(c randfill.Continue) []cicd.JenkinsServerInstance {
	n := c.Intn(4)
	if n == 0 {
		return nil
	}
	naming := c.Intn(3)
	prefix := pick(c, "ci", "jenkins", "team-a.ci", randomDNSLabel(c, 20))
	instances := make([]cicd.JenkinsServerInstance, n)
	for i := range instances {
		inst := &instances[i]
		if naming == 1 || naming == 2 && c.Bool() {
			inst.Name = fmt.Sprintf("%s-%d", prefix, i)
		}
		switch c.Intn(4) {
		case 0:
			inst.CPU = *resource.NewQuantity(int64(c.Intn(65)), resource.DecimalSI) // whole cores, 0 included
		case 1:
			inst.CPU = *resource.NewMilliQuantity(int64(c.Intn(64001)), resource.DecimalSI)
		default:
			inst.CPU = resource.MustParse(pick(c, "0", "1", "2", "250m", "1500m", "0.5", "64"))
		}
		inst.Running = c.Bool()
	}
	return instances
}

// --- metadata ---

// makeObjectMetaValid keeps what the generic fuzzing put into meta where
// validation allows it and replaces the rest with random valid values: a DNS-1123
// name and namespace, valid labels, annotations, owner references, finalizers
// and managed fields. The preservation annotations never appear: conversions
// drop them, and they are never stored.
func makeObjectMetaValid(meta *metav1.ObjectMeta, c randfill.Continue) {
	meta.Name = randomDNSSubdomain(c)
	meta.GenerateName = ""
	if c.Intn(4) == 0 {
		meta.GenerateName = randomDNSLabel(c, 20) + "-"
	}
	meta.Namespace = randomDNSLabel(c, 63)
	if meta.Generation < 0 {
		meta.Generation = -(meta.Generation + 1)
	}

	meta.Labels = nil
	for n := c.Intn(4); n > 0; n-- {
		if meta.Labels == nil {
			meta.Labels = map[string]string{}
		}
		meta.Labels[randomQualifiedName(c)] = randomLabelValue(c)
	}

	meta.Annotations = nil
	for n := c.Intn(4); n > 0; n-- {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		key := randomQualifiedName(c)
		if cicd.IsPreservationAnnotation(key) {
			continue
		}
		meta.Annotations[key] = pick(c, "", c.String(0), `{"json":["value"]}`, "a\nmulti-line\nvalue")
	}
	if c.Intn(3) == 0 {
		if meta.Annotations == nil {
			meta.Annotations = map[string]string{}
		}
		meta.Annotations[cicd.AnnotationRequestedBy] = pick(c, "alice", "system:serviceaccount:team-a:ci", "bob@example.com", c.String(0))
	}

	controller := false
	for i := range meta.OwnerReferences {
		ref := &meta.OwnerReferences[i]
		ref.APIVersion = pick(c, "v1", "apps/v1", "autobusi.group.cicd/v1beta", "example.com/v1alpha1")
		ref.Kind = pick(c, "ConfigMap", "Deployment", "JenkinsService", "Team")
		ref.Name = randomDNSSubdomain(c)
		if ref.UID == "" {
			ref.UID = "7d6f1b0e-5a4c-4e8b-9f3a-1c2d3e4f5a6b"
		}
		if ref.Controller != nil && *ref.Controller {
			if controller {
				*ref.Controller = false // at most one controller
			}
			controller = true
		}
	}
	if len(meta.OwnerReferences) == 0 {
		meta.OwnerReferences = nil
	}

	meta.Finalizers = nil
	for _, i := range c.Perm(len(finalizers))[:c.Intn(3)] {
		meta.Finalizers = append(meta.Finalizers, finalizers[i])
	}

	for i := range meta.ManagedFields {
		entry := &meta.ManagedFields[i]
		entry.Operation = pick(c, metav1.ManagedFieldsOperationApply, metav1.ManagedFieldsOperationUpdate)
		entry.FieldsType = "FieldsV1"
		entry.FieldsV1 = nil
		entry.Manager = printable(entry.Manager, 128)
		entry.Subresource = pick(c, "", "status", "approval", "scale")
		entry.APIVersion = pick(c, "autobusi.group.cicd/v1beta", "autobusi.group.cicd/v1alpha")
	}
	if len(meta.ManagedFields) == 0 {
		meta.ManagedFields = nil
	}
}

// finalizers are valid finalizer names, none of them one of the two that exclude
// each other (orphan and foregroundDeletion).
var finalizers = []string{"autobusi.group.cicd/cleanup", "example.com/protect", "kubernetes.io/pv-protection", "cleanup"}

// randomDNSLabel returns a DNS-1123 label of 1 to max characters.
func randomDNSLabel(c randfill.Continue, max int) string {
	n := 1 + c.Intn(max)
	if n <= 2 {
		return randomFrom(c, lowerAlphaNum, n)
	}
	return randomFrom(c, lowerAlphaNum, 1) + randomFrom(c, lowerAlphaNum+"-", n-2) + randomFrom(c, lowerAlphaNum, 1)
}

// randomDNSSubdomain returns a DNS-1123 subdomain: mostly a short name, sometimes
// dotted, sometimes of the maximal 253 characters.
func randomDNSSubdomain(c randfill.Continue) string {
	switch c.Intn(10) {
	case 0:
		labels := []string{randomFullLabel(c, 63), randomFullLabel(c, 63), randomFullLabel(c, 63), randomFullLabel(c, 61)}
		return strings.Join(labels, ".")
	case 1, 2:
		return randomDNSLabel(c, 15) + "." + randomDNSLabel(c, 15)
	case 3:
		return pick(c, "ci", "jenkins", "team-a-ci", "0")
	default:
		return randomDNSLabel(c, 30)
	}
}

// randomFullLabel returns a DNS-1123 label of exactly n characters.
func randomFullLabel(c randfill.Continue, n int) string {
	return randomFrom(c, lowerAlphaNum, 1) + randomFrom(c, lowerAlphaNum+"-", n-2) + randomFrom(c, lowerAlphaNum, 1)
}

// randomQualifiedName returns a label key: an optional DNS subdomain prefix and a
// name of up to 63 characters.
func randomQualifiedName(c randfill.Continue) string {
	prefix := pick(c, "", "", "app.kubernetes.io/", "example.com/", cicd.AnnotationPrefix, randomDNSLabel(c, 10)+"."+randomDNSLabel(c, 10)+"/")
	n := 1 + c.Intn(63)
	name := randomFrom(c, alphaNum, 1)
	if n > 1 {
		name += randomFrom(c, alphaNum+"-_.", n-2) + randomFrom(c, alphaNum, 1)
	}
	return prefix + name
}

// randomLabelValue returns a label value of 0 to 63 characters.
func randomLabelValue(c randfill.Continue) string {
	n := c.Intn(64)
	switch n {
	case 0:
		return ""
	case 1:
		return randomFrom(c, alphaNum, 1)
	}
	return randomFrom(c, alphaNum, 1) + randomFrom(c, alphaNum+"-_.", n-2) + randomFrom(c, alphaNum, 1)
}

// printable returns s without its non-printable characters, at most max bytes long.
func printable(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsPrint(r) {
			continue
		}
		if b.Len()+len(string(r)) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
