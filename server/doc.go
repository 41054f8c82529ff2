// Package server is the cicd-apiserver: options (cobra) → config → completed
// config → server.
//
// By default the server runs behind kube-apiserver (delegated mode): the
// generic RecommendedOptions' TokenReview and request-header authentication,
// SubjectAccessReview authorization, the core API through --kubeconfig, and
// the recommended admission plugins followed by ours. Local mode is the same
// path with package local's changes applied to the options.
package server
