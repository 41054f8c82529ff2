package jenkinsservice

import (
	"fmt"
	"strings"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
)

// specWarnings returns warnings about a valid spec that is probably not what the
// client meant. old is nil on create; on update only fields that change are looked
// at. Field names are those of the request's version (v1alpha shows replicas as
// instanceamount and has no image).
func specWarnings(version string, spec, old *cicd.JenkinsServiceSpec) []string {
	var warnings []string
	if spec.Replicas == 0 && (old == nil || old.Replicas != 0) {
		warnings = append(warnings, fmt.Sprintf("%s: 0 scales the service to zero; no Jenkins instance will run", replicasField(version)))
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
	if image == "" || strings.Contains(image, "@") {
		return ""
	}
	name := image[strings.LastIndex(image, "/")+1:] // the tag is after the last path component's colon
	tag := ""
	if i := strings.LastIndex(name, ":"); i >= 0 {
		tag = name[i+1:]
	}
	switch tag {
	case "":
		return fmt.Sprintf("spec.image: %q has no tag and so means :latest; pin a version (or a digest) so that instances run the same Jenkins", image)
	case "latest":
		return fmt.Sprintf("spec.image: %q uses the :latest tag; pin a version (or a digest) so that instances run the same Jenkins", image)
	}
	return ""
}

func replicasField(version string) string {
	if version == v1alpha.SchemeGroupVersion.Version {
		return "spec.instanceamount"
	}
	return "spec.replicas"
}
