package integration

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/autobusi/cicd-apiserver/apis/cicd/v1alpha"
	"github.com/autobusi/cicd-apiserver/apis/cicd/v1beta"
)

// Tests of the pinned kubectl (v1.37.2) against the shared server. Each test
// works in a namespace of its own (the server has no namespace objects:
// any namespace name can be used).

var tableHeader = []string{"NAME", "REPLICAS", "CPU", "APPROVAL", "READY", "AGE"}

// checkQuantity fails when got is not the quantity want.
func checkQuantity(t *testing.T, what string, got *resource.Quantity, want string) {
	t.Helper()
	if got == nil || got.Cmp(resource.MustParse(want)) != 0 {
		t.Errorf("%s = %s, want %s", what, qtyText(got), want)
	}
}

// qtyText is the text of a quantity, "nil" for none.
func qtyText(q *resource.Quantity) string {
	if q == nil {
		return "nil"
	}
	return q.String()
}

// checkNoPreservation fails when a v1beta object shows v1alpha's round-trip
// annotations.
func checkNoPreservation(t *testing.T, js *v1beta.JenkinsService) {
	t.Helper()
	for k := range js.Annotations {
		if strings.HasPrefix(k, "autobusi.group.cicd/preserved") {
			t.Errorf("v1beta object %s shows the preservation annotation %s", js.Name, k)
		}
	}
}

func replicasOf(js *v1beta.JenkinsService) string {
	if js.Spec.Replicas == nil {
		return "nil"
	}
	return fmt.Sprint(*js.Spec.Replicas)
}

func TestKubectlCreateShowsDefaults(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)

	out := k.ok("create", "-f", k.manifest("beta.yaml", v1betaManifest("beta", "", "  {}\n")), "-o", "yaml")
	var beta v1beta.JenkinsService
	if err := yaml.UnmarshalStrict([]byte(out), &beta); err != nil {
		t.Fatalf("kubectl create -o yaml (v1beta): %v\n%s", err, out)
	}
	if beta.APIVersion != "autobusi.group.cicd/v1beta" || beta.Name != "beta" || beta.Namespace != k.ns {
		t.Errorf("created v1beta object: apiVersion %q name %q namespace %q", beta.APIVersion, beta.Name, beta.Namespace)
	}
	if replicasOf(&beta) != "1" {
		t.Errorf("v1beta default spec.replicas = %s, want 1", replicasOf(&beta))
	}
	checkQuantity(t, "v1beta default spec.resources.cpu", beta.Spec.Resources.CPU, "1")
	checkQuantity(t, "v1beta default spec.resources.memory", beta.Spec.Resources.Memory, "2Gi")
	if beta.Spec.Image != "jenkins/jenkins:lts" {
		t.Errorf("v1beta default spec.image = %q, want jenkins/jenkins:lts", beta.Spec.Image)
	}
	for _, line := range []string{"  replicas: 1", "    memory: 2Gi", "  image: jenkins/jenkins:lts", `    cpu: "1"`} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("kubectl create -o yaml (v1beta) lacks the line %q:\n%s", line, out)
		}
	}
	if beta.Annotations["autobusi.group.cicd/requested-by"] != "admin" {
		t.Errorf("requested-by annotation %q, want admin", beta.Annotations["autobusi.group.cicd/requested-by"])
	}
	checkNoPreservation(t, &beta)

	out = k.ok("create", "-f", k.manifest("alpha.yaml", v1alphaManifest("alpha", "", "  {}\n")), "-o", "yaml")
	var alpha v1alpha.JenkinsService
	if err := yaml.UnmarshalStrict([]byte(out), &alpha); err != nil {
		t.Fatalf("kubectl create -o yaml (v1alpha): %v\n%s", err, out)
	}
	if alpha.APIVersion != "autobusi.group.cicd/v1alpha" || alpha.Name != "alpha" {
		t.Errorf("created v1alpha object: apiVersion %q name %q", alpha.APIVersion, alpha.Name)
	}
	if alpha.Spec.InstanceAmount != 1 || alpha.Spec.InstanceCpu != 1 {
		t.Errorf("v1alpha defaults: instanceamount %d instancecpu %d, want 1 and 1", alpha.Spec.InstanceAmount, alpha.Spec.InstanceCpu)
	}
	if alpha.Status.ApprovalStatus != v1alpha.ApprovalPending {
		t.Errorf("new v1alpha object's approvalstatus %q, want Pending", alpha.Status.ApprovalStatus)
	}
	for _, line := range []string{"  instanceamount: 1", "  instancecpu: 1", "  approvalstatus: Pending"} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("kubectl create -o yaml (v1alpha) lacks the line %q:\n%s", line, out)
		}
	}
	// What v1alpha created has the v1beta defaults of the fields v1alpha lacks.
	got := k.getV1beta("alpha")
	checkQuantity(t, "memory of an object created through v1alpha", got.Spec.Resources.Memory, "2Gi")
	if got.Spec.Image != "jenkins/jenkins:lts" {
		t.Errorf("image of an object created through v1alpha = %q", got.Spec.Image)
	}

	// A second create of the same name is refused.
	if stderr := k.fails("create", "-f", k.manifest("beta.yaml", v1betaManifest("beta", "", "  {}\n"))); !strings.Contains(stderr, "AlreadyExists") {
		t.Errorf("second create: %s", stderr)
	}
}

