package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestPlainOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"list", []string{"-p", fxTasks, "list"}, lines(
			"ID                   STATUS       SCOPE      NAME",
			strings.Repeat("-", 70),
			"task-one             pending      -          First Task",
			"task-three           completed    -          Third Task",
			"task-two             pending      -          Second Task",
		)},
		{"list by status", []string{"-p", fxTasks, "list", "--status", "completed"}, lines(
			"ID                   STATUS       SCOPE      NAME",
			strings.Repeat("-", 70),
			"task-three           completed    -          Third Task",
		)},
		{"show", []string{"-p", fxTasks, "show", "task-one"}, lines(
			"ID:     task-one",
			"Name:   First Task",
			"Status: pending",
			"",
			"---",
			"This is the first task body.",
		)},
		{"validate valid", []string{"-p", fxTasks, "validate"}, lines("✓ Valid: 3 tasks")},
		{"validate missing dependency", []string{"-p", fxInvalid, "validate"}, lines(
			"✗ Found 1 issue(s)",
			"",
			"Missing dependencies:",
			"  - invalid-task depends on missing: missing-dependency",
		)},
		{"topo", []string{"-p", fxTasks, "topo"}, lines(
			"Topological order:",
			"  1. task-one (pending)",
			"  2. task-three (completed)",
			"  3. task-two (pending)",
		)},
		{"deps", []string{"-p", fxTasks, "deps", "task-two"}, lines(
			"Dependencies of 'task-two':",
			"  - task-one (pending)",
		)},
		{"dependents", []string{"-p", fxTasks, "dependents", "task-one"}, lines(
			"Tasks that depend on 'task-one':",
			"  - task-three (completed)",
			"  - task-two (pending)",
		)},
		{"cycles none", []string{"-p", fxTasks, "cycles"}, lines("No cycles detected.")},
		{"cycles found", []string{"-p", fxCycles, "cycles"}, lines(
			"Found 1 cycle(s):",
			"  1. task-a → task-b → task-c",
		)},
		{"parallel", []string{"-p", fxTasks, "parallel"}, lines(
			"Parallel work groups (same group = can run concurrently):",
			"",
			"Generation 1:",
			"  - task-one (pending)",
			"",
			"Generation 2:",
			"  - task-three (completed)",
			"  - task-two (pending)",
			"",
			"Total: 2 generations, 3 tasks",
		)},
		{"critical", []string{"-p", fxTasks, "critical"}, lines(
			"Critical path (longest path through graph):",
			"",
			"  task-one - First Task (pending)",
			"  ↓",
			"  task-three - Third Task (completed)",
			"",
			"Length: 2 tasks",
		)},
		{"graph", []string{"-p", fxTasks, "graph"}, lines(
			"digraph taskgraph {",
			"  rankdir=LR;",
			`  "task-one";`,
			`  "task-three";`,
			`  "task-two";`,
			`  "task-one" -> "task-three";`,
			`  "task-one" -> "task-two";`,
			"}",
		)},
		{"bottleneck", []string{"-p", fxTasks, "bottleneck"}, lines(
			"Bottleneck tasks (ranked by betweenness centrality):",
			"",
			"ID                        SCORE NAME",
			strings.Repeat("-", 60),
			"task-one                 0.0000 First Task",
			"task-three               0.0000 Third Task",
			"task-two                 0.0000 Second Task",
		)},
		{"risk", []string{"-p", fxRisk, "risk"}, lines(
			"Risk Distribution (5 tasks):",
			"",
			"CRITICAL: 1 (20%)",
			"  - task-critical-risk (Critical Risk Task)",
			"HIGH: 1 (20%)",
			"  - task-high-risk (High Risk Task)",
			"MEDIUM: 1 (20%)",
			"  - task-medium-risk (Medium Risk Task)",
			"LOW: 1 (20%)",
			"  - task-low-risk (Low Risk Task)",
			"TRIVIAL: 0",
			"",
			"UNSPECIFIED: 1 (20%)",
			"  - task-no-risk (No Risk Specified)",
		)},
		{"decompose", []string{"-p", fxDecompose, "decompose"}, lines(
			"Tasks that should be decomposed (3):",
			"",
			"ID                   REASONS",
			strings.Repeat("-", 60),
			"task-broad-scope     scope: broad — cost estimate 4.0",
			"task-high-risk-decompose risk: high — failure probability 0.35",
			"task-system-scope    scope: system — cost estimate 5.0",
			"",
			"Recommendation: Split these tasks into smaller, lower-risk tasks.",
		)},
		{"decompose none", []string{"-p", fxTasks, "decompose"}, lines(
			"No tasks need decomposition.",
			"All tasks have risk <= medium and scope <= moderate.",
		)},
		{"workflow cost library", []string{"-p", fxRisk, "workflow-cost"}, lines(
			"Workflow Cost Analysis (5 tasks) (excluding completed):",
			"",
			"ID                         COST NAME",
			strings.Repeat("-", 60),
			"task-critical-risk         2.00 Critical Risk Task",
			"task-high-risk             2.00 High Risk Task",
			"task-low-risk              2.00 Low Risk Task",
			"task-medium-risk           2.00 Medium Risk Task",
			"task-no-risk               2.00 No Risk Specified",
			strings.Repeat("-", 60),
			"TOTAL                     10.00 (relative units)",
			"",
			"Average per task: 2.00",
			"",
			"Note: Values are relative units for comparison, not dollars.",
		)},
		{"workflow cost legacy", []string{"-p", fxRisk, "workflow-cost", "--model", "legacy"}, lines(
			"Workflow Cost Analysis (5 tasks) (excluding completed):",
			"",
			"ID                         COST NAME",
			strings.Repeat("-", 60),
			"task-critical-risk        12.25 Critical Risk Task",
			"task-high-risk             5.95 High Risk Task",
			"task-medium-risk           3.04 Medium Risk Task",
			"task-no-risk               3.04 No Risk Specified",
			"task-low-risk              2.29 Low Risk Task",
			strings.Repeat("-", 60),
			"TOTAL                     26.57 (relative units)",
			"",
			"Average per task: 5.31",
			"",
			"Note: Values are relative units for comparison, not dollars.",
		)},
		{"risk path", []string{"-p", fxTasks, "risk-path"}, lines(
			"Highest Risk Path (2 tasks):",
			"",
			"ID                   RISK       IMPACT     NAME",
			strings.Repeat("-", 70),
			"task-one             -          -          First Task",
			"task-three           -          -          Third Task",
			strings.Repeat("-", 70),
			"Total risk score: 0.40",
			"",
			"This path has the highest cumulative risk in the workflow.",
			"Consider decomposing high-risk tasks or adding safeguards.",
		)},
		{"workflow cost excluding completed", []string{"-p", fxTasks, "workflow-cost"}, lines(
			"Workflow Cost Analysis (2 tasks) (excluding completed):",
			"",
			"ID                         COST NAME",
			strings.Repeat("-", 60),
			"task-one                   2.00 First Task",
			"task-two                   2.00 Second Task",
			strings.Repeat("-", 60),
			"TOTAL                      4.00 (relative units)",
			"",
			"Average per task: 2.00",
			"",
			"Note: Values are relative units for comparison, not dollars.",
		)},
		{"workflow cost including completed",
			[]string{"-p", fxTasks, "workflow-cost", "--include-completed"}, lines(
				"Workflow Cost Analysis (3 tasks):",
				"",
				"ID                         COST NAME",
				strings.Repeat("-", 60),
				"task-one                   2.00 First Task",
				"task-three                 2.00 Third Task",
				"task-two                   2.00 Second Task",
				strings.Repeat("-", 60),
				"TOTAL                      6.00 (relative units)",
				"",
				"Average per task: 2.00",
				"",
				"Note: Values are relative units for comparison, not dollars.",
			)},
		{"bottleneck limit", []string{"-p", fxTasks, "bottleneck", "-l", "1"}, lines(
			"Bottleneck tasks (ranked by betweenness centrality):",
			"",
			"ID                        SCORE NAME",
			strings.Repeat("-", 60),
			"task-one                 0.0000 First Task",
			"... and 2 more",
		)},
		{"validate cycle", []string{"-p", fxCycles, "validate"}, lines(
			"✗ Found 1 issue(s)",
			"",
			"Cycles:",
			"  - task-a → task-b → task-c",
		)},
		{"deps missing", []string{"-p", fxInvalid, "deps", "invalid-task"}, lines(
			"Dependencies of 'invalid-task':",
			"  - missing-dependency (MISSING)",
		)},
		{"dependents none", []string{"-p", fxTasks, "dependents", "task-two"},
			lines("No tasks depend on 'task-two'.")},
		{"deps none", []string{"-p", fxTasks, "deps", "task-one"},
			lines("Task 'task-one' has no dependencies.")},
		{"topo filtered keeps positions", []string{"-p", fxTasks, "topo", "--status", "completed"},
			lines("Topological order:", "  2. task-three (completed)")},
		{"list by unknown tag", []string{"-p", fxTasks, "list", "--tag", "nothing"},
			lines("No tasks found.")},
		{"list by unknown tag json", []string{"-p", fxTasks, "list", "--tag", "nothing", "-f", "json"},
			lines("[]")},
		{"status defaults to pending in list", []string{"-p", fxNoStatus, "list", "--status", "pending"},
			lines(
				"ID                   STATUS       SCOPE      NAME",
				strings.Repeat("-", 70),
				"x                    pending      -          X",
			)},
		{"status defaults to pending in show", []string{"-p", fxNoStatus, "show", "x"}, lines(
			"ID:     x",
			"Name:   X",
			"Status: pending",
			"",
			"---",
			"Body.",
		)},
		{"flags after positional", []string{"show", "task-one", "-p", fxTasks, "-f", "plain"}, lines(
			"ID:     task-one",
			"Name:   First Task",
			"Status: pending",
			"",
			"---",
			"This is the first task body.",
		)},
		{"flag before command", []string{"--status", "completed", "-p", fxTasks, "topo"},
			lines("Topological order:", "  2. task-three (completed)")},
		{"flag with equals", []string{"--path=" + fxTasks, "list", "--status=completed"}, lines(
			"ID                   STATUS       SCOPE      NAME",
			strings.Repeat("-", 70),
			"task-three           completed    -          Third Task",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRun(t, runCLI(t, tt.args...), exitOK, tt.want, "")
		})
	}
}

