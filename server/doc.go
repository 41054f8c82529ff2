// Package server is the cicd-apiserver: options → config → completed config
// → server, in both of its modes.
//
// Delegated mode (NewOptions, Options.Run) runs behind kube-apiserver with
// the generic RecommendedOptions: TokenReview and request-header
// authentication, SubjectAccessReview authorization, the core API through
// --kubeconfig, and the recommended admission plugins followed by ours.
//
// Local mode (NewLocalOptions, StartLocal, RunLocal) runs stand-alone: an
// embedded etcd, a CA with serving and admin certificates, and an admin
// kubeconfig, all kept in a data directory; client certificates of that CA
// are the only authentication and system:masters the only authorized group.
//
// Files:
//
//	scheme.go      Scheme and Codecs
//	storage.go     etcd prefix, protobuf storage in v1beta
//	options.go     delegated-mode options and flags
//	local.go       local-mode options, StartLocal, LocalServer, RunLocal
//	config.go      Config, CompletedConfig
//	server.go      Server: the API group, informers, Run
//	admission.go   the JenkinsService admission wiring (informers, etcd keys)
//	admission_informer.go  the admission informer, fed from the storage in process
//	features.go    feature-gate defaults that differ from kube-apiserver's
//	stack.go       the handler chain, with goroutine stacks reserved up front
//	openapi.go     OpenAPI v2 and v3
//	version.go     the reported version
//	local_auth.go  local authentication and authorization
//	local_auth_cache.go  the cache of verified client-certificate chains
//	etcddial.go    the etcd dialer that redials eagerly
//	pki.go         local CA and certificates
//	kubeconfig.go  the admin kubeconfig
//	etcd.go        the embedded etcd
//	flags.go       --max-jenkinsservices
//	cmd.go         the cobra commands and --help
package server
