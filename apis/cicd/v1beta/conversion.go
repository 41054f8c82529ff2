package v1beta

import (
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/conversion"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// Convert_v1beta_JenkinsService_To_cicd_JenkinsService drops the v1alpha round-trip
// annotations a v1beta client may have copied from a v1alpha object: they are
// never stored.
func Convert_v1beta_JenkinsService_To_cicd_JenkinsService(in *JenkinsService, out *cicd.JenkinsService, s conversion.Scope) error {
	if err := autoConvert_v1beta_JenkinsService_To_cicd_JenkinsService(in, out, s); err != nil {
		return err
	}
	out.Annotations = cicd.WithoutPreservationAnnotations(out.Annotations)
	return nil
}

// Convert_cicd_JenkinsService_To_v1beta_JenkinsService never shows the v1alpha
// round-trip annotations.
func Convert_cicd_JenkinsService_To_v1beta_JenkinsService(in *cicd.JenkinsService, out *JenkinsService, s conversion.Scope) error {
	if err := autoConvert_cicd_JenkinsService_To_v1beta_JenkinsService(in, out, s); err != nil {
		return err
	}
	out.Annotations = cicd.WithoutPreservationAnnotations(out.Annotations)
	return nil
}

// Convert_v1beta_JenkinsServiceResources_To_cicd_JenkinsServiceResources maps unset
// (nil) quantities to zero; defaulting has filled them before a conversion that
// matters.
func Convert_v1beta_JenkinsServiceResources_To_cicd_JenkinsServiceResources(in *JenkinsServiceResources, out *cicd.JenkinsServiceResources, _ conversion.Scope) error {
	out.CPU = quantityOrZero(in.CPU)
	out.Memory = quantityOrZero(in.Memory)
	return nil
}

// Convert_cicd_JenkinsServiceResources_To_v1beta_JenkinsServiceResources sets both
// quantities, but leaves unset (nil) one that was never set: the zero Quantity,
// which has no format. A stored or defaulted object has both; only the field
// manager converts objects with fields left out, and it must see them left out
// in every version (an applier that switched versions and left the field out).
func Convert_cicd_JenkinsServiceResources_To_v1beta_JenkinsServiceResources(in *cicd.JenkinsServiceResources, out *JenkinsServiceResources, _ conversion.Scope) error {
	out.CPU, out.Memory = quantityOrNil(in.CPU), quantityOrNil(in.Memory)
	return nil
}

// quantityOrNil is a copy of q, or nil for the zero Quantity (never set).
func quantityOrNil(q resource.Quantity) *resource.Quantity {
	if q.Format == "" && q.IsZero() {
		return nil
	}
	c := q.DeepCopy()
	return &c
}

func quantityOrZero(q *resource.Quantity) resource.Quantity {
	if q == nil {
		return resource.Quantity{}
	}
	return q.DeepCopy()
}
