// Package storagelimit refuses, with 413, an object whose write etcd would
// refuse for its size: the check runs on the encoded bytes, before they are
// sent, against the limit etcd is run with (--max-request-bytes).
package storagelimit

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/storage/value"
	"k8s.io/apiserver/pkg/storage/value/encrypt/identity"
)

// DefaultMaxRequestBytes is etcd's default --max-request-bytes (1.5 MiB).
const DefaultMaxRequestBytes = 3 << 19

// requestOverhead is what a write request carries besides the value and
// three copies of the key (the compare, the put and the read-back of an
// optimistic put): the transaction's and raft's framing, with room to spare.
const requestOverhead = 512

// Options hold --etcd-max-request-bytes.
type Options struct {
	// MaxRequestBytes is the largest request etcd accepts; 0 turns the
	// check off.
	MaxRequestBytes int64
}

// NewOptions returns etcd's default.
func NewOptions() *Options { return &Options{MaxRequestBytes: DefaultMaxRequestBytes} }

// AddFlags adds --etcd-max-request-bytes.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.MaxRequestBytes, "etcd-max-request-bytes", o.MaxRequestBytes, ""+
		"The largest request etcd accepts, as etcd's own --max-request-bytes (its default is 1.5 MiB): "+
		"larger objects are refused with 413 before they are sent. 0 turns the check off.")
}

// Validate checks the flag.
func (o *Options) Validate() []error {
	if o.MaxRequestBytes < 0 {
		return []error{fmt.Errorf("--etcd-max-request-bytes must be 0 (no check) or more, got %d", o.MaxRequestBytes)}
	}
	return nil
}

// ApplyTo makes the storage check the size of what it writes. It can be
// called more than once.
func (o *Options) ApplyTo(etcd *genericoptions.EtcdOptions) {
	if etcd == nil {
		return
	}
	inner := etcd.StorageConfig.Transformer
	if t, ok := inner.(*transformer); ok {
		inner = t.Transformer
	}
	if o.MaxRequestBytes == 0 {
		etcd.StorageConfig.Transformer = inner
		return
	}
	if inner == nil {
		inner = identity.NewEncryptCheckTransformer() // the storage's own default
	}
	etcd.StorageConfig.Transformer = &transformer{Transformer: inner, limit: o.MaxRequestBytes}
}

// transformer is the storage's value transformer with the size check on
// writes; reads pass unchanged.
type transformer struct {
	value.Transformer
	limit int64
}

// TransformToStorage refuses a value that would make the request larger
// than the limit. The storage wraps the error as an internal one; the
// registry answers its status (413).
func (t *transformer) TransformToStorage(ctx context.Context, data []byte, dataCtx value.Context) ([]byte, error) {
	out, err := t.Transformer.TransformToStorage(ctx, data, dataCtx)
	if err != nil {
		return nil, err
	}
	size := int64(len(out)) + requestOverhead
	if dataCtx != nil {
		size += 3 * int64(len(dataCtx.AuthenticatedData()))
	}
	if size > t.limit {
		return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf(
			"the object is %d bytes encoded, and its write %d bytes; the storage takes requests of at most %d bytes (--etcd-max-request-bytes)",
			len(out), size, t.limit))
	}
	return out, nil
}
