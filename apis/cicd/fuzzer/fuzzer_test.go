package fuzzer

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/randfill"

	apitestingfuzzer "k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/resource"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/autobusi/cicd-apiserver/apis/cicd"
	"github.com/autobusi/cicd-apiserver/apis/cicd/validation"
)

const iterations = 500

// newFiller builds the filler the round-trip tests build: meta's fuzz functions
// merged with ours.
func newFiller(t *testing.T, funcs apitestingfuzzer.FuzzerFuncs) *randfill.Filler {
	t.Helper()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	scheme := runtime.NewScheme()
	if err := cicd.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return apitestingfuzzer.FuzzerFor(funcs, rand.NewSource(seed), runtimeserializer.NewCodecFactory(scheme))
}

// variety counts the properties the fuzzer must produce now and then.
type variety map[string]int

func (v variety) see(name string, ok bool) {
	if ok {
		v[name]++
	} else if _, seen := v[name]; !seen {
		v[name] = 0
	}
}

func isWholeCores(q resource.Quantity) bool {
	return q.Cmp(*resource.NewQuantity(q.Value(), resource.DecimalSI)) == 0
}

func (v variety) record(js *cicd.JenkinsService) {
	spec, status := &js.Spec, &js.Status
	v.see("replicas 0", spec.Replicas == 0)
	v.see("replicas 1", spec.Replicas == 1)
	v.see("replicas 100", spec.Replicas == 100)
	v.see("replicas between 2 and 99", spec.Replicas > 1 && spec.Replicas < 100)
	v.see("fractional cpu", !isWholeCores(spec.Resources.CPU))
	v.see("whole cpu", isWholeCores(spec.Resources.CPU))
	v.see("cpu below 1", spec.Resources.CPU.Cmp(resource.MustParse("1")) < 0)
	v.see("default memory", spec.Resources.Memory.Cmp(cicd.DefaultMemory()) == 0)
	v.see("other memory", spec.Resources.Memory.Cmp(cicd.DefaultMemory()) != 0)
	v.see("memory in binary units", spec.Resources.Memory.Format == resource.BinarySI)
	v.see("memory in decimal units", spec.Resources.Memory.Format == resource.DecimalSI)
	v.see("default image", spec.Image == cicd.DefaultImage)
	v.see("other image", spec.Image != cicd.DefaultImage)
	v.see("image with digest", strings.Contains(spec.Image, "@sha"))
	v.see("image with registry port", strings.Contains(strings.SplitN(spec.Image, "/", 2)[0], ":") && strings.Contains(spec.Image, "/"))
	v.see("image with tag", strings.Contains(strings.SplitN(spec.Image, "@", 2)[0][strings.LastIndex(strings.SplitN(spec.Image, "@", 2)[0], "/")+1:], ":"))

	v.see("observedGeneration", status.ObservedGeneration > 0)
	v.see("no conditions", len(status.Conditions) == 0)
	v.see("several conditions", len(status.Conditions) > 1)
	approved := false
	for _, c := range status.Conditions {
		if c.Type == cicd.ConditionApproved {
			approved = true
			v.see("Approved "+string(c.Status), true)
		} else {
			v.see("other condition type", true)
		}
		v.see("condition message", c.Message != "")
		v.see("condition observedGeneration", c.ObservedGeneration > 0)
	}
	v.see("Approved condition", approved)
	v.see("conditions without Approved", len(status.Conditions) > 0 && !approved)

	v.see("no instances", len(status.Instances) == 0)
	for _, inst := range status.Instances {
		v.see("named instance", inst.Name != "")
		v.see("unnamed instance", inst.Name == "")
		v.see("fractional instance cpu", !isWholeCores(inst.CPU))
		v.see("whole instance cpu", isWholeCores(inst.CPU))
		v.see("running instance", inst.Running)
		v.see("stopped instance", !inst.Running)
	}

	v.see("labels", len(js.Labels) > 0)
	v.see("annotations", len(js.Annotations) > 0)
	_, requestedBy := js.Annotations[cicd.AnnotationRequestedBy]
	v.see("requested-by annotation", requestedBy)
	v.see("dotted name", strings.Contains(js.Name, "."))
}

func (v variety) check(t *testing.T) {
	t.Helper()
	for name, n := range v {
		if n == 0 {
			t.Errorf("the fuzzer never produced: %s", name)
		}
	}
	for _, name := range []string{"Approved True", "Approved False", "Approved Unknown", "named instance"} {
		if v[name] == 0 {
			t.Errorf("the fuzzer never produced: %s", name)
		}
	}
}

