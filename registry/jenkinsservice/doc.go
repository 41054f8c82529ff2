// Package jenkinsservice is the REST storage of the jenkinsservices resource and
// its status, approval and scale subresources.
//
// NewStorage builds one generic registry store (one etcd storage, one watch cache)
// for the resource. The subresources are views of that store with their own
// update strategies: the store is copied, never rebuilt, so every subresource
// writes through the same storage. The map Storage.Map returns is meant to be
// installed, unchanged, for every served version of the group.
//
// Strategies see hub (internal) objects only. Where the served version matters —
// field paths of validation errors, reset fields, field selectors, the replicas
// path for the managed fields of the scale subresource — it is taken from the
// request.
package jenkinsservice
