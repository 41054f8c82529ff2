// Package jenkinsservice is the JenkinsService admission plugin.
//
// Mutating, it records the requesting user in the annotation
// autobusi.group.cicd/requested-by of every new JenkinsService. Validating, it
// refuses updates that change or remove that annotation, and creates beyond
// --max-jenkinsservices objects in the whole system.
//
// How the limit stays exact is in limiter.go.
//
// The plugin must be the last validating plugin of the chain, so that it only
// charges creates that every other plugin let through.
package jenkinsservice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"

	"github.com/autobusi/cicd-apiserver/admission/initializer"
	"github.com/autobusi/cicd-apiserver/apis/cicd"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "JenkinsService"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the JenkinsService admission plugin.
type Plugin struct {
	*admission.Handler

	limitOK bool // SetJenkinsServiceLimit was called
	limit   *limiter
	reached atomic.Bool // the storage etcd has answered once
}

var (
	_ admission.MutationInterface          = &Plugin{}
	_ admission.ValidationInterface        = &Plugin{}
	_ admission.InitializationValidator    = &Plugin{}
	_ initializer.WantsEtcdClient          = &Plugin{}
	_ initializer.WantsJenkinsServiceLimit = &Plugin{}
)

// New returns the plugin; the initializer of package initializer completes it.
func New() *Plugin {
	p := &Plugin{
		Handler: admission.NewHandler(admission.Create, admission.Update),
		limit:   newLimiter(),
	}
	p.SetReadyFunc(p.storageReached)
	return p
}

// readyProbeTimeout bounds each probe of the storage etcd while not ready.
const readyProbeTimeout = time.Second

// storageReached is the plugin's readiness: the limit is counted in the
// storage etcd, so with a limit the plugin is ready once that etcd has
// answered a read; without one it needs nothing.
func (p *Plugin) storageReached() bool {
	if p.reached.Load() || (p.limitOK && p.limit.max == 0) {
		return true
	}
	if p.limit.etcd == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyProbeTimeout)
	defer cancel()
	if _, err := p.limit.etcd.Get(ctx, p.limit.recordKey, clientv3.WithCountOnly()); err != nil {
		return false
	}
	p.reached.Store(true)
	return true
}

// SetEtcdClient sets the client of the storage etcd.
func (p *Plugin) SetEtcdClient(c *clientv3.Client) {
	p.limit.etcd = c
}

// SetJenkinsServiceLimit sets the limit and where it is kept in etcd.
func (p *Plugin) SetJenkinsServiceLimit(c initializer.LimitConfig) {
	p.limitOK = true
	p.limit.prefix = c.ObjectKeyPrefix
	p.limit.recordKey = c.ReservationKey
	p.limit.max = c.Max
}

// ValidateInitialization checks that the initializer handed the plugin all it
// needs.
func (p *Plugin) ValidateInitialization() error {
	if !p.limitOK {
		return fmt.Errorf("%s admission plugin: missing limit configuration", PluginName)
	}
	l := p.limit
	if l.max < 0 {
		return fmt.Errorf("%s admission plugin: the limit must be 0 (unlimited) or more, got %d", PluginName, l.max)
	}
	if l.etcd == nil {
		return fmt.Errorf("%s admission plugin: missing etcd client", PluginName)
	}
	if l.prefix == "" || !strings.HasSuffix(l.prefix, "/") {
		return fmt.Errorf("%s admission plugin: the object key prefix %q must end in \"/\"", PluginName, l.prefix)
	}
	if l.recordKey == "" {
		return fmt.Errorf("%s admission plugin: missing reservation key", PluginName)
	}
	if strings.HasPrefix(l.recordKey, l.prefix) {
		return fmt.Errorf("%s admission plugin: the reservation key %q must not lie under the object key prefix %q", PluginName, l.recordKey, l.prefix)
	}
	return nil
}

// handles tells whether the plugin is concerned with a.
func handles(a admission.Attributes) bool {
	return a.GetResource().GroupResource() == cicd.Resource("jenkinsservices") && a.GetSubresource() == ""
}

func (p *Plugin) ready(a admission.Attributes) error {
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("not yet ready to handle request"))
	}
	return nil
}

// accessor is meta.Accessor, with a 400 for an object without metadata.
func accessor(obj runtime.Object) (metav1.Object, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unexpected object: %v", err))
	}
	return m, nil
}

// Admit records the requesting user on new JenkinsServices.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if !handles(a) || a.GetOperation() != admission.Create {
		return nil
	}
	if err := p.ready(a); err != nil {
		return err
	}
	obj, err := accessor(a.GetObject())
	if err != nil {
		return err
	}
	user := ""
	if u := a.GetUserInfo(); u != nil {
		user = u.GetName()
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[cicd.AnnotationRequestedBy] = user
	obj.SetAnnotations(annotations)
	return nil
}

// Validate refuses updates that change the requester and creates beyond the
// limit.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if !handles(a) {
		return nil
	}
	switch a.GetOperation() {
	case admission.Update:
		return p.validateUpdate(a)
	case admission.Create:
		return p.validateCreate(ctx, a)
	}
	return nil
}

func (p *Plugin) validateUpdate(a admission.Attributes) error {
	if a.GetObject() == nil || a.GetOldObject() == nil {
		return nil
	}
	if err := p.ready(a); err != nil {
		return err
	}
	obj, err := accessor(a.GetObject())
	if err != nil {
		return err
	}
	old, err := accessor(a.GetOldObject())
	if err != nil {
		return err
	}
	was, hadIt := old.GetAnnotations()[cicd.AnnotationRequestedBy]
	is, hasIt := obj.GetAnnotations()[cicd.AnnotationRequestedBy]
	switch {
	case hadIt && !hasIt:
		return admission.NewForbidden(a, fmt.Errorf("the annotation %s records who created the object and may not be removed (it is %q)", cicd.AnnotationRequestedBy, was))
	case !hadIt && hasIt:
		return admission.NewForbidden(a, fmt.Errorf("the annotation %s is set by the server on create and may not be added later", cicd.AnnotationRequestedBy))
	case was != is:
		return admission.NewForbidden(a, fmt.Errorf("the annotation %s records who created the object and may not be changed from %q to %q", cicd.AnnotationRequestedBy, was, is))
	}
	return nil
}

func (p *Plugin) validateCreate(ctx context.Context, a admission.Attributes) error {
	if err := p.ready(a); err != nil {
		return err
	}
	if p.limit.max == 0 {
		return nil
	}
	name := a.GetName()
	if obj, err := meta.Accessor(a.GetObject()); err == nil && obj.GetName() != "" {
		name = obj.GetName()
	}
	key := p.limit.prefix + a.GetNamespace() + "/" + name

	err := p.limit.admit(ctx, key, a.IsDryRun())
	var reached *limitReachedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &reached):
		return admission.NewForbidden(a, reached)
	case errors.Is(err, errTooManyConflicts):
		return apierrors.NewTooManyRequests("too many concurrent creates of jenkinsservices, please retry", 1)
	case ctx.Err() != nil:
		return apierrors.NewTimeoutError(fmt.Sprintf("checking the jenkinsservices limit: %v", err), 1)
	default:
		return apierrors.NewServiceUnavailable(fmt.Sprintf("checking the jenkinsservices limit: %v", err))
	}
}
