package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// controls reports whether a child is the JenkinsService's: controlled by it,
// or an orphan that the controller applied (someone removed its controller
// reference, or the JenkinsService was deleted with --cascade=orphan and made
// again). Orphans are adopted as kube-controller-manager's controllers adopt
// theirs; one that someone else made, even with our labels, is left alone.
func controls(js *v1beta.JenkinsService, m metav1.Object) bool {
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		return ref.UID == js.UID
	}
	for _, e := range m.GetManagedFields() {
		if e.Manager == FieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

// podOf reports whether pod is an instance of js: controlled by its
// StatefulSet (named like it; ss, when observed, says which one). A Pod
// that only carries the labels is not an instance.
func podOf(js *v1beta.JenkinsService, ss metav1.Object, pod *corev1.Pod) bool {
	ref := metav1.GetControllerOfNoCopy(pod)
	if ref == nil || ref.APIVersion != appsv1.SchemeGroupVersion.String() || ref.Kind != "StatefulSet" || ref.Name != js.Name {
		return false
	}
	return ss == nil || ss.GetUID() == "" || ref.UID == ss.GetUID()
}

// instancePods are the observed Pods that are instances of js.
func instancePods(js *v1beta.JenkinsService, obs Observed) []*corev1.Pod {
	var ss metav1.Object
	if obs.StatefulSet != nil {
		if !controls(js, obs.StatefulSet) {
			return nil // someone else's StatefulSet: its Pods are not instances
		}
		ss = obs.StatefulSet
	}
	var out []*corev1.Pod
	for _, pod := range obs.Pods {
		if podOf(js, ss, pod) {
			out = append(out, pod)
		}
	}
	return out
}