func TestKubectlGetTable(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("beta.yaml", v1betaManifest("beta", "", "  replicas: 2\n  resources:\n    cpu: 1500m\n")))
	k.ok("create", "-f", k.manifest("alpha.yaml", v1alphaManifest("alpha", "", "  instanceamount: 3\n  instancecpu: 2\n")))
	// One of beta's two instances runs.
	k.ok("patch", "js", "beta", "--subresource", "status", "--type", "merge",
		"-p", `{"status":{"instances":[{"name":"beta-0","cpu":"1500m","running":true},{"name":"beta-1","cpu":"1500m","running":false}]}}`)

	want := map[string][]string{
		"beta":  {"beta", "2", "1500m", "Pending", "1/2"},
		"alpha": {"alpha", "3", "2", "Pending", "0/3"},
	}
	for _, res := range []string{"js", "jenkinsservice", "jenkinsservices", jsV1beta, jsV1alpha, "cicd"} {
		t.Run(res, func(t *testing.T) {
			k := k.sub(t)
			out := k.ok("get", res)
			rows := table(out)
			if len(rows) == 0 || !slices.Equal(rows[0], tableHeader) {
				t.Fatalf("kubectl get %s: header %v, want %v\n%s", res, rows[0], tableHeader, out)
			}
			if len(rows) != 3 {
				t.Fatalf("kubectl get %s: %d rows, want 2\n%s", res, len(rows)-1, out)
			}
			byName := rowsByName(rows[1:])
			for name, w := range want {
				r := byName[name]
				if len(r) != len(tableHeader) || !slices.Equal(r[:5], w) || !regexp.MustCompile(`^\d+s$`).MatchString(r[5]) {
					t.Errorf("kubectl get %s: row %v, want %v and an age in seconds\n%s", res, r, w, out)
				}
			}
		})
	}

	// One object, without headers.
	rows := table(k.ok("get", "js", "alpha", "--no-headers"))
	if len(rows) != 1 || !slices.Equal(rows[0][:5], want["alpha"]) {
		t.Errorf("kubectl get js alpha --no-headers: %v", rows)
	}
}

func TestKubectlExplain(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	field := func(name, typ string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(name) + `\s+<` + typ + `>`)
	}
	cases := []struct {
		args          []string
		version       string
		fields, types []string
		absent        []string
	}{
		{[]string{"jenkinsservices.spec"}, "v1beta",
			[]string{"replicas", "resources", "image"}, []string{"integer", "JenkinsServiceResources", "string"},
			[]string{"instanceamount", "instancecpu"}},
		{[]string{"js.spec.resources"}, "v1beta",
			[]string{"cpu", "memory"}, []string{"Quantity", "Quantity"}, nil},
		{[]string{"jenkinsservices.spec", "--api-version=autobusi.group.cicd/v1alpha"}, "v1alpha",
			[]string{"instanceamount", "instancecpu"}, []string{"integer", "integer"},
			[]string{"replicas", "resources", "image"}},
		{[]string{"jenkinsservices.status", "--api-version=autobusi.group.cicd/v1alpha"}, "v1alpha",
			[]string{"approvalstatus", "instances"}, []string{"string", `\[\]JenkinsServerInstance`},
			[]string{"conditions"}},
		// OpenAPI v2, too.
		{[]string{"jenkinsservices.spec", "--output", "plaintext-openapiv2"}, "autobusi.group.cicd/v1beta",
			[]string{"replicas", "resources", "image"}, []string{"integer", "Object", "string"},
			[]string{"instanceamount"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			k := k.sub(t)
			out := k.ok(append([]string{"explain"}, c.args...)...)
			if !regexp.MustCompile(`(?m)^VERSION:\s+` + regexp.QuoteMeta(c.version) + `$`).MatchString(out) {
				t.Errorf("kubectl explain %v: not version %s:\n%s", c.args, c.version, out)
			}
			for i, f := range c.fields {
				if !field(f, c.types[i]).MatchString(out) {
					t.Errorf("kubectl explain %v: no field %s <%s>:\n%s", c.args, f, c.types[i], out)
				}
			}
			for _, f := range c.absent {
				if field(f, `[^>]+`).MatchString(out) {
					t.Errorf("kubectl explain %v shows the field %s of the other version:\n%s", c.args, f, out)
				}
			}
		})
	}
	// A field of the other version is not there.
	if stderr := k.fails("explain", "jenkinsservices.spec.instanceamount"); !strings.Contains(stderr, `"instanceamount" does not exist`) {
		t.Errorf("kubectl explain jenkinsservices.spec.instanceamount (v1beta): %s", stderr)
	}
}

