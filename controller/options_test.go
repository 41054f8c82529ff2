package controller

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" when valid
	}{
		{"defaults", nil, ""},
		{"home size", []string{"--jenkins-home-size=20Gi"}, ""},
		{"bad home size", []string{"--jenkins-home-size=lots"}, "--jenkins-home-size"},
		{"zero home size", []string{"--jenkins-home-size=0"}, "--jenkins-home-size must be more than 0"},
		{"no workers", []string{"--workers=0"}, "--workers must be at least 1"},
		{"renew deadline not below the lease", []string{"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=4s"}, "--leader-elect-renew-deadline"},
		{"retry period not below the deadline", []string{"--leader-elect-retry-period=10s"}, "--leader-elect-retry-period"},
		{"configmaps lock", []string{"--leader-elect-resource-lock=configmaps"}, "must be leases"},
		{"no leader election: its flags do not matter", []string{"--leader-elect=false", "--leader-elect-retry-period=1h"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			fss := o.Flags()
			for _, fs := range fss.FlagSets {
				for _, a := range tt.args {
					name := strings.TrimPrefix(strings.SplitN(a, "=", 2)[0], "--")
					if f := fs.Lookup(name); f != nil {
						if err := fs.Set(name, strings.SplitN(a, "=", 2)[1]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			err := o.Complete()
			if err == nil {
				err = o.Validate()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
	if o := NewOptions(); o.LeaderElection.LeaseDuration.Duration != 15*time.Second || o.JenkinsHome != "8Gi" {
		t.Errorf("defaults %+v", o)
	}
}

// Children are queued as the JenkinsService their instance label names; what
// carries no such label is not queued.
func TestEnqueueOwner(t *testing.T) {
	f := newFixture(t, nil)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ci-0", Namespace: ns, Labels: cicd.InstanceLabels("ci")}}
	f.c.enqueueOwner(pod)
	f.c.enqueueOwner(cache.DeletedFinalStateUnknown{Key: ns + "/ci-headless", Obj: &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ci-headless", Namespace: ns, Labels: cicd.InstanceLabels("ci")},
	}})
	f.c.enqueueOwner(&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: ns}})
	if n := f.c.queue.Len(); n != 1 {
		t.Fatalf("queue length %d, want 1 (one key, added twice)", n)
	}
	if key, _ := f.c.queue.Get(); key != ns+"/ci" {
		t.Errorf("queued %q, want %s/ci", key, ns)
	}
}
