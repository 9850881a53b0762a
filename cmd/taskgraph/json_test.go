package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// wantJSON checks that a run succeeded and that its stdout decodes to the
// same value as want.
func wantJSON(t *testing.T, got result, want string) {
	t.Helper()
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	if got.stderr != "" {
		t.Errorf("stderr = %q, want empty", got.stderr)
	}
	var gotValue, wantValue any
	if err := json.Unmarshal([]byte(got.stdout), &gotValue); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, got.stdout)
	}
	if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
		t.Fatalf("expected value is not JSON: %v", err)
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, want)
	}
}

func TestJSONOutput(t *testing.T) {
	t.Parallel()
	taskOnePath, err := json.Marshal(filepath.Join(fxTasks, "task-one.md"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"list", []string{"-p", fxTasks, "-f", "json", "list"}, `[
			{"id":"task-one","name":"First Task","status":"pending","scope":null,"risk":null,
			 "impact":null,"depends_on":[],"tags":[]},
			{"id":"task-three","name":"Third Task","status":"completed","scope":null,"risk":null,
			 "impact":null,"depends_on":["task-one"],"tags":[]},
			{"id":"task-two","name":"Second Task","status":"pending","scope":null,"risk":null,
			 "impact":null,"depends_on":["task-one"],"tags":[]}]`},
		{"show", []string{"-p", fxTasks, "-f", "json", "show", "task-one"}, `{
			"id":"task-one","name":"First Task","status":"pending","depends_on":[],"scope":null,
			"risk":null,"impact":null,"level":null,"priority":null,"tags":[],"assignee":null,
			"due":null,"created":null,"modified":null,"path":` + string(taskOnePath) + `,
			"body":"This is the first task body."}`},
		{"validate valid", []string{"-p", fxTasks, "-f", "json", "validate"},
			`{"valid":true,"task_count":3,"error_count":0,"errors":[],"missing_dependencies":{},
			  "cycles":[]}`},
		{"validate missing dependency", []string{"-p", fxInvalid, "-f", "json", "validate"},
			`{"valid":false,"task_count":1,"error_count":1,"errors":[],
			  "missing_dependencies":{"invalid-task":["missing-dependency"]},"cycles":[]}`},
		{"topo", []string{"-p", fxTasks, "-f", "json", "topo"}, `{"order":[
			{"position":1,"id":"task-one","name":"First Task","status":"pending"},
			{"position":2,"id":"task-three","name":"Third Task","status":"completed"},
			{"position":3,"id":"task-two","name":"Second Task","status":"pending"}]}`},
		{"deps", []string{"-p", fxTasks, "-f", "json", "deps", "task-two"}, `{"task_id":"task-two",
			"dependencies":[{"id":"task-one","name":"First Task","status":"pending","exists":true}]}`},
		{"deps missing", []string{"-p", fxInvalid, "-f", "json", "deps", "invalid-task"},
			`{"task_id":"invalid-task",
			  "dependencies":[{"id":"missing-dependency","name":null,"status":null,"exists":false}]}`},
		{"dependents", []string{"-p", fxTasks, "-f", "json", "dependents", "task-one"},
			`{"task_id":"task-one",
			  "dependents":[{"id":"task-three","name":"Third Task","status":"completed"},
			                {"id":"task-two","name":"Second Task","status":"pending"}]}`},
		{"cycles none", []string{"-p", fxTasks, "-f", "json", "cycles"},
			`{"has_cycles":false,"cycle_count":0,"cycles":[]}`},
		{"cycles found", []string{"-p", fxCycles, "-f", "json", "cycles"},
			`{"has_cycles":true,"cycle_count":1,"cycles":[["task-a","task-b","task-c"]]}`},
		{"parallel", []string{"-p", fxTasks, "-f", "json", "parallel"},
			`{"groups":[["task-one"],["task-three","task-two"]],"generation_count":2,"task_count":3}`},
		{"critical", []string{"-p", fxTasks, "-f", "json", "critical"}, `{"path":[
			{"id":"task-one","name":"First Task","status":"pending"},
			{"id":"task-three","name":"Third Task","status":"completed"}],"length":2}`},
		{"bottleneck", []string{"-p", fxTasks, "-f", "json", "bottleneck"}, `{"task_count":3,
			"bottlenecks":[{"id":"task-one","name":"First Task","score":0},
			               {"id":"task-three","name":"Third Task","score":0},
			               {"id":"task-two","name":"Second Task","score":0}]}`},
		{"risk", []string{"-p", fxRisk, "-f", "json", "risk"}, `{"task_count":5,
			"distribution":{"trivial":[],"low":["task-low-risk"],"medium":["task-medium-risk"],
			                "high":["task-high-risk"],"critical":["task-critical-risk"],
			                "unspecified":["task-no-risk"]}}`},
		{"decompose", []string{"-p", fxDecompose, "-f", "json", "decompose"}, `{"task_count":4,
			"tasks":[{"id":"task-broad-scope","name":"Broad Scope Task",
			          "reasons":["scope: broad — cost estimate 4.0"]},
			         {"id":"task-high-risk-decompose","name":"High Risk Task",
			          "reasons":["risk: high — failure probability 0.35"]},
			         {"id":"task-system-scope","name":"System Scope Task",
			          "reasons":["scope: system — cost estimate 5.0"]}]}`},
		{"workflow cost library", []string{"-p", fxRisk, "-f", "json", "workflow-cost"}, `{
			"model":"library","propagation_mode":"dag-propagate",
			"tasks":[
			 {"id":"task-critical-risk","name":"Critical Risk Task","cost":2,"p_intrinsic":0.5,
			  "p_effective":0.5,"scope_cost":2,"impact_weight":1},
			 {"id":"task-high-risk","name":"High Risk Task","cost":2,"p_intrinsic":0.65,
			  "p_effective":0.65,"scope_cost":2,"impact_weight":1},
			 {"id":"task-low-risk","name":"Low Risk Task","cost":2,"p_intrinsic":0.9,
			  "p_effective":0.9,"scope_cost":2,"impact_weight":1},
			 {"id":"task-medium-risk","name":"Medium Risk Task","cost":2,"p_intrinsic":0.8,
			  "p_effective":0.8,"scope_cost":2,"impact_weight":1},
			 {"id":"task-no-risk","name":"No Risk Specified","cost":2,"p_intrinsic":0.8,
			  "p_effective":0.8,"scope_cost":2,"impact_weight":1}],
			"total":10,"count":5,"average":2}`},
		{"workflow cost legacy",
			[]string{"-p", fxRisk, "-f", "json", "workflow-cost", "--model", "legacy"}, `{
			"model":"legacy","propagation_mode":"independent",
			"tasks":[
			 {"id":"task-critical-risk","name":"Critical Risk Task","cost":12.25,"p_intrinsic":0.5,
			  "p_effective":0.5,"scope_cost":2,"impact_weight":1},
			 {"id":"task-high-risk","name":"High Risk Task","cost":5.94625,"p_intrinsic":0.65,
			  "p_effective":0.65,"scope_cost":2,"impact_weight":1},
			 {"id":"task-medium-risk","name":"Medium Risk Task","cost":3.0400000000000005,
			  "p_intrinsic":0.8,"p_effective":0.8,"scope_cost":2,"impact_weight":1},
			 {"id":"task-no-risk","name":"No Risk Specified","cost":3.0400000000000005,
			  "p_intrinsic":0.8,"p_effective":0.8,"scope_cost":2,"impact_weight":1},
			 {"id":"task-low-risk","name":"Low Risk Task","cost":2.29,"p_intrinsic":0.9,
			  "p_effective":0.9,"scope_cost":2,"impact_weight":1}],
			"total":26.566249999999997,"count":5,"average":5.313249999999999}`},
		{"risk path", []string{"-p", fxTasks, "-f", "json", "risk-path"}, `{"path":[
			{"id":"task-one","name":"First Task","risk":null,"impact":null,
			 "weight":0.19999999999999996},
			{"id":"task-three","name":"Third Task","risk":null,"impact":null,
			 "weight":0.19999999999999996}],
			"total_risk":0.3999999999999999}`},
		{"graph", []string{"-p", fxTasks, "-f", "json", "graph"}, `{
			"options":{"type":"directed","multi":false,"allowSelfLoops":false},
			"attributes":{},
			"nodes":[{"key":"task-one","attributes":{"name":"First Task","status":"pending"}},
			         {"key":"task-three","attributes":{"name":"Third Task","status":"completed"}},
			         {"key":"task-two","attributes":{"name":"Second Task","status":"pending"}}],
			"edges":[{"key":"task-one->task-three","source":"task-one","target":"task-three",
			          "attributes":{"qualityRetention":0.9}},
			         {"key":"task-one->task-two","source":"task-one","target":"task-two",
			          "attributes":{"qualityRetention":0.9}}]}`},
		{"completions", []string{"-f", "json", "completions", "fish"},
			`{"shell":"fish","script":` + mustJSON(t, fishCompletion()) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantJSON(t, runCLI(t, tt.args...), tt.want)
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestJSONEmptyDirectory(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	tests := []struct {
		command string
		want    string
	}{
		{"workflow-cost", `{"model":"library","propagation_mode":"dag-propagate","tasks":[],
			"total":0,"count":0,"average":0}`},
		{"critical", `{"path":[],"length":0}`},
		{"topo", `{"order":[]}`},
		{"parallel", `{"groups":[],"generation_count":0,"task_count":0}`},
		{"bottleneck", `{"task_count":0,"bottlenecks":[]}`},
		{"risk", `{"task_count":0,"distribution":{"trivial":[],"low":[],"medium":[],"high":[],
			"critical":[],"unspecified":[]}}`},
		{"decompose", `{"task_count":0,"tasks":[]}`},
		{"risk-path", `{"path":[],"total_risk":0}`},
		{"cycles", `{"has_cycles":false,"cycle_count":0,"cycles":[]}`},
		{"list", `[]`},
		{"validate", `{"valid":true,"task_count":0,"error_count":0,"errors":[],
			"missing_dependencies":{},"cycles":[]}`},
		{"graph", `{"options":{"type":"directed","multi":false,"allowSelfLoops":false},
			"attributes":{},"nodes":[],"edges":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			wantJSON(t, runCLI(t, "-p", empty, "-f", "json", tt.command), tt.want)
		})
	}
}

func TestJSONInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := mustJSON(t, filepath.Join(dir, "new-task.md"))
	wantJSON(t, runCLI(t, "-p", dir, "-f", "json", "init", "new-task"),
		`{"id":"new-task","path":`+path+`}`)
}

func TestJSONEncoding(t *testing.T) {
	t.Parallel()
	got := runCLI(t, "-p", fxCycles, "-f", "json", "validate")
	if !strings.HasPrefix(got.stdout, "{\n  \"valid\": false,\n") {
		t.Errorf("stdout is not indented by two spaces:\n%s", got.stdout)
	}
	if !strings.HasSuffix(got.stdout, "}\n") {
		t.Errorf("stdout does not end with a newline: %q", got.stdout)
	}

	decompose := runCLI(t, "-p", fxDecompose, "-f", "json", "decompose").stdout
	if !strings.Contains(decompose, "scope: broad — cost estimate 4.0") {
		t.Errorf("em dash is escaped:\n%s", decompose)
	}

	dir := t.TempDir()
	writeTaskFile(t, dir, "a.md", "---\nid: a\nname: \"<b> & </b>\"\ndepends_on: [b]\n---\n")
	writeTaskFile(t, dir, "b.md", "---\nid: b\nname: B\ndepends_on: [a]\n---\n")
	for _, command := range []string{"list", "cycles"} {
		out := runCLI(t, "-p", dir, "-f", "json", command).stdout
		if strings.Contains(out, `\u003c`) || strings.Contains(out, `\u003e`) ||
			strings.Contains(out, `\u0026`) {
			t.Errorf("%s escapes HTML characters:\n%s", command, out)
		}
	}
	if out := runCLI(t, "-p", dir, "-f", "json", "list").stdout; !strings.Contains(out, "<b> & </b>") {
		t.Errorf("list lost the name:\n%s", out)
	}
}

// TestMissingDependenciesKeepLoadOrder checks that the JSON object of
// missing dependencies lists tasks in load order, not sorted by id.
func TestMissingDependenciesKeepLoadOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTaskFile(t, dir, "1.md", "---\nid: zeta\nname: Z\ndepends_on: [x, y, x]\n---\n")
	writeTaskFile(t, dir, "2.md", "---\nid: alpha\nname: A\ndepends_on: [w]\n---\n")
	got := runCLI(t, "-p", dir, "-f", "json", "validate")
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(got.stdout)); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	want := `"missing_dependencies":{"zeta":["x","y"],"alpha":["w"]},`
	if !strings.Contains(compact.String(), want) {
		t.Errorf("stdout:\n%s\nwant it to contain %s", compact.String(), want)
	}
}

func TestQualityRetentionFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTaskFile(t, dir, "a.md", "---\nid: a\nname: A\nrisk: high\n---\n")
	writeTaskFile(t, dir, "b.md", "---\nid: b\nname: B\ndepends_on: [a]\n---\n")
	tests := []struct {
		name       string
		args       []string
		pEffective float64
	}{
		{"default keeps 90 percent", nil, 0.8 * (0.65 + 0.35*0.9)},
		{"one stops propagation", []string{"--quality-retention", "1"}, 0.8},
		{"zero carries the whole failure", []string{"--quality-retention", "0"}, 0.8 * 0.65},
		{"independent mode ignores parents",
			[]string{"--mode", "independent", "--quality-retention", "0"}, 0.8},
		{"legacy model ignores parents", []string{"--model", "legacy", "--quality-retention", "0"}, 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-p", dir, "-f", "json", "workflow-cost"}, tt.args...)
			got := runCLI(t, args...)
			if got.code != exitOK {
				t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
			}
			var doc costDocument
			if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			for _, row := range doc.Tasks {
				if row.ID != "b" {
					continue
				}
				if math.Abs(row.PEffective-tt.pEffective) > 1e-9 {
					t.Errorf("p_effective of b = %v, want %v", row.PEffective, tt.pEffective)
				}
				return
			}
			t.Errorf("task b missing from %s", got.stdout)
		})
	}
}
