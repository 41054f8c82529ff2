package jenkinsservice

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestRequestErrors(t *testing.T) {
	conflict := apierrors.NewConflict(cicd.Resource("jenkinsservices"), "ci", errors.New("stale"))
	cases := []struct {
		name   string
		ctx    func() context.Context
		err    error
		status int32 // 0: the error passes unchanged
	}{
		{name: "a plain error from the client's patch", err: errors.New("unknown patch type: bogus"), status: 400},
		{name: "a status error", err: conflict},
		{name: "a wrapped status error", err: errors.Join(errors.New("applying"), conflict)},
		{name: "the request's deadline", err: context.DeadlineExceeded},
		{name: "a cancelled request", err: errors.New("x"), ctx: func() context.Context {
			c, cancel := context.WithCancel(context.Background())
			cancel()
			return c
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.ctx != nil {
				ctx = c.ctx()
			}
			info := requestErrors{rest.DefaultUpdatedObjectInfo(nil, func(context.Context, runtime.Object, runtime.Object) (runtime.Object, error) {
				return nil, c.err
			})}
			_, err := info.UpdatedObject(ctx, &cicd.JenkinsService{})
			if c.status == 0 {
				if err != c.err {
					t.Errorf("got %v, want the error unchanged", err)
				}
				return
			}
			if code := apierrors.ReasonForError(err); !apierrors.IsBadRequest(err) {
				t.Errorf("got %v (%s), want 400 Bad Request", err, code)
			}
		})
	}
}
