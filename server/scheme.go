package server

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd/install"
)

var (
	// Scheme holds every type the server encodes or decodes: the
	// autobusi.group.cicd hub and versions, autoscaling/v1 for the scale
	// subresource, and the meta types the generic API server needs.
	Scheme = runtime.NewScheme()
	// Codecs are the serializers (JSON, YAML, protobuf) built on Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
)

func init() {
	install.Install(Scheme)
	utilruntime.Must(autoscalingv1.AddToScheme(Scheme))

	// Options types (ListOptions, GetOptions, …) under the empty group's v1,
	// which is where the generic server's parameter codec looks for them.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})

	// Types the generic server serves outside of any group.
	Scheme.AddUnversionedTypes(schema.GroupVersion{Group: "", Version: "v1"},
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}
