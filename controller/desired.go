package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// What every instance runs with. The ports and the home directory are those of
// the jenkins/jenkins images.
const (
	containerName = "jenkins"
	homeVolume    = "jenkins-home"
	homePath      = "/var/jenkins_home"
	portHTTP      = "http"
	portAgents    = "agents"
	httpPort      = 8080
	agentsPort    = 50000
	// jenkinsGID is the group of the jenkins user in the jenkins/jenkins images;
	// as fsGroup it makes the volume writable for it.
	jenkinsGID = 1000
)

// headlessName is the headless Service that gives each instance its DNS name
// (<name>-0.<name>-headless.<namespace>.svc); the ClusterIP Service for the UI
// and agents is named like the JenkinsService.
func headlessName(name string) string { return name + headlessSuffix }

const headlessSuffix = "-headless"

// spec is what the controller reads from a JenkinsService's spec, with the
// API's defaults for what is unset (the server defaults, so that is rare).
type spec struct {
	replicas int32
	cpu      resource.Quantity
	memory   resource.Quantity
	image    string
}

func specOf(js *v1beta.JenkinsService) spec {
	s := spec{replicas: 1, cpu: cicd.DefaultCPU(), memory: cicd.DefaultMemory(), image: js.Spec.Image}
	if js.Spec.Replicas != nil {
		s.replicas = *js.Spec.Replicas
	}
	if js.Spec.Resources.CPU != nil {
		s.cpu = *js.Spec.Resources.CPU
	}
	if js.Spec.Resources.Memory != nil {
		s.memory = *js.Spec.Resources.Memory
	}
	if s.image == "" {
		s.image = cicd.DefaultImage
	}
	return s
}

// ownerReference makes the JenkinsService the controller of what is created for
// it, so that deleting it garbage-collects them.
func ownerReference(js *v1beta.JenkinsService) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(v1beta.SchemeGroupVersion.String()).
		WithKind("JenkinsService").
		WithName(js.Name).
		WithUID(js.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// desiredStatefulSet is the StatefulSet of an approved JenkinsService. homeSize is
// the size of each instance's JENKINS_HOME claim; the claim template of an
// existing StatefulSet cannot change, so the caller passes the existing size.
func desiredStatefulSet(js *v1beta.JenkinsService, homeSize resource.Quantity) *appsv1ac.StatefulSetApplyConfiguration {
	s := specOf(js)
	compute := corev1.ResourceList{corev1.ResourceCPU: s.cpu, corev1.ResourceMemory: s.memory}
	container := corev1ac.Container().
		WithName(containerName).
		WithImage(s.image).
		WithPorts(
			corev1ac.ContainerPort().WithName(portHTTP).WithContainerPort(httpPort).WithProtocol(corev1.ProtocolTCP),
			corev1ac.ContainerPort().WithName(portAgents).WithContainerPort(agentsPort).WithProtocol(corev1.ProtocolTCP),
		).
		WithEnv(corev1ac.EnvVar().WithName("JENKINS_HOME").WithValue(homePath)).
		WithResources(corev1ac.ResourceRequirements().WithRequests(compute).WithLimits(compute.DeepCopy())).
		WithReadinessProbe(corev1ac.Probe().WithHTTPGet(
			corev1ac.HTTPGetAction().WithPath("/login").WithPort(intstr.FromString(portHTTP)))).
		WithVolumeMounts(corev1ac.VolumeMount().WithName(homeVolume).WithMountPath(homePath))

	claim := (&corev1ac.PersistentVolumeClaimApplyConfiguration{}).
		WithName(homeVolume).
		WithSpec(corev1ac.PersistentVolumeClaimSpec().
			WithAccessModes(corev1.ReadWriteOnce).
			WithResources(corev1ac.VolumeResourceRequirements().
				WithRequests(corev1.ResourceList{corev1.ResourceStorage: homeSize})))

	return appsv1ac.StatefulSet(js.Name, js.Namespace).
		WithLabels(cicd.InstanceLabels(js.Name)).
		WithOwnerReferences(ownerReference(js)).
		WithSpec(appsv1ac.StatefulSetSpec().
			WithReplicas(s.replicas).
			WithServiceName(headlessName(js.Name)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(cicd.SelectorLabels(js.Name))).
			// The instances are independent: start and stop them all at once.
			WithPodManagementPolicy(appsv1.ParallelPodManagement).
			// The data outlives the StatefulSet: denial or scaling down keeps it.
			WithPersistentVolumeClaimRetentionPolicy(appsv1ac.StatefulSetPersistentVolumeClaimRetentionPolicy().
				WithWhenDeleted(appsv1.RetainPersistentVolumeClaimRetentionPolicyType).
				WithWhenScaled(appsv1.RetainPersistentVolumeClaimRetentionPolicyType)).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(cicd.InstanceLabels(js.Name)).
				WithSpec(corev1ac.PodSpec().
					WithSecurityContext(corev1ac.PodSecurityContext().WithFSGroup(jenkinsGID)).
					WithContainers(container))).
			WithVolumeClaimTemplates(claim))
}

// desiredServices are the headless Service (a DNS name per instance, ready or
// not, for the StatefulSet) and the ClusterIP Service for the UI and agents.
func desiredServices(js *v1beta.JenkinsService) []*corev1ac.ServiceApplyConfiguration {
	ports := func() []*corev1ac.ServicePortApplyConfiguration {
		return []*corev1ac.ServicePortApplyConfiguration{
			corev1ac.ServicePort().WithName(portHTTP).WithPort(httpPort).WithTargetPort(intstr.FromString(portHTTP)).WithProtocol(corev1.ProtocolTCP),
			corev1ac.ServicePort().WithName(portAgents).WithPort(agentsPort).WithTargetPort(intstr.FromString(portAgents)).WithProtocol(corev1.ProtocolTCP),
		}
	}
	headless := corev1ac.Service(headlessName(js.Name), js.Namespace).
		WithLabels(cicd.InstanceLabels(js.Name)).
		WithOwnerReferences(ownerReference(js)).
		WithSpec(corev1ac.ServiceSpec().
			WithClusterIP(corev1.ClusterIPNone).
			WithPublishNotReadyAddresses(true).
			WithSelector(cicd.SelectorLabels(js.Name)).
			WithPorts(ports()...))
	ui := corev1ac.Service(js.Name, js.Namespace).
		WithLabels(cicd.InstanceLabels(js.Name)).
		WithOwnerReferences(ownerReference(js)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceTypeClusterIP).
			WithSelector(cicd.SelectorLabels(js.Name)).
			WithPorts(ports()...))
	return []*corev1ac.ServiceApplyConfiguration{headless, ui}
}
