package framework

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/autobusi/cicd-apiserver/generated/clientset/versioned"
)

// Encoding is the wire format a client speaks.
type Encoding string

const (
	JSON     Encoding = Encoding(runtime.ContentTypeJSON)
	Protobuf Encoding = Encoding(runtime.ContentTypeProtobuf)
)

// RESTConfig is a copy of the admin config that sends and accepts enc.
func (s *Server) RESTConfig(enc Encoding) *rest.Config {
	cfg := rest.CopyConfig(s.Config)
	cfg.ContentType = string(enc)
	cfg.AcceptContentTypes = string(enc)
	if enc == Protobuf {
		// Errors (metav1.Status) may still come as JSON from some paths.
		cfg.AcceptContentTypes = string(Protobuf) + "," + string(JSON)
	}
	return cfg
}

// Clientset is the generated typed clientset with the given wire format.
func (s *Server) Clientset(t testing.TB, enc Encoding) versioned.Interface {
	t.Helper()
	c, err := versioned.NewForConfig(s.RESTConfig(enc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Dynamic is a dynamic client (JSON).
func (s *Server) Dynamic(t testing.TB) dynamic.Interface {
	t.Helper()
	c, err := dynamic.NewForConfig(s.RESTConfig(JSON))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