func TestKubectlApplyServerSide(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	rv := func(args ...string) string {
		t.Helper()
		return k.ok(append(args, "-o", "jsonpath={.metadata.resourceVersion}")...)
	}

	t.Run("v1beta", func(t *testing.T) {
		k := k.sub(t)
		path := k.manifest("beta.yaml", v1betaManifest("beta", "  labels:\n    team: a\n",
			"  replicas: 2\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n"))
		rv1 := rv("apply", "--server-side", "-f", path)
		rv2 := rv("apply", "--server-side", "-f", path)
		if rv1 == "" || rv1 != rv2 {
			t.Errorf("a second apply of the same manifest changed resourceVersion %q to %q", rv1, rv2)
		}
		got := k.getV1beta("beta")
		if got.ResourceVersion != rv1 || got.Generation != 1 {
			t.Errorf("after two applies: resourceVersion %s generation %d, want %s and 1", got.ResourceVersion, got.Generation, rv1)
		}
		if replicasOf(got) != "2" || got.Labels["team"] != "a" || got.Spec.Image != "jenkins/jenkins:2.462.3-lts" {
			t.Errorf("applied object: replicas %s labels %v image %q", replicasOf(got), got.Labels, got.Spec.Image)
		}
		checkQuantity(t, "cpu", got.Spec.Resources.CPU, "1500m")
		checkQuantity(t, "memory", got.Spec.Resources.Memory, "4Gi")

		managed := k.ok("get", "js", "beta", "--show-managed-fields", "-o", "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation}{\"\\n\"}{end}")
		if !strings.Contains(managed, "kubectl/Apply") {
			t.Errorf("managedFields has no kubectl Apply entry: %q", managed)
		}

		// A changed manifest changes the object.
		path = k.manifest("beta.yaml", v1betaManifest("beta", "  labels:\n    team: a\n",
			"  replicas: 4\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n"))
		rv3 := rv("apply", "--server-side", "-f", path)
		if rv3 == rv1 {
			t.Errorf("an apply that changes replicas kept resourceVersion %s", rv1)
		}
		got = k.getV1beta("beta")
		if replicasOf(got) != "4" || got.Generation != 2 {
			t.Errorf("after the changed apply: replicas %s generation %d, want 4 and 2", replicasOf(got), got.Generation)
		}
		// Removing the label from the manifest removes it from the object
		// (the applier owned it).
		path = k.manifest("beta.yaml", v1betaManifest("beta", "",
			"  replicas: 4\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n"))
		k.ok("apply", "--server-side", "-f", path)
		if got = k.getV1beta("beta"); got.Labels["team"] != "" || got.Generation != 2 {
			t.Errorf("after applying without the label: labels %v generation %d, want no team label and generation 2", got.Labels, got.Generation)
		}
	})

	t.Run("v1alpha", func(t *testing.T) {
		k := k.sub(t)
		path := k.manifest("alpha.yaml", v1alphaManifest("alpha", "", "  instanceamount: 3\n  instancecpu: 2\n"))
		rv1 := rv("apply", "--server-side", "-f", path)
		rv2 := rv("apply", "--server-side", "-f", path)
		if rv1 == "" || rv1 != rv2 {
			t.Errorf("a second v1alpha apply of the same manifest changed resourceVersion %q to %q", rv1, rv2)
		}
		got := k.getV1beta("alpha")
		if replicasOf(got) != "3" || got.ResourceVersion != rv1 {
			t.Errorf("v1alpha applied object through v1beta: replicas %s resourceVersion %s", replicasOf(got), got.ResourceVersion)
		}
		checkQuantity(t, "cpu", got.Spec.Resources.CPU, "2")
		checkQuantity(t, "memory", got.Spec.Resources.Memory, "2Gi")
		checkNoPreservation(t, got)
	})

	t.Run("v1alpha onto a v1beta object", func(t *testing.T) {
		k := k.sub(t)
		// An object made through v1beta with what v1alpha cannot show ...
		k.ok("create", "-f", k.manifest("mix.yaml", v1betaManifest("mix", "",
			"  replicas: 2\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n")))
		// ... applied to through v1alpha: replicas is kubectl-create's, a conflict.
		path := k.manifest("mix-alpha.yaml", v1alphaManifest("mix", "", "  instanceamount: 5\n"))
		if stderr := k.fails("apply", "--server-side", "-f", path); !strings.Contains(stderr, "conflict") || !strings.Contains(stderr, ".spec.replicas") {
			t.Errorf("a v1alpha apply of a field another manager owns: %s", stderr)
		}
		k.ok("apply", "--server-side", "--force-conflicts", "-f", path)
		got := k.getV1beta("mix")
		if replicasOf(got) != "5" || got.Spec.Image != "jenkins/jenkins:2.462.3-lts" {
			t.Errorf("after the v1alpha apply: replicas %s image %q, want 5 and the v1beta image", replicasOf(got), got.Spec.Image)
		}
		checkQuantity(t, "cpu kept through a v1alpha apply", got.Spec.Resources.CPU, "1500m")
		checkQuantity(t, "memory kept through a v1alpha apply", got.Spec.Resources.Memory, "4Gi")
		checkNoPreservation(t, got)
		rv1 := got.ResourceVersion
		if rv2 := rv("apply", "--server-side", "--force-conflicts", "-f", path); rv2 != rv1 {
			t.Errorf("a second v1alpha apply changed resourceVersion %s to %s", rv1, rv2)
		}
	})
}