func TestEmptyDirectoryOutput(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	tests := []struct {
		command string
		want    string
	}{
		{"topo", "No tasks found.\n"},
		{"parallel", "No tasks found.\n"},
		{"critical", "No tasks found.\n"},
		{"bottleneck", "No tasks found.\n"},
		{"risk", "No tasks found.\n"},
		{"decompose", "No tasks found.\n"},
		{"workflow-cost", "No tasks found.\n"},
		{"risk-path", "No tasks found.\n"},
		{"list", "No tasks found.\n"},
		{"validate", "✓ Valid: 0 tasks\n"},
		{"cycles", "No cycles detected.\n"},
		{"graph", "digraph taskgraph {\n  rankdir=LR;\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			wantRun(t, runCLI(t, "-p", empty, tt.command), exitOK, tt.want, "")
		})
	}
}

func TestWorkflowCostAllCompleted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTaskFile(t, dir, "done.md", "---\nid: done\nname: Done\nstatus: completed\n---\n")
	wantRun(t, runCLI(t, "-p", dir, "workflow-cost"), exitOK, "All tasks completed.\n", "")
	wantJSON(t, runCLI(t, "-p", dir, "-f", "json", "workflow-cost", "--model", "legacy"),
		`{"model":"legacy","propagation_mode":"independent","tasks":[],"total":0,"count":0,"average":0}`)
}

