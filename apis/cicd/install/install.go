// Package install registers the autobusi.group.cicd API group, hub and both
// versions, into a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// Install registers the hub and both versions, and makes v1beta the preferred
// version (discovery, kubectl) ahead of v1alpha.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(cicd.AddToScheme(scheme))
	utilruntime.Must(v1beta.AddToScheme(scheme))
	utilruntime.Must(v1alpha.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1beta.SchemeGroupVersion, v1alpha.SchemeGroupVersion))
}
