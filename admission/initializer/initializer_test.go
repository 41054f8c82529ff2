package initializer_test

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apiserver/pkg/admission"

	"github.com/autobusi/cicd-apiserver/admission/initializer"
)

type wantsAll struct {
	etcd  *clientv3.Client
	limit *initializer.LimitConfig
}

func (w *wantsAll) SetEtcdClient(c *clientv3.Client)                 { w.etcd = c }
func (w *wantsAll) SetJenkinsServiceLimit(l initializer.LimitConfig) { w.limit = &l }
func (w *wantsAll) Handles(admission.Operation) bool                 { return true }
func (w *wantsAll) Admit(context.Context, admission.Attributes, admission.ObjectInterfaces) error {
	return nil
}

type wantsNothing struct{}

func (wantsNothing) Handles(admission.Operation) bool { return true }

var (
	_ initializer.WantsEtcdClient          = &wantsAll{}
	_ initializer.WantsJenkinsServiceLimit = &wantsAll{}
)

func TestInitialize(t *testing.T) {
	c := &clientv3.Client{}
	i := initializer.New(initializer.Config{
		Etcd:               c,
		ObjectKeyPrefix:    "/registry/x/jenkinsservices/",
		ReservationKey:     "/registry/x/reservations",
		MaxJenkinsServices: 7,
	})

	w := &wantsAll{}
	i.Initialize(w)
	if w.etcd != c {
		t.Error("etcd client not handed over")
	}
	want := initializer.LimitConfig{ObjectKeyPrefix: "/registry/x/jenkinsservices/", ReservationKey: "/registry/x/reservations", Max: 7}
	if w.limit == nil || *w.limit != want {
		t.Errorf("limit = %+v, want %+v", w.limit, want)
	}

	i.Initialize(wantsNothing{}) // must not panic
}
