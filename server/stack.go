package server

import (
	"net/http"

	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/autobusi/cicd-apiserver/server/filters"
)

// Every request runs on fresh goroutines (HTTP/2's, then the request-timeout
// filter's) whose small stacks double several times 30 to 60 frames deep, each
// growth copying every frame. Growing the stack once, early, costs one cheap
// copy instead (measured in docs/benchmarks.md, "What pays").

// stackReserve is the stack room a request needs on its way through the
// handler chain; a 16 KiB frame takes a goroutine from its initial stack to 32
// KiB in one growth.
const stackReserve = 16 << 10

// withStackReserve serves h on a stack grown to hold stackReserve bytes more.
func withStackReserve(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reserveStack()
		h.ServeHTTP(w, r)
	})
}

// reserveStack has a stackReserve-byte frame: calling it grows the
// goroutine's stack to fit, and the stack keeps that size after it returns.
//
//go:noinline
func reserveStack() {
	var room [stackReserve]byte
	keep(room[:])
}

//go:noinline
func keep([]byte) {}

// buildHandlerChain is the generic API server's handler chain, with the stack
// reserved on both goroutines: outermost, at the start of HTTP/2's goroutine,
// and innermost, where the request-timeout filter's goroutine reaches the API
// handler (below a dozen filter frames: the generic chain has no hook nearer
// that goroutine's start). Below them, the request bounds (server/filters):
// after authentication and authorization, before any decoding.
func buildHandlerChain(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
	bounded := filters.WithRequestBounds(apiHandler, filters.Limits{MaxBodyBytes: c.MaxRequestBodyBytes, MaxDepth: filters.DefaultMaxDepth}, c.Serializer)
	return withStackReserve(genericapiserver.DefaultBuildHandlerChain(withStackReserve(bounded), c))
}