func TestKubectlPatch(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("ci.yaml", v1betaManifest("ci", "  labels:\n    team: a\n", "  replicas: 1\n  resources:\n    memory: 4Gi\n")))
	generation := int64(1)
	check := func(step string, spec bool, f func(*v1beta.JenkinsService) string) *v1beta.JenkinsService {
		t.Helper()
		got := k.getV1beta("ci")
		if spec {
			generation++
		}
		if got.Generation != generation {
			t.Errorf("%s: generation %d, want %d", step, got.Generation, generation)
		}
		if msg := f(got); msg != "" {
			t.Errorf("%s: %s", step, msg)
		}
		return got
	}

	k.ok("patch", "js", "ci", "--type", "merge", "-p", `{"spec":{"replicas":4}}`)
	check("merge patch of spec.replicas", true, func(js *v1beta.JenkinsService) string {
		if replicasOf(js) != "4" || qtyText(js.Spec.Resources.Memory) != "4Gi" {
			return fmt.Sprintf("replicas %s memory %s, want 4 and 4Gi", replicasOf(js), qtyText(js.Spec.Resources.Memory))
		}
		return ""
	})

	image := "registry:5000/team/jenkins@sha256:" + strings.Repeat("ab", 32)
	k.ok("patch", "js", "ci", "--type", "json", "-p",
		`[{"op":"replace","path":"/spec/image","value":"`+image+`"},{"op":"add","path":"/metadata/labels/tier","value":"gold"}]`)
	check("JSON patch of spec.image and a label", true, func(js *v1beta.JenkinsService) string {
		if js.Spec.Image != image || js.Labels["tier"] != "gold" || js.Labels["team"] != "a" {
			return fmt.Sprintf("image %q labels %v", js.Spec.Image, js.Labels)
		}
		return ""
	})

	k.ok("patch", "js", "ci", "--type", "strategic", "-p", `{"metadata":{"labels":{"team":"b"}},"spec":{"resources":{"cpu":"2500m"}}}`)
	check("strategic merge patch of a label and spec.resources.cpu", true, func(js *v1beta.JenkinsService) string {
		if qtyText(js.Spec.Resources.CPU) != "2500m" || qtyText(js.Spec.Resources.Memory) != "4Gi" ||
			js.Labels["team"] != "b" || js.Labels["tier"] != "gold" || replicasOf(js) != "4" {
			return fmt.Sprintf("resources %v labels %v replicas %s", asJSONText(js.Spec.Resources), js.Labels, replicasOf(js))
		}
		return ""
	})

	// Only labels: the generation stays.
	k.ok("patch", "js", "ci", "--type", "merge", "-p", `{"metadata":{"labels":{"tier":null}}}`)
	check("merge patch removing a label", false, func(js *v1beta.JenkinsService) string {
		if _, ok := js.Labels["tier"]; ok || js.Labels["team"] != "b" {
			return fmt.Sprintf("labels %v", js.Labels)
		}
		return ""
	})

	// Strategic merge patches of the status merge conditions by type.
	cond := func(typ, status, reason string) string {
		return fmt.Sprintf(`{"type":%q,"status":%q,"reason":%q,"message":"m","lastTransitionTime":"2026-11-23T08:00:00Z"}`, typ, status, reason)
	}
	k.ok("patch", "js", "ci", "--subresource", "status", "--type", "strategic", "-p", `{"status":{"conditions":[`+cond("Ready", "False", "Provisioning")+`]}}`)
	k.ok("patch", "js", "ci", "--subresource", "status", "--type", "strategic", "-p", `{"status":{"conditions":[`+cond("Synced", "True", "Synced")+`]}}`)
	k.ok("patch", "js", "ci", "--subresource", "status", "--type", "strategic", "-p", `{"status":{"conditions":[`+cond("Ready", "True", "Running")+`]}}`)
	conditions := func(js *v1beta.JenkinsService) map[string]string {
		m := map[string]string{}
		for _, c := range js.Status.Conditions {
			m[c.Type] = string(c.Status) + "/" + c.Reason
		}
		return m
	}
	check("strategic merge patches of status.conditions", false, func(js *v1beta.JenkinsService) string {
		if want := map[string]string{"Ready": "True/Running", "Synced": "True/Synced"}; !reflect.DeepEqual(conditions(js), want) {
			return fmt.Sprintf("conditions %v, want %v", conditions(js), want)
		}
		return ""
	})
	// A merge patch replaces the list.
	k.ok("patch", "js", "ci", "--subresource", "status", "--type", "merge", "-p", `{"status":{"conditions":[`+cond("Ready", "False", "Stopped")+`]}}`)
	check("merge patch of status.conditions", false, func(js *v1beta.JenkinsService) string {
		if want := map[string]string{"Ready": "False/Stopped"}; !reflect.DeepEqual(conditions(js), want) {
			return fmt.Sprintf("conditions %v, want %v", conditions(js), want)
		}
		return ""
	})
	// A status patch through the main resource changes nothing.
	k.ok("patch", "js", "ci", "--type", "merge", "-p", `{"status":{"conditions":[`+cond("Ready", "True", "Main")+`]}}`)
	check("merge patch of status through the main resource", false, func(js *v1beta.JenkinsService) string {
		if want := map[string]string{"Ready": "False/Stopped"}; !reflect.DeepEqual(conditions(js), want) {
			return fmt.Sprintf("conditions %v, want %v", conditions(js), want)
		}
		return ""
	})

	// Through v1alpha, a changed field is what the client wrote (rule 3) and
	// what v1alpha cannot show stays. v1alpha shows 2500m as 3: 3 would be
	// no change.
	if got := k.getV1alpha("ci"); got.Spec.InstanceCpu != 3 {
		t.Errorf("v1alpha instancecpu of 2500m: %d, want 3", got.Spec.InstanceCpu)
	}
	k.ok("patch", jsV1alpha, "ci", "--type", "merge", "-p", `{"spec":{"instancecpu":4}}`)
	check("v1alpha merge patch of instancecpu", true, func(js *v1beta.JenkinsService) string {
		if qtyText(js.Spec.Resources.CPU) != "4" || qtyText(js.Spec.Resources.Memory) != "4Gi" || js.Spec.Image != image || replicasOf(js) != "4" {
			return fmt.Sprintf("spec %+v replicas %s", asJSONText(js.Spec.Resources), replicasOf(js))
		}
		return ""
	})
	k.ok("patch", jsV1alpha, "ci", "--type", "json", "-p", `[{"op":"replace","path":"/spec/instanceamount","value":2}]`)
	got := check("v1alpha JSON patch of instanceamount", true, func(js *v1beta.JenkinsService) string {
		if replicasOf(js) != "2" || qtyText(js.Spec.Resources.CPU) != "4" || qtyText(js.Spec.Resources.Memory) != "4Gi" || js.Spec.Image != image {
			return fmt.Sprintf("spec %+v replicas %s image %q", asJSONText(js.Spec.Resources), replicasOf(js), js.Spec.Image)
		}
		return ""
	})
	checkNoPreservation(t, got)

	// Invalid patches are refused with the field path of the client's version.
	if stderr := k.fails("patch", "js", "ci", "--type", "merge", "-p", `{"spec":{"replicas":1000}}`); !strings.Contains(stderr, "spec.replicas") || !strings.Contains(stderr, "Invalid") {
		t.Errorf("a v1beta patch to 1000 replicas: %s", stderr)
	}
	if stderr := k.fails("patch", jsV1alpha, "ci", "--type", "merge", "-p", `{"spec":{"instanceamount":1000}}`); !strings.Contains(stderr, "spec.instanceamount") {
		t.Errorf("a v1alpha patch to 1000 instances: %s", stderr)
	}
	check("after refused patches", false, func(js *v1beta.JenkinsService) string {
		if replicasOf(js) != "2" {
			return "replicas " + replicasOf(js)
		}
		return ""
	})
}