func TestDAGCommandsFailOnCycle(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"topo", "parallel", "critical", "risk-path", "workflow-cost"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			wantRun(t, runCLI(t, "-p", fxCycles, command), exitFailure, "",
				"Error: Circular dependency detected: task-a → task-b → task-c\n")
		})
	}
}

func TestValidateStrict(t *testing.T) {
	t.Parallel()
	t.Run("cycle", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxCycles, "validate", "--strict"), exitFailure, lines(
			"✗ Found 1 issue(s)",
			"",
			"Cycles:",
			"  - task-a → task-b → task-c",
		), "Error: Validation failed with 1 issues\n")
	})
	t.Run("missing dependency", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxInvalid, "validate", "--strict"), exitFailure, lines(
			"✗ Found 1 issue(s)",
			"",
			"Missing dependencies:",
			"  - invalid-task depends on missing: missing-dependency",
		), "Error: Validation failed with 1 issues\n")
	})
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxTasks, "validate", "--strict"), exitOK,
			"✓ Valid: 3 tasks\n", "")
	})
	t.Run("json report before failing", func(t *testing.T) {
		t.Parallel()
		got := runCLI(t, "-p", fxCycles, "-f", "json", "validate", "--strict")
		if got.code != exitFailure {
			t.Errorf("exit code = %d, want %d", got.code, exitFailure)
		}
		if !strings.Contains(got.stdout, `"valid": false`) {
			t.Errorf("stdout = %q, want the JSON report", got.stdout)
		}
	})
}

func TestNotFoundErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"show", []string{"-p", fxTasks, "show", "missing-task"}, "Error: Task not found: missing-task\n"},
		{"deps", []string{"-p", fxTasks, "deps", "nope"}, "Error: Task not found: nope\n"},
		{"dependents", []string{"-p", fxTasks, "dependents", "nope"}, "Error: Task not found: nope\n"},
		{"show json", []string{"-p", fxTasks, "-f", "json", "show", "nope"},
			"Error: Task not found: nope\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRun(t, runCLI(t, tt.args...), exitFailure, "", tt.want)
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		stderr string // checked only when not empty
	}{
		{"unknown command", []string{"frobnicate"}, ""},
		{"unknown format", []string{"--format", "xml", "list"},
			"Error: invalid value \"xml\" for --format (expected one of: plain, json)\n"},
		{"show without id", []string{"show"}, ""},
		{"show with two ids", []string{"show", "a", "b"},
			"Error: \"show\" expects 1 argument <id>, got 2: a b\n"},
		{"init with slash", []string{"-p", empty, "init", "bad/id"}, ""},
		{"init with backslash", []string{"-p", empty, "init", `bad\id`}, ""},
		{"init hidden id", []string{"-p", empty, "init", ".hidden"}, ""},
		{"init empty id", []string{"-p", empty, "init", ""}, ""},
		{"init unknown scope", []string{"-p", empty, "init", "x", "--scope", "huge"},
			"Error: invalid value \"huge\" for --scope " +
				"(expected one of: single, narrow, moderate, broad, system)\n"},
		{"init self dependency", []string{"-p", empty, "init", "x", "-d", "x"}, ""},
		{"unknown mode", []string{"workflow-cost", "--mode", "sideways"}, ""},
		{"negative limit", []string{"workflow-cost", "--limit", "-1"}, ""},
		{"quality retention above one", []string{"workflow-cost", "--quality-retention", "1.5"}, ""},
		{"unknown model", []string{"workflow-cost", "--model", "magic"}, ""},
		{"unsupported shell", []string{"completions", "powershell"}, ""},
		{"unknown flag", []string{"list", "--frobnicate"}, ""},
		{"flag of another command", []string{"list", "--strict"},
			"Error: unknown flag --strict for \"list\" (run 'taskgraph help list' for its flags)\n"},
		{"missing flag value", []string{"list", "--status"},
			"Error: missing value for --status (run 'taskgraph help list' for its flags)\n"},
		{"invalid boolean", []string{"validate", "--strict=maybe"},
			"Error: invalid value \"maybe\" for --strict (expected true or false)\n"},
		{"unknown flag before command", []string{"--frobnicate", "list"}, ""},
		{"unknown status", []string{"list", "--status", "done"}, ""},
		{"bottleneck limit not a number", []string{"bottleneck", "-l", "ten"}, ""},
		{"help unknown command", []string{"help", "frobnicate"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runCLI(t, tt.args...)
			if got.code != exitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", got.code, exitUsage, got.stderr)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want empty", got.stdout)
			}
			if !strings.HasPrefix(got.stderr, "Error: ") {
				t.Errorf("stderr = %q, want an Error: line", got.stderr)
			}
			if tt.stderr != "" && got.stderr != tt.stderr {
				t.Errorf("stderr = %q, want %q", got.stderr, tt.stderr)
			}
		})
	}
	entries, err := os.ReadDir(empty)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("usage errors wrote %d file(s) into the tasks directory", len(entries))
	}
}

