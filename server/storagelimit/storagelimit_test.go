package storagelimit

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/value"
)

func TestTransformer(t *testing.T) {
	etcd := genericoptions.NewEtcdOptions(storagebackend.NewDefaultConfig("/registry", nil))
	o := &Options{MaxRequestBytes: 10000}
	o.ApplyTo(etcd)
	o.ApplyTo(etcd) // twice: still one check
	tr, ok := etcd.StorageConfig.Transformer.(*transformer)
	if !ok || tr.limit != 10000 {
		t.Fatalf("transformer %#v, want the size check", etcd.StorageConfig.Transformer)
	}
	if _, nested := tr.Transformer.(*transformer); nested {
		t.Fatal("ApplyTo wrapped the check twice")
	}
	key := value.DefaultContext("/registry/autobusi.group.cicd/jenkinsservices/ns/name")
	ctx := context.Background()

	fits := make([]byte, 10000-requestOverhead-3*len(key))
	if out, err := tr.TransformToStorage(ctx, fits, key); err != nil || len(out) != len(fits) {
		t.Fatalf("a value that fits: %d bytes, %v", len(out), err)
	}
	_, err := tr.TransformToStorage(ctx, append(fits, 'x'), key)
	if !apierrors.IsRequestEntityTooLargeError(err) || !strings.Contains(err.Error(), "at most 10000 bytes") {
		t.Fatalf("a value one byte too large: %v, want 413 with the limit", err)
	}
	if out, _, err := tr.TransformFromStorage(ctx, append(fits, fits...), key); err != nil || len(out) != 2*len(fits) {
		t.Fatalf("reads are not checked: %d bytes, %v", len(out), err)
	}

	(&Options{}).ApplyTo(etcd)
	if _, ok := etcd.StorageConfig.Transformer.(*transformer); ok {
		t.Error("0 did not turn the check off")
	}
	if errs := (&Options{MaxRequestBytes: -1}).Validate(); len(errs) != 1 {
		t.Errorf("a negative limit is valid: %v", errs)
	}
}