// editor writes an EDITOR script that keeps a copy of the file kubectl gives
// it in seen and then runs the sed expression on it.
func (k *kubectlRunner) editor(name, seen, sedExpr string) string {
	return k.file(name, fmt.Sprintf("#!/bin/sh\nset -e\ncp \"$1\" %q\nsed -i %q \"$1\"\n", seen, sedExpr), 0o755)
}

func TestKubectlEdit(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("ci.yaml", v1betaManifest("ci", "  labels:\n    team: a\n",
		"  replicas: 2\n  resources:\n    cpu: 1500m\n    memory: 4Gi\n  image: jenkins/jenkins:2.462.3-lts\n")))

	t.Run("v1beta replicas", func(t *testing.T) {
		k := k.sub(t)
		seen := k.dir + "/seen-v1beta.yaml"
		ed := k.editor("edit-replicas.sh", seen, `s/^  replicas: 2$/  replicas: 6/`)
		out := k.okEnv([]string{"EDITOR=" + ed, "KUBE_EDITOR=" + ed}, "edit", "js", "ci")
		if !strings.Contains(out, "edited") {
			t.Errorf("kubectl edit: %s", out)
		}
		got := k.getV1beta("ci")
		if replicasOf(got) != "6" || got.Generation != 2 {
			t.Errorf("after kubectl edit: replicas %s generation %d, want 6 and 2", replicasOf(got), got.Generation)
		}
		checkQuantity(t, "cpu", got.Spec.Resources.CPU, "1500m")
	})

	t.Run("v1alpha label only", func(t *testing.T) {
		k := k.sub(t)
		// Scaled to zero, with conditions and named instances: everything
		// v1alpha cannot show.
		k.ok("patch", "js", "ci", "--type", "merge", "-p", `{"spec":{"replicas":0}}`)
		k.ok("patch", "js", "ci", "--subresource", "status", "--type", "merge", "-p", `{"status":{"observedGeneration":3,`+
			`"conditions":[{"type":"Ready","status":"False","reason":"Provisioning","message":"1 of 2 instances running","lastTransitionTime":"2026-11-23T08:00:00Z","observedGeneration":3}],`+
			`"instances":[{"name":"ci-0","cpu":"1500m","running":true},{"name":"ci-1","cpu":"1500m","running":false}]}}`)
		before := k.getV1beta("ci")

		seen := k.dir + "/seen-v1alpha.yaml"
		ed := k.editor("edit-label.sh", seen, `s/^    team: a$/    team: edited/`)
		out := k.okEnv([]string{"EDITOR=" + ed, "KUBE_EDITOR=" + ed}, "edit", jsV1alpha, "ci")
		if !strings.Contains(out, "edited") {
			t.Errorf("kubectl edit: %s", out)
		}
		var shown v1alpha.JenkinsService
		if text, err := readFile(seen); err != nil {
			t.Fatal(err)
		} else if err := yaml.Unmarshal([]byte(text), &shown); err != nil || shown.APIVersion != "autobusi.group.cicd/v1alpha" {
			t.Fatalf("the editor was not given the v1alpha object (%v):\n%s", err, text)
		}

		after := k.getV1beta("ci")
		if after.Labels["team"] != "edited" {
			t.Errorf("label after the v1alpha edit: %v", after.Labels)
		}
		if after.Generation != before.Generation {
			t.Errorf("a label-only v1alpha edit changed generation %d to %d", before.Generation, after.Generation)
		}
		if !reflect.DeepEqual(before.Spec, after.Spec) || replicasOf(after) != "0" {
			t.Errorf("a label-only v1alpha edit changed the spec:\nbefore %s\nafter  %s", asJSONText(before.Spec), asJSONText(after.Spec))
		}
		if !reflect.DeepEqual(before.Status, after.Status) {
			t.Errorf("a label-only v1alpha edit changed the status:\nbefore %s\nafter  %s", asJSONText(before.Status), asJSONText(after.Status))
		}
		if after.Spec.Image != "jenkins/jenkins:2.462.3-lts" || qtyText(after.Spec.Resources.CPU) != "1500m" || qtyText(after.Spec.Resources.Memory) != "4Gi" {
			t.Errorf("after the v1alpha edit: %s", asJSONText(after.Spec))
		}
		checkNoPreservation(t, after)
	})
}