func TestMissingDirectory(t *testing.T) {
	t.Parallel()
	got := runCLI(t, "-p", "testdata/does-not-exist", "list")
	if got.code != exitFailure {
		t.Errorf("exit code = %d, want %d", got.code, exitFailure)
	}
	if got.stdout != "" {
		t.Errorf("stdout = %q, want empty", got.stdout)
	}
	want := "Error: reading tasks directory testdata/does-not-exist: no such file or directory\n"
	if got.stderr != want {
		t.Errorf("stderr = %q, want %q", got.stderr, want)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	warning := "Warning: 1 task file(s) could not be loaded; run 'taskgraph validate'.\n"
	t.Run("list warns", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxLoadError, "list"), exitOK, lines(
			"ID                   STATUS       SCOPE      NAME",
			strings.Repeat("-", 70),
			"good                 pending      -          Good",
		), warning)
	})
	t.Run("validate reports", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxLoadError, "validate"), exitOK, lines(
			"✗ Found 1 issue(s)",
			"",
			"Errors:",
			"  - "+filepath.Join(fxLoadError, "bad.md")+
				`: Invalid input for field "risk": Expected union value`,
		), "")
	})
	t.Run("self dependency reported", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxSelf, "validate"), exitOK, lines(
			"✗ Found 1 issue(s)",
			"",
			"Errors:",
			"  - "+filepath.Join(fxSelf, "a.md")+
				`: Invalid input for field "dependsOn": task cannot depend on itself: a`,
		), "")
	})
	t.Run("self dependency dropped from graph", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxSelf, "topo"), exitOK,
			lines("Topological order:", "  1. a (pending)"), warning)
	})
	t.Run("self dependency not listed by deps", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxSelf, "deps", "a"), exitOK,
			lines("Task 'a' has no dependencies."), warning)
	})
}

func TestGraphQuotesIDs(t *testing.T) {
	t.Parallel()
	got := runCLI(t, "-p", fxQuote, "graph")
	if !strings.Contains(got.stdout, "\n  \"say\\\"hi\";\n") {
		t.Errorf("stdout = %q, want the node line \"say\\\"hi\"", got.stdout)
	}
}

func TestQuoteDOT(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"plain", `"plain"`},
		{`back\slash`, `"back\\slash"`},
		{`say"hi`, `"say\"hi"`},
		{"two\nlines", `"two\nlines"`},
	}
	for _, tt := range tests {
		if got := quoteDOT(tt.id); got != tt.want {
			t.Errorf("quoteDOT(%q) = %s, want %s", tt.id, got, tt.want)
		}
	}
}

