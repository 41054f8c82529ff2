package validation

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The image reference grammar of the container registries (the docker/distribution
// "reference" grammar):
//
//	reference        := name [ ":" tag ] [ "@" digest ]
//	name             := [ domain "/" ] path-component [ "/" path-component ]*
//	domain           := host [ ":" port ]
//	host             := domain-component [ "." domain-component ]* | "[" ipv6 "]"
//	domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//	port             := [0-9]+
//	path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*
//	separator        := [_.] | "__" | "-"+
//	tag              := [\w][\w.-]{0,127}
//	digest           := algorithm ":" hex
//	algorithm        := [A-Za-z][A-Za-z0-9]* ( [-_+.] [A-Za-z][A-Za-z0-9]* )*
//	hex              := [0-9a-fA-F]{32,}
//
// The name is at most 255 characters long. Of the digest algorithms, sha256,
// sha384 and sha512 are supported, with 64, 96 and 128 lowercase hex digits.
const (
	imageAlphaNumeric    = `[a-z0-9]+`
	imageSeparator       = `(?:[_.]|__|-+)`
	imagePathComponent   = imageAlphaNumeric + `(?:` + imageSeparator + imageAlphaNumeric + `)*`
	imageDomainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	imageHost            = `(?:` + imageDomainComponent + `(?:\.` + imageDomainComponent + `)*|\[[a-fA-F0-9:]+\])`
	imageDomain          = imageHost + `(?::[0-9]+)?`

	imageNameMaxLength = 255
)

var (
	imageNameRegexp   = regexp.MustCompile(`^(?:` + imageDomain + `/)?` + imagePathComponent + `(?:/` + imagePathComponent + `)*$`)
	imageTagRegexp    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	imageDigestRegexp = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)

	// imageDigestLengths are the hex lengths of the supported digest algorithms.
	imageDigestLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}
	lowerHexRegexp     = regexp.MustCompile(`^[0-9a-f]+$`)
)

const imageExamples = "e.g. 'jenkins/jenkins:lts', 'registry:5000/team/jenkins:2.462.3-lts' or 'registry:5000/team/jenkins@sha256:<64 hex digits>'"

// ValidateImageReference validates a container image reference:
// [registry[:port]/]path[:tag][@digest].
func ValidateImageReference(image string, fldPath *field.Path) field.ErrorList {
	if image == "" {
		return field.ErrorList{field.Required(fldPath, "a container image reference is required, "+imageExamples)}
	}

	var allErrs field.ErrorList
	ref := ParseImageReference(image)
	name := ref.Name

	switch {
	case !imageNameRegexp.MatchString(name):
		allErrs = append(allErrs, field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference [registry[:port]/]path[:tag][@digest]: the repository %q must be "+
				"'/'-separated lowercase path components of letters and digits joined by '.', '_', '__' or '-', "+
				"optionally after a registry host[:port] (%s)", name, imageExamples)))
	case len(name) > imageNameMaxLength:
		allErrs = append(allErrs, field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference: the repository name must be no more than %d characters", imageNameMaxLength)))
	}

	if tag := ref.Tag; ref.HasTag && !imageTagRegexp.MatchString(tag) {
		allErrs = append(allErrs, field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference: the tag %q must start with a letter, digit or '_', "+
				"followed by at most 127 letters, digits, '_', '.' or '-'", tag)))
	}

	if ref.HasDigest {
		allErrs = append(allErrs, validateImageDigest(image, ref.Digest, fldPath)...)
	}
	return allErrs
}

// ImageReference is an image reference split into its parts, valid or not.
type ImageReference struct {
	Name              string
	Tag, Digest       string
	HasTag, HasDigest bool
}

// ParseImageReference splits image into name[:tag][@digest]. The tag follows the
// last ':' that is not part of the registry, that is, the last ':' after the last
// '/'. It does not validate the parts (ValidateImageReference does).
func ParseImageReference(image string) ImageReference {
	var ref ImageReference
	ref.Name, ref.Digest, ref.HasDigest = strings.Cut(image, "@")
	if i := strings.LastIndexByte(ref.Name, ':'); i >= 0 && !strings.Contains(ref.Name[i+1:], "/") {
		ref.Name, ref.Tag, ref.HasTag = ref.Name[:i], ref.Name[i+1:], true
	}
	return ref
}

func validateImageDigest(image, digest string, fldPath *field.Path) field.ErrorList {
	if !imageDigestRegexp.MatchString(digest) {
		return field.ErrorList{field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference: the digest %q must be <algorithm>:<hex digits>, e.g. 'sha256:<64 hex digits>'", digest))}
	}
	algorithm, hex, _ := strings.Cut(digest, ":")
	length, ok := imageDigestLengths[algorithm]
	switch {
	case !ok:
		return field.ErrorList{field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference: unsupported digest algorithm %q, supported are sha256, sha384 and sha512", algorithm))}
	case len(hex) != length || !lowerHexRegexp.MatchString(hex):
		return field.ErrorList{field.Invalid(fldPath, image, fmt.Sprintf(
			"must be a valid image reference: a %s digest must be %d lowercase hex digits", algorithm, length))}
	}
	return nil
}
