package server

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
	"github.com/autobusi/cicd-apiserver/storagecodec"
)

const (
	// EtcdPathPrefix is the etcd key prefix of everything the server stores.
	EtcdPathPrefix = "/registry/cicd-apiserver.autobusi.com"
	// DefaultMaxJenkinsServices is the default of --max-jenkinsservices.
	DefaultMaxJenkinsServices = 10
	// StorageMediaType is the default of --storage-media-type.
	StorageMediaType = runtime.ContentTypeProtobuf
)

// storageVersion is the version objects are stored in, whichever version a
// client writes.
var storageVersion = v1beta.SchemeGroupVersion

// storageCodec is the codec RecommendedOptions starts from. completeStorage
// replaces it by one that encodes in --storage-media-type.
func storageCodec() runtime.Codec { return Codecs.LegacyCodec(storageVersion) }

// DefaultDeleteCollectionWorkers is our default --delete-collection-workers
// (the generic default is 1): the deletions of a delete-collection in flight
// at once. Each is one etcd transaction that waits for its commit
// (registry/jenkinsservice/deletecollection.go), and concurrent ones share
// commits; the sweep that chose 64 is in docs/benchmarks.md.
const DefaultDeleteCollectionWorkers = 64

func setStorageDefaults(etcd *genericoptions.EtcdOptions) {
	etcd.DefaultStorageMediaType = StorageMediaType
	etcd.DeleteCollectionWorkers = DefaultDeleteCollectionWorkers
	etcd.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(
		storageVersion, schema.GroupKind{Group: cicd.GroupName})
}

// completeStorage makes the storage codec honour --storage-media-type
// (protobuf by default): the simple storage factory RecommendedOptions uses
// encodes with StorageConfig.Codec as it is, so the media type has to be in
// the codec itself. Decoding accepts every media type, so objects written as
// JSON earlier stay readable.
func completeStorage(etcd *genericoptions.EtcdOptions) error {
	if etcd == nil {
		return nil
	}
	mediaType := etcd.DefaultStorageMediaType
	if mediaType == "" {
		mediaType = StorageMediaType
	}
	codec, versioner, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: Codecs,
		StorageVersion:    storageVersion,
		MemoryVersion:     cicd.SchemeGroupVersion,
	})
	if err != nil {
		return fmt.Errorf("storage codec for %q: %w", mediaType, err)
	}
	// Count and repair objects read in an older storage form (issue 12).
	etcd.StorageConfig.Codec = storagecodec.Wrap(codec, storageVersion, storagecodec.EncodingOfMediaType(mediaType))
	etcd.StorageConfig.EncodeVersioner = versioner
	etcd.StorageConfig.Transport.EgressLookup = eagerEtcdDialer
	return nil
}