func fuzzValid(t *testing.T, f *randfill.Filler, v variety) {
	t.Helper()
	names := map[string]bool{}
	for i := 0; i < iterations; i++ {
		js := &cicd.JenkinsService{}
		f.Fill(js)
		if js.APIVersion != "" || js.Kind != "" {
			t.Fatalf("fuzzed hub object with apiVersion %q and kind %q", js.APIVersion, js.Kind)
		}
		if errs := validation.ValidateJenkinsService(js); len(errs) > 0 {
			t.Fatalf("fuzzed object %d is not valid: %v\n%#v", i, errs, js)
		}
		for key := range js.Annotations {
			if cicd.IsPreservationAnnotation(key) {
				t.Fatalf("fuzzed object %d carries the preservation annotation %s", i, key)
			}
		}
		// An update that changes nothing is valid too.
		old := js.DeepCopy()
		if js.ResourceVersion == "" {
			js.ResourceVersion, old.ResourceVersion = "1", "1"
		}
		if errs := validation.ValidateJenkinsServiceUpdate(js, old); len(errs) > 0 {
			t.Fatalf("fuzzed object %d: update: %v", i, errs)
		}
		if errs := validation.ValidateJenkinsServiceStatusUpdate(js, old); len(errs) > 0 {
			t.Fatalf("fuzzed object %d: status update: %v", i, errs)
		}
		names[js.Name] = true
		v.record(js)
	}
	if len(names) < iterations/2 {
		t.Errorf("only %d distinct names in %d objects", len(names), iterations)
	}
}

// TestFuzzedObjectsAreValid fuzzes hub objects as the round-trip test does and
// checks that every one is valid, and that the fuzzer covers what the hub can hold.
func TestFuzzedObjectsAreValid(t *testing.T) {
	f := newFiller(t, apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, Funcs))
	v := variety{}
	fuzzValid(t, f, v)
	v.check(t)
}

// TestFuzzedObjectsAreValidWithoutMetaFuncs checks that Funcs alone make valid
// objects too (ObjectMeta then comes from plain random filling).
func TestFuzzedObjectsAreValidWithoutMetaFuncs(t *testing.T) {
	f := newFiller(t, Funcs)
	fuzzValid(t, f, variety{})
}

func TestFuzzedListsAreValid(t *testing.T) {
	f := newFiller(t, apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, Funcs)).NumElements(1, 3)
	items := 0
	for i := 0; i < iterations/10; i++ {
		list := &cicd.JenkinsServiceList{}
		f.Fill(list)
		for j := range list.Items {
			items++
			if errs := validation.ValidateJenkinsService(&list.Items[j]); len(errs) > 0 {
				t.Fatalf("list %d item %d is not valid: %v", i, j, errs)
			}
		}
	}
	if items == 0 {
		t.Errorf("no list items fuzzed")
	}
}

// TestFuzzerIsDeterministic checks that the fuzzer draws all its randomness from
// the filler, so that a seed reproduces a failure.
func TestFuzzerIsDeterministic(t *testing.T) {
	scheme := runtime.NewScheme()
	codecs := runtimeserializer.NewCodecFactory(scheme)
	funcs := apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, Funcs)
	a := apitestingfuzzer.FuzzerFor(funcs, rand.NewSource(42), codecs)
	b := apitestingfuzzer.FuzzerFor(funcs, rand.NewSource(42), codecs)
	for i := 0; i < 20; i++ {
		x, y := &cicd.JenkinsService{}, &cicd.JenkinsService{}
		a.Fill(x)
		b.Fill(y)
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("same seed, different objects:\n%#v\n%#v", x, y)
		}
	}
}

// TestConditionTimes checks the condition times: set, and in whole seconds, so
// that they survive JSON.
func TestConditionTimes(t *testing.T) {
	f := newFiller(t, apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, Funcs))
	for i := 0; i < iterations; i++ {
		var status cicd.JenkinsServiceStatus
		f.Fill(&status)
		for _, c := range status.Conditions {
			if c.LastTransitionTime.IsZero() || c.LastTransitionTime.Nanosecond() != 0 {
				t.Fatalf("condition time %v", c.LastTransitionTime)
			}
			if !c.LastTransitionTime.Equal(&metav1.Time{Time: c.LastTransitionTime.Rfc3339Copy().Time}) {
				t.Fatalf("condition time %v does not survive RFC 3339", c.LastTransitionTime)
			}
		}
	}
}
