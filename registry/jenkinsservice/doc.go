// Package jenkinsservice is the REST storage of jenkinsservices and its status,
// approval and scale subresources: one generic registry store, which each
// subresource copies with its own update strategy, installed unchanged for every
// served version. Strategies see hub objects; where the served version matters
// (error paths, reset fields, field selectors) it is taken from the request.
package jenkinsservice
