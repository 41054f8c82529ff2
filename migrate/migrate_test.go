package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
)

// fakeServer answers the list pages and patches Run sends: object names
// decide the patch outcome ("legacy-*" rewritten, "current-*" unchanged,
// "conflict-*" 409, "gone-*" 404, "broken-*" 500).
type fakeServer struct {
	metadata.Interface         // only Resource is used
	metadata.ResourceInterface // only List and Patch are used
	objects                    []metav1.PartialObjectMetadata
	expireOnce                 bool // the first continued list answers 410 Gone

	mu      sync.Mutex
	lists   []string // continue tokens asked for
	patches []string // namespace/name dryRun
}

func (f *fakeServer) Resource(gvr schema.GroupVersionResource) metadata.Getter {
	if gvr != Resource {
		panic("unexpected resource " + gvr.String())
	}
	return f
}

func (f *fakeServer) Namespace(string) metadata.ResourceInterface { return f }

func (f *fakeServer) List(_ context.Context, opts metav1.ListOptions) (*metav1.PartialObjectMetadataList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists = append(f.lists, opts.Continue)
	if opts.Continue != "" && f.expireOnce {
		f.expireOnce = false
		return nil, apierrors.NewResourceExpired("continue token expired")
	}
	start := 0
	if opts.Continue != "" {
		_ = json.Unmarshal([]byte(opts.Continue), &start)
	}
	end := min(start+int(opts.Limit), len(f.objects))
	list := &metav1.PartialObjectMetadataList{Items: f.objects[start:end]}
	if end < len(f.objects) {
		b, _ := json.Marshal(end)
		list.Continue = string(b)
	}
	return list, nil
}

func (f *fakeServer) Patch(_ context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, _ ...string) (*metav1.PartialObjectMetadata, error) {
	var body patchBody
	if pt != types.MergePatchType || json.Unmarshal(data, &body) != nil || body.Kind != "JenkinsService" ||
		body.APIVersion != "autobusi.group.cicd/v1beta" || body.Metadata.ResourceVersion == "" || opts.FieldManager != FieldManager {
		return nil, apierrors.NewBadRequest("unexpected patch " + string(data))
	}
	f.mu.Lock()
	f.patches = append(f.patches, name+" "+strings.Join(opts.DryRun, ","))
	f.mu.Unlock()
	gr := Resource.GroupResource()
	rv := body.Metadata.ResourceVersion
	switch {
	case strings.HasPrefix(name, "legacy-") && len(opts.DryRun) == 0:
		rv += "0"
	case strings.HasPrefix(name, "conflict-"):
		return nil, apierrors.NewConflict(gr, name, nil)
	case strings.HasPrefix(name, "gone-"):
		return nil, apierrors.NewNotFound(gr, name)
	case strings.HasPrefix(name, "broken-"):
		return nil, apierrors.NewInternalError(errors.New("etcd is on fire"))
	}
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: rv}}, nil
}

func objects(names ...string) []metav1.PartialObjectMetadata {
	out := make([]metav1.PartialObjectMetadata, len(names))
	for i, n := range names {
		out[i].Name, out[i].Namespace, out[i].ResourceVersion = n, "ns", "1"+strings.Repeat("0", i)
	}
	return out
}

func TestRun(t *testing.T) {
	all := objects("legacy-a", "current-b", "conflict-c", "gone-d", "legacy-e", "current-f", "legacy-g")
	for _, tc := range []struct {
		name       string
		objects    []metav1.PartialObjectMetadata
		opts       Options
		expireOnce bool
		want       Summary
		wantErr    string
		wantLists  int
	}{
		{name: "outcomes", objects: all, opts: Options{ChunkSize: 3, Workers: 2},
			want: Summary{Seen: 7, Rewritten: 3, Current: 3, Gone: 1}, wantLists: 3},
		{name: "dry-run", objects: all, opts: Options{ChunkSize: 10, DryRun: true},
			// In a dry run every accepted write counts; nothing moves a resourceVersion.
			want: Summary{Seen: 7, Rewritten: 5, Current: 1, Gone: 1, DryRun: true}, wantLists: 1},
		{name: "expired-continue-restarts", objects: all, opts: Options{ChunkSize: 4, Workers: 3}, expireOnce: true,
			// The first page is seen twice (this fake rewrites legacy-a again).
			want: Summary{Seen: 11, Rewritten: 4, Current: 5, Gone: 2}, wantLists: 4},
		{name: "failures", objects: objects("legacy-a", "broken-b", "current-c"), opts: Options{ChunkSize: 2},
			want: Summary{Seen: 3, Rewritten: 1, Current: 1, Failed: 1}, wantErr: "1 objects could not be rewritten", wantLists: 2},
		{name: "empty", opts: Options{}, want: Summary{}, wantLists: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeServer{objects: tc.objects, expireOnce: tc.expireOnce}
			var progress bytes.Buffer
			tc.opts.Progress = &progress
			got, err := Run(context.Background(), f, tc.opts)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("summary %+v, want %+v", got, tc.want)
			}
			if len(f.lists) != tc.wantLists {
				t.Errorf("%d lists (%q), want %d", len(f.lists), f.lists, tc.wantLists)
			}
			if lines := strings.Count(progress.String(), "\n"); lines != tc.wantLists-boolInt(tc.expireOnce) {
				t.Errorf("%d progress lines, want one per page:\n%s", lines, progress.String())
			}
			for _, p := range f.patches {
				if strings.HasSuffix(p, " All") != tc.opts.DryRun {
					t.Errorf("patch %q: dry run %v", p, tc.opts.DryRun)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSummaryString(t *testing.T) {
	s := Summary{Seen: 5, Rewritten: 2, Current: 1, Gone: 1, Failed: 1}
	if got, want := s.String(), "5 objects seen, 2 rewritten, 1 already current, 1 gone, 1 failed"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	s.DryRun = true
	if got, want := s.String(), "dry run: 5 objects seen, 3 writes accepted, 1 gone, 1 failed, nothing stored"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