func asJSONText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestKubectlScale(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("ci.yaml", v1betaManifest("ci", "", "  replicas: 1\n")))

	if out := k.ok("scale", "jenkinsservice", "ci", "--replicas=3"); !strings.Contains(out, "scaled") {
		t.Errorf("kubectl scale: %s", out)
	}
	rows := table(k.ok("get", "jenkinsservice", "ci"))
	if len(rows) != 2 || rows[1][1] != "3" || rows[1][4] != "0/3" {
		t.Errorf("kubectl get after scaling to 3: %v", rows)
	}
	if got := k.getV1beta("ci"); replicasOf(got) != "3" || got.Generation != 2 {
		t.Errorf("after scaling: replicas %s generation %d", replicasOf(got), got.Generation)
	}
	if got := k.getV1alpha("ci"); got.Spec.InstanceAmount != 3 {
		t.Errorf("v1alpha instanceamount after scaling: %d", got.Spec.InstanceAmount)
	}

	// The precondition is checked.
	if stderr := k.fails("scale", "jenkinsservice", "ci", "--current-replicas=2", "--replicas=5"); !strings.Contains(stderr, "precondition") && !strings.Contains(stderr, "Expected replicas") {
		t.Errorf("kubectl scale with a wrong --current-replicas: %s", stderr)
	}
	k.ok("scale", "js", "ci", "--current-replicas=3", "--replicas=0")

	// The scale subresource: autoscaling/v1 Scale, status.replicas = running instances.
	k.ok("patch", "js", "ci", "--subresource", "status", "--type", "merge",
		"-p", `{"status":{"instances":[{"name":"ci-0","cpu":"1","running":true},{"name":"ci-1","cpu":"1","running":false}]}}`)
	out := k.ok("get", "js", "ci", "--subresource", "scale", "-o", "json")
	var scale struct {
		APIVersion, Kind string
		Spec             struct{ Replicas int32 } // omitted when 0
		Status           struct{ Replicas int32 }
	}
	if err := json.Unmarshal([]byte(out), &scale); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if scale.APIVersion != "autoscaling/v1" || scale.Kind != "Scale" || scale.Spec.Replicas != 0 || scale.Status.Replicas != 1 {
		t.Errorf("kubectl get --subresource scale: %s", out)
	}
}

