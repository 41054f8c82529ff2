package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	scalescheme "k8s.io/client-go/scale/scheme"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestUpdatedObjectRecoversAPanic(t *testing.T) {
	info := requestErrors{rest.DefaultUpdatedObjectInfo(nil, func(context.Context, runtime.Object, runtime.Object) (runtime.Object, error) {
		// What the patch libraries do with input they did not expect.
		panic(errors.New("interface conversion: interface {} is map[string]interface {}, not string"))
	})}
	obj, err := info.UpdatedObject(context.Background(), &cicd.JenkinsService{})
	if obj != nil || !apierrors.IsBadRequest(err) {
		t.Fatalf("got %v, %v; want no object and 400", obj, err)
	}
}

func TestUpdatedObjectResourceVersion(t *testing.T) {
	for _, c := range []struct {
		obj   runtime.Object
		valid bool
	}{
		{&cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "42"}}, true},
		{&cicd.JenkinsService{}, true},
		{&cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "abc"}}, false},
		{&cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "-1"}}, false},
		{&cicd.JenkinsService{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "18446744073709551616"}}, false},
		{&scalescheme.Scale{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "1e3"}}, false},
	} {
		info := requestErrors{rest.DefaultUpdatedObjectInfo(c.obj)}
		_, err := info.UpdatedObject(context.Background(), &cicd.JenkinsService{})
		switch {
		case c.valid && err != nil:
			t.Errorf("%#v: %v", c.obj, err)
		case !c.valid && !apierrors.IsInvalid(err):
			t.Errorf("%#v: %v, want 422 Invalid", c.obj, err)
		case !c.valid:
			if causes := err.(apierrors.APIStatus).Status().Details.Causes; len(causes) != 1 || causes[0].Field != "metadata.resourceVersion" {
				t.Errorf("causes %v, want metadata.resourceVersion", causes)
			}
		}
	}
}

func TestStorageErrors(t *testing.T) {
	tooLarge := apierrors.NewRequestEntityTooLargeError("the object is 2000000 bytes encoded")
	for _, c := range []struct {
		name string
		err  error
		code int32 // 0: unchanged
	}{
		{"the size limit's status under storage's internal error", storage.NewInternalError(tooLarge), 413},
		{"etcd's request limit", errors.New("etcdserver: request is too large"), 413},
		{"gRPC's message limit", grpcstatus.Error(codes.ResourceExhausted, "trying to send message larger than max (2725386 vs. 2097152)"), 413},
		{"another internal error", storage.NewInternalError(errors.New("disk on fire")), 0},
		{"a conflict", storage.NewResourceVersionConflictsError("k", 1), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := storageErrors(c.err)
			if c.code == 0 {
				if err != c.err {
					t.Errorf("got %v, want it unchanged", err)
				}
				return
			}
			if got := apierrors.APIStatus(nil); !errors.As(err, &got) || got.Status().Code != c.code {
				t.Errorf("got %v, want %d", err, c.code)
			}
		})
	}
}

func TestTimeoutErrors(t *testing.T) {
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-expired.Done()
	for _, c := range []struct {
		name    string
		ctx     context.Context
		err     error
		timeout bool
	}{
		{"deadline passed", expired, fmt.Errorf("listing: %w", context.DeadlineExceeded), true},
		{"gRPC deadline", expired, grpcstatus.Error(codes.DeadlineExceeded, "context deadline exceeded"), true},
		{"time left", context.Background(), context.DeadlineExceeded, false},
		{"a status already", expired, apierrors.NewNotFound(cicd.Resource("jenkinsservices"), "x"), false},
		{"another error", expired, errors.New("boom"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := timeoutErrors(c.ctx, c.err)
			if got := apierrors.IsTimeout(err); got != c.timeout {
				t.Errorf("got %v, want a timeout: %v", err, c.timeout)
			}
		})
	}
}
