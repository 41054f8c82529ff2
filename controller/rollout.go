package controller

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// ReasonUpdating is the Ready reason while every instance runs but not all of
// them run the current spec yet (a rolling update of the StatefulSet).
const ReasonUpdating = "Updating"

// rollout says why the instances do not all run the current spec yet, or ""
// when they do: the StatefulSet is being applied in this very reconciliation,
// its controller has not seen its latest template, or instances still run an
// older revision. So Ready=True at status.observedGeneration means that
// generation runs, as kstatus-based tools (and kubectl wait) read it.
func rollout(js *v1beta.JenkinsService, ss *appsv1.StatefulSet, applying bool, pods []*corev1.Pod) string {
	if applying || ss == nil || ss.Status.ObservedGeneration < ss.Generation {
		return "the StatefulSet is being updated"
	}
	replicas := specOf(js).replicas
	var updated int32
	for _, pod := range pods {
		ord, _ := ordinal(js.Name, pod.Name)
		if ord < int(replicas) && pod.Labels[appsv1.ControllerRevisionHashLabelKey] == ss.Status.UpdateRevision {
			updated++
		}
	}
	if updated < replicas {
		return fmt.Sprintf("%d of %d instances updated", updated, replicas)
	}
	return ""
}