func TestKubectlWatch(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("first.yaml", v1betaManifest("first", "", "  replicas: 1\n")))

	for _, events := range []bool{false, true} {
		t.Run(fmt.Sprintf("output-watch-events=%v", events), func(t *testing.T) {
			k := k.sub(t)
			args := []string{"get", "js", "-w"}
			if events {
				args = append(args, "--output-watch-events")
			}
			w := k.watch(args...)
			want := func(what string, cells ...string) {
				t.Helper()
				if events {
					cells = append([]string{what}, cells...)
				}
				w.expect(t, cells...)
			}
			header := tableHeader
			if events {
				header = append([]string{"EVENT"}, tableHeader...)
			}
			w.expect(t, header...)
			want("ADDED", "first")

			name := "second"
			if events {
				name = "third"
			}
			k.ok("create", "-f", k.manifest(name+".yaml", v1betaManifest(name, "", "  replicas: 2\n")))
			want("ADDED", name, "2", "1", "Pending", "0/2")
			k.ok("scale", "js", name, "--replicas=5")
			want("MODIFIED", name, "5", "1", "Pending", "0/5")
			k.ok("delete", "js", name)
			want("DELETED", name)
			w.stop(t)
		})
	}
}

func TestKubectlSelectors(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	k.ok("create", "-f", k.manifest("a.yaml", v1betaManifest("a", "  labels:\n    team: a\n", "  replicas: 2\n")))
	k.ok("create", "-f", k.manifest("b.yaml", v1alphaManifest("b", "  labels:\n    team: b\n", "  instanceamount: 2\n")))
	k.ok("create", "-f", k.manifest("c.yaml", v1betaManifest("c", "", "  replicas: 3\n")))

	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"js", "-l", "team=a"}, []string{"a"}},
		{[]string{"js", "-l", "team in (a,b)"}, []string{"a", "b"}},
		{[]string{"js", "-l", "!team"}, []string{"c"}},
		{[]string{"js", "-l", "team!=a"}, []string{"b", "c"}},
		{[]string{jsV1alpha, "-l", "team"}, []string{"a", "b"}},
		{[]string{"js", "--field-selector", "spec.replicas=2"}, []string{"a", "b"}},
		{[]string{"js", "--field-selector", "spec.replicas!=2"}, []string{"c"}},
		{[]string{jsV1beta, "--field-selector", "spec.replicas=3"}, []string{"c"}},
		{[]string{jsV1alpha, "--field-selector", "spec.instanceamount=2"}, []string{"a", "b"}},
		{[]string{jsV1alpha, "--field-selector", "spec.instanceamount=3"}, []string{"c"}},
		{[]string{"js", "--field-selector", "metadata.name=b"}, []string{"b"}},
		{[]string{jsV1alpha, "--field-selector", "metadata.name=c"}, []string{"c"}},
		{[]string{"js", "-A", "--field-selector", "metadata.namespace=" + k.ns}, []string{"a", "b", "c"}},
		{[]string{"js", "-l", "team", "--field-selector", "spec.replicas=2,metadata.name!=b"}, []string{"a"}},
		{[]string{"js", "--field-selector", "spec.replicas=7"}, nil},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			k := k.sub(t)
			out := k.ok(append([]string{"get", "-o", "name"}, c.args...)...)
			if got := names(out); !slices.Equal(got, c.want) {
				t.Errorf("kubectl get %v: %v, want %v", c.args, got, c.want)
			}
		})
	}

	// Field labels of the other version, and unknown ones, are refused.
	for _, args := range [][]string{
		{"js", "--field-selector", "spec.instanceamount=2"},
		{jsV1alpha, "--field-selector", "spec.replicas=2"},
		{"js", "--field-selector", "spec.image=x"},
	} {
		if stderr := k.fails(append([]string{"get"}, args...)...); !strings.Contains(stderr, "field label not supported") {
			t.Errorf("kubectl get %v: %s", args, stderr)
		}
	}
}

