package controller

import "strings"

// enqueueService enqueues the JenkinsService a Service of the controller's
// belongs to and, as enqueueNamed does for someone else's, those whose child's
// name it has: the headless Service of ci is the name the ClusterIP Service of
// a JenkinsService ci-headless needs, which can run once it goes.
func (c *Controller) enqueueService(obj any) {
	c.enqueueOwner(obj)
	m, ok := metaOf(obj)
	if !ok {
		return
	}
	c.queue.Add(m.GetNamespace() + "/" + m.GetName())
	if name, ok := strings.CutSuffix(m.GetName(), headlessSuffix); ok {
		c.queue.Add(m.GetNamespace() + "/" + name)
	}
}
