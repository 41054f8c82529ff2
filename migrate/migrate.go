package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
)

// Resource is what migrate rewrites: jenkinsservices in the storage version.
var Resource = schema.GroupVersionResource{Group: "autobusi.group.cicd", Version: "v1beta", Resource: "jenkinsservices"}

// FieldManager names migrate's writes (they change no field, so no
// managedFields entry stays behind).
const FieldManager = "cicd-apiserver-migrate"

// Options say how to migrate.
type Options struct {
	// DryRun sends each write with dryRun=All: the server checks it, and
	// stores nothing.
	DryRun bool
	// ChunkSize is the page size of the list; a progress line follows each page.
	ChunkSize int64
	// Workers write this many objects at a time.
	Workers int
	// Progress receives a line per page; nil prints nothing.
	Progress io.Writer
}

// Summary counts the objects of one run.
type Summary struct {
	// Seen is every object listed.
	Seen int
	// Rewritten is the objects the no-op write stored again (their
	// resourceVersion moved): they were in an older storage form. In a dry
	// run, the writes the server accepted.
	Rewritten int
	// Current is the objects that were already in the current form (the
	// write stored nothing), or that another writer changed since the list
	// (a conflict: that write stored them in the current form).
	Current int
	// Gone is the objects deleted since the list.
	Gone int
	// Failed is the objects whose write failed otherwise.
	Failed int
	// DryRun is set for a dry run: nothing was stored.
	DryRun bool
}

func (s Summary) String() string {
	if s.DryRun {
		return fmt.Sprintf("dry run: %d objects seen, %d writes accepted, %d gone, %d failed, nothing stored",
			s.Seen, s.Rewritten+s.Current, s.Gone, s.Failed)
	}
	return fmt.Sprintf("%d objects seen, %d rewritten, %d already current, %d gone, %d failed",
		s.Seen, s.Rewritten, s.Current, s.Gone, s.Failed)
}

// Run lists every JenkinsService page by page and writes each one back
// unchanged, with its listed resourceVersion as a precondition: a merge
// patch of {apiVersion, kind, metadata.resourceVersion}, the request
// kube-controller-manager's storage version migrator sends. The server
// decodes the stored object and encodes it in the storage version and
// encoding; it stores it only when the bytes differ, so an object already in
// the current form keeps its resourceVersion. A re-run after an interruption
// finds the objects already rewritten current and rewrites the rest.
func Run(ctx context.Context, client metadata.Interface, o Options) (Summary, error) {
	if o.ChunkSize <= 0 {
		o.ChunkSize = 500
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	sum := Summary{DryRun: o.DryRun}
	var failures []error
	started := time.Now()
	list := metav1.ListOptions{Limit: o.ChunkSize}
	restarts := 0
	for {
		page, err := client.Resource(Resource).List(ctx, list)
		if apierrors.IsResourceExpired(err) && list.Continue != "" && restarts < 3 {
			// The continue token outlived etcd's compaction: list again from
			// the start; what was rewritten is current now and cheap to see.
			restarts++
			list.Continue = ""
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("listing %s: %w", Resource.GroupResource(), err)
		}
		results := writeAll(ctx, client, page.Items, o)
		for _, r := range results {
			sum.Seen++
			switch r.outcome {
			case rewritten:
				sum.Rewritten++
			case current:
				sum.Current++
			case gone:
				sum.Gone++
			case failed:
				sum.Failed++
				failures = append(failures, r.err)
			}
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s in %s\n", sum, time.Since(started).Round(time.Millisecond))
		}
		if page.Continue == "" {
			break
		}
		list.Continue = page.Continue
	}
	if len(failures) > 0 {
		const shown = 10
		return sum, fmt.Errorf("%d objects could not be rewritten: %w", len(failures), errors.Join(failures[:min(len(failures), shown)]...))
	}
	return sum, nil
}

type outcome int

const (
	rewritten outcome = iota
	current
	gone
	failed
)

type result struct {
	outcome outcome
	err     error
}

// writeAll writes the page's objects back with o.Workers at a time.
func writeAll(ctx context.Context, client metadata.Interface, items []metav1.PartialObjectMetadata, o Options) []result {
	results := make([]result, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Workers, len(items)) {
		wg.Go(func() {
			for i := range next {
				results[i] = writeBack(ctx, client, &items[i], o.DryRun)
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// patchBody is the no-op merge patch: it changes nothing and carries the
// listed resourceVersion as a precondition.
type patchBody struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

// writeBack writes one object back unchanged.
func writeBack(ctx context.Context, client metadata.Interface, obj *metav1.PartialObjectMetadata, dryRun bool) result {
	var body patchBody
	body.APIVersion, body.Kind = Resource.GroupVersion().String(), "JenkinsService"
	body.Metadata.ResourceVersion = obj.ResourceVersion
	data, err := json.Marshal(body)
	if err != nil {
		return result{failed, err}
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := client.Resource(Resource).Namespace(obj.Namespace).Patch(ctx, obj.Name, types.MergePatchType, data, opts)
	switch {
	case apierrors.IsConflict(err):
		// Changed since the list: that write stored it in the current form.
		return result{outcome: current}
	case apierrors.IsNotFound(err):
		return result{outcome: gone}
	case err != nil:
		return result{failed, fmt.Errorf("%s/%s: %w", obj.Namespace, obj.Name, err)}
	case dryRun || got.ResourceVersion != obj.ResourceVersion:
		return result{outcome: rewritten}
	default:
		return result{outcome: current}
	}
}