func TestKubectlDelete(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)
	for _, n := range []string{"a", "b"} {
		k.ok("create", "-f", k.manifest(n+".yaml", v1betaManifest(n, "", "  replicas: 1\n")))
	}
	k.ok("create", "-f", k.manifest("c.yaml", v1betaManifest("c", "  labels:\n    gone: \"yes\"\n", "  replicas: 1\n")))
	d := k.manifest("d.yaml", v1alphaManifest("d", "", "  instanceamount: 1\n"))
	k.ok("create", "-f", d)

	if out := k.ok("delete", "js", "a"); !strings.Contains(out, `"a" deleted`) {
		t.Errorf("kubectl delete js a: %s", out)
	}
	if stderr := k.fails("get", "js", "a"); !strings.Contains(stderr, "NotFound") {
		t.Errorf("kubectl get of a deleted object: %s", stderr)
	}
	k.ok("delete", "js", "-l", "gone=yes")
	k.ok("delete", "-f", d)
	if got := names(k.ok("get", "js", "-o", "name")); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after deleting a, c and d: %v, want [b]", got)
	}
	k.ok("delete", jsV1alpha, "b")
	if got := names(k.ok("get", "js", "-o", "name")); len(got) != 0 {
		t.Errorf("after deleting everything: %v", got)
	}
	if stderr := k.fails("delete", "js", "a"); !strings.Contains(stderr, `"a" not found`) {
		t.Errorf("kubectl delete of a missing object: %s", stderr)
	}
	k.ok("delete", "js", "a", "--ignore-not-found")
}

func TestKubectlDiscovery(t *testing.T) {
	t.Parallel()
	k := newKubectl(t)

	rows := table(k.ok("api-resources", "--api-group=autobusi.group.cicd", "-o", "wide"))
	wantHeader := []string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"}
	if len(rows) != 2 || !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("kubectl api-resources: %v", rows)
	}
	want := []string{"jenkinsservices", "js", "autobusi.group.cicd/v1beta", "true", "JenkinsService",
		"create,delete,deletecollection,get,list,patch,update,watch", "all,cicd"}
	if !slices.Equal(rows[1], want) {
		t.Errorf("kubectl api-resources row %v, want %v", rows[1], want)
	}

	out := k.ok("get", "--raw", "/apis/autobusi.group.cicd")
	var group metav1.APIGroup
	if err := json.Unmarshal([]byte(out), &group); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var versions []string
	for _, v := range group.Versions {
		versions = append(versions, v.GroupVersion)
	}
	if group.Name != "autobusi.group.cicd" || group.PreferredVersion.Version != "v1beta" || group.PreferredVersion.GroupVersion != "autobusi.group.cicd/v1beta" ||
		!slices.Equal(versions, []string{"autobusi.group.cicd/v1beta", "autobusi.group.cicd/v1alpha"}) {
		t.Errorf("kubectl get --raw /apis/autobusi.group.cicd: %s", out)
	}

	// The subresources' verbs, in both versions.
	for _, v := range []string{"v1beta", "v1alpha"} {
		out := k.ok("get", "--raw", "/apis/autobusi.group.cicd/"+v)
		var list metav1.APIResourceList
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		verbs := map[string]string{}
		for _, r := range list.APIResources {
			vs := slices.Clone([]string(r.Verbs))
			slices.Sort(vs)
			verbs[r.Name] = strings.Join(vs, ",")
		}
		wantVerbs := map[string]string{
			"jenkinsservices":          "create,delete,deletecollection,get,list,patch,update,watch",
			"jenkinsservices/status":   "get,patch,update",
			"jenkinsservices/scale":    "get,patch,update",
			"jenkinsservices/approval": "update",
		}
		if !reflect.DeepEqual(verbs, wantVerbs) {
			t.Errorf("%s discovery verbs %v, want %v", v, verbs, wantVerbs)
		}
	}

	if out := k.ok("api-versions"); !strings.Contains(out, "autobusi.group.cicd/v1beta\n") || !strings.Contains(out, "autobusi.group.cicd/v1alpha\n") {
		t.Errorf("kubectl api-versions: %s", out)
	}
}