func TestWriteDOT(t *testing.T) {
	t.Parallel()
	g, err := taskgraph.FromTasks([]taskgraph.TaskInput{
		{ID: "a", Name: "A"},
		{ID: "b", Name: "B", DependsOn: []string{"a"}},
		{ID: "c", Name: "C", DependsOn: []string{"b"}},
		{ID: "d", Name: "D", DependsOn: []string{"a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeDOT(&b, g); err != nil {
		t.Fatal(err)
	}
	want := lines(
		"digraph taskgraph {",
		"  rankdir=LR;",
		`  "a";`,
		`  "b";`,
		`  "c";`,
		`  "d";`,
		`  "a" -> "b";`,
		`  "b" -> "c";`,
		`  "a" -> "d";`,
		"}",
	)
	if b.String() != want {
		t.Errorf("DOT:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestGraphToFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "out.dot")
	wantRun(t, runCLI(t, "-p", fxTasks, "graph", "-o", file), exitOK, lines(
		"Graph written to: "+file,
		"Render with: dot -Tpng "+file+" -o "+filepath.Join(dir, "out.png"),
	), "")

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dot := runCLI(t, "-p", fxTasks, "graph").stdout
	if string(data) != dot {
		t.Errorf("file holds:\n%s\nwant the graph output:\n%s", data, dot)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o644 != 0o644 {
		t.Errorf("file mode = %v, want at least rw-r--r--", info.Mode().Perm())
	}

	jsonFile := filepath.Join(dir, "graph.json")
	got := runCLI(t, "-p", fxTasks, "-f", "json", "graph", "--output", jsonFile)
	wantRun(t, got, exitOK, "{\n  \"path\": \""+jsonFile+"\"\n}\n", "")
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {}, {"help"}} {
		got := runCLI(t, args...)
		if got.code != exitOK {
			t.Errorf("%v: exit code = %d, want 0", args, got.code)
		}
		if !strings.Contains(got.stdout, "CLI tool for managing task dependencies") {
			t.Errorf("%v: stdout = %q, want the root help", args, got.stdout)
		}
	}
	got := runCLI(t, "--version")
	if got.code != exitOK || !strings.HasPrefix(got.stdout, "taskgraph ") {
		t.Errorf("--version = %d %q, want exit 0 and \"taskgraph <version>\"", got.code, got.stdout)
	}
	got = runCLI(t, "workflow-cost", "--help")
	if got.code != exitOK || !strings.Contains(got.stdout, "--quality-retention <x>") {
		t.Errorf("workflow-cost --help = %d %q, want its flags", got.code, got.stdout)
	}
}

func TestCompletions(t *testing.T) {
	t.Parallel()
	bash := runCLI(t, "completions", "bash")
	if bash.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", bash.code, bash.stderr)
	}
	if !strings.Contains(bash.stdout, "complete") || !strings.Contains(bash.stdout, "taskgraph") {
		t.Errorf("bash script lacks complete or taskgraph:\n%s", bash.stdout)
	}
	if shell, err := exec.LookPath("bash"); err == nil {
		check := exec.Command(shell, "-n")
		check.Stdin = strings.NewReader(bash.stdout)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("bash -n rejects the script: %v\n%s", err, out)
		}
	}

	zsh := runCLI(t, "completions", "zsh")
	if !strings.HasPrefix(zsh.stdout, "#compdef taskgraph\n") {
		t.Errorf("zsh script starts with %q", strings.SplitN(zsh.stdout, "\n", 2)[0])
	}
	if shell, err := exec.LookPath("zsh"); err == nil {
		check := exec.Command(shell, "-n")
		check.Stdin = strings.NewReader(zsh.stdout)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("zsh -n rejects the script: %v\n%s", err, out)
		}
	}

	fish := runCLI(t, "completions", "fish")
	if !strings.Contains(fish.stdout, "complete -c taskgraph") {
		t.Errorf("fish script lacks complete -c taskgraph:\n%s", fish.stdout)
	}
	if shell, err := exec.LookPath("fish"); err == nil {
		check := exec.Command(shell, "--no-execute")
		check.Stdin = strings.NewReader(fish.stdout)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("fish --no-execute rejects the script: %v\n%s", err, out)
		}
	}
}
