package jenkinsservice

import (
	"context"
	"fmt"

	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

// specWarnings returns warnings about a valid spec that is probably not what the
// client meant. old is nil on create; on update only fields that change are looked
// at. Field names are those of the request (v1alpha shows replicas as
// instanceamount and has no image; a Scale has spec.replicas).
func specWarnings(ctx context.Context, spec, old *cicd.JenkinsServiceSpec) []string {
	var warnings []string
	if spec.Replicas == 0 && (old == nil || old.Replicas != 0) {
		warnings = append(warnings, fmt.Sprintf("%s: 0 scales the service to zero; no Jenkins instance will run", replicasField(ctx)))
	}
	if old == nil || spec.Image != old.Image {
		if w := imageWarning(spec.Image); w != "" {
			warnings = append(warnings, w)
		}
	}
	return warnings
}

// imageWarning warns about an image reference without a pinned version: no tag
// (which means :latest) or the :latest tag. A digest pins the image whatever the tag.
func imageWarning(image string) string {
	ref := validation.ParseImageReference(image)
	if image == "" || ref.HasDigest {
		return ""
	}
	switch ref.Tag {
	case "":
		return fmt.Sprintf("%s: %q has no tag and so means :latest; pin a version (or a digest) so that instances run the same Jenkins", cicd.PathImage, image)
	case "latest":
		return fmt.Sprintf("%s: %q uses the :latest tag; pin a version (or a digest) so that instances run the same Jenkins", cicd.PathImage, image)
	}
	return ""
}

// replicasField is the name of the replicas in the request: spec.instanceamount for
// a v1alpha JenkinsService, spec.replicas for a v1beta one and for a Scale.
func replicasField(ctx context.Context) string {
	if requestVersion(ctx) == v1alpha.SchemeGroupVersion.Version {
		if info, ok := genericapirequest.RequestInfoFrom(ctx); !ok || info.Subresource != "scale" {
			return v1alpha.PathInstanceAmount
		}
	}
	return cicd.PathReplicas
}
