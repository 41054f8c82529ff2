package install

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/cicdtest"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// Benchmarks of what the server does per object without a server: conversion
// between the hub and each version, and encoding and decoding of one object
// and of a 1000-item list in JSON and protobuf, from and to the hub as the
// server does (the codec converts). `make bench` measures the server.
//
//	go test -run '^$' -bench . -benchmem ./apis/cicd/install/

func benchScheme() (*runtime.Scheme, serializer.CodecFactory) {
	s := runtime.NewScheme()
	Install(s)
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s, serializer.NewCodecFactory(s)
}

// benchObject is a JenkinsService as the server keeps one after a few
// updates: labels, annotations, managed fields, a fractional CPU (so that
// v1alpha carries preservation annotations), conditions and instances.
func benchObject(i int) *cicd.JenkinsService {
	t := metav1.NewTime(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	name := fmt.Sprintf("js-%05d", i)
	o := cicdtest.Service(name, t)
	o.UID, o.ResourceVersion, o.CreationTimestamp = "5f0b1e0c-6d0e-4c43-9a0e-6f1f2d7c8a11", "123456", t
	o.Labels = map[string]string{"app": "jenkins", "team": "team-a", "bench": "cicd"}
	o.Annotations = map[string]string{cicd.AnnotationRequestedBy: "admin", "description": "release train " + name}
	o.ManagedFields = []metav1.ManagedFieldsEntry{{
		Manager: "bench", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "autobusi.group.cicd/v1beta",
		Time: &t, FieldsType: "FieldsV1",
		FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:annotations":{".":{},"f:description":{}},"f:labels":{".":{},"f:app":{},"f:bench":{},"f:team":{}}},"f:spec":{"f:image":{},"f:replicas":{},"f:resources":{"f:cpu":{},"f:memory":{}}}}`),
	}}
	return o
}

// plainObject is a JenkinsService as created through v1alpha: whole cores,
// default memory and image, no status; v1alpha shows all of it, so no
// preservation annotations.
func plainObject(i int) *cicd.JenkinsService {
	o := benchObject(i)
	o.Spec.Resources = cicd.JenkinsServiceResources{CPU: resource.MustParse("2"), Memory: cicd.DefaultMemory()}
	o.Spec.Image = cicd.DefaultImage
	o.Status = cicd.JenkinsServiceStatus{}
	return o
}

func benchList(n int) *cicd.JenkinsServiceList {
	l := &cicd.JenkinsServiceList{ListMeta: metav1.ListMeta{ResourceVersion: "123456"}}
	for i := 0; i < n; i++ {
		l.Items = append(l.Items, *benchObject(i))
	}
	return l
}

var versions = []schema.GroupVersion{v1beta.SchemeGroupVersion, v1alpha.SchemeGroupVersion}

func BenchmarkConvert(b *testing.B) {
	s, _ := benchScheme()
	for _, shape := range []struct {
		name string
		hub  *cicd.JenkinsService
	}{{"preserved", benchObject(0)}, {"plain", plainObject(0)}} {
		hub := shape.hub
		for _, gv := range versions {
			ext, err := s.New(gv.WithKind("JenkinsService"))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(shape.name+"/hub-to-"+gv.Version, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					out, _ := s.New(gv.WithKind("JenkinsService"))
					if err := s.Convert(hub, out, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			if err := s.Convert(hub, ext, nil); err != nil {
				b.Fatal(err)
			}
			b.Run(shape.name+"/"+gv.Version+"-to-hub", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					out := &cicd.JenkinsService{}
					if err := s.Convert(ext, out, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

var mediaTypes = []string{runtime.ContentTypeJSON, runtime.ContentTypeProtobuf}

func shortMedia(mt string) string {
	if mt == runtime.ContentTypeProtobuf {
		return "protobuf"
	}
	return "json"
}

// BenchmarkEncode encodes hub objects in a version, as the server writes
// responses and storage (conversion included).
func BenchmarkEncode(b *testing.B) {
	_, codecs := benchScheme()
	objs := map[string]runtime.Object{"object": benchObject(0), "list1000": benchList(1000)}
	for _, mt := range mediaTypes {
		info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
		if !ok {
			b.Fatalf("no serializer for %s", mt)
		}
		for _, gv := range versions {
			enc := codecs.EncoderForVersion(info.Serializer, gv)
			for _, size := range []string{"object", "list1000"} {
				obj := objs[size]
				b.Run(fmt.Sprintf("%s/%s/%s", shortMedia(mt), gv.Version, size), func(b *testing.B) {
					data, err := runtime.Encode(enc, obj)
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := runtime.Encode(enc, obj); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkDecode decodes a version into hub objects, as the server reads
// request bodies and storage (conversion included).
func BenchmarkDecode(b *testing.B) {
	_, codecs := benchScheme()
	objs := map[string]runtime.Object{"object": benchObject(0), "list1000": benchList(1000)}
	for _, mt := range mediaTypes {
		info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
		for _, gv := range versions {
			enc := codecs.EncoderForVersion(info.Serializer, gv)
			dec := codecs.DecoderToVersion(info.Serializer, cicd.SchemeGroupVersion)
			for _, size := range []string{"object", "list1000"} {
				data, err := runtime.Encode(enc, objs[size])
				if err != nil {
					b.Fatal(err)
				}
				b.Run(fmt.Sprintf("%s/%s/%s", shortMedia(mt), gv.Version, size), func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := runtime.Decode(dec, data); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
