package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildBinary compiles the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("building the binary is skipped in -short mode")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skipf("go tool not found at %s: %v", goTool, err)
	}
	binary := filepath.Join(t.TempDir(), "taskgraph")
	build := exec.Command(goTool, "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return binary
}

// runBinary runs the built command and returns what it produced.
func runBinary(t *testing.T, binary string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", binary, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestBinaryMatchesInProcess runs every golden command line through the
// real binary and checks that it prints what the in-process run prints,
// with the same exit code.
func TestBinaryMatchesInProcess(t *testing.T) {
	binary := buildBinary(t)
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			t.Parallel()
			got := runBinary(t, binary, gc.args...)
			want := runCLI(t, gc.args...)
			if got != want {
				t.Errorf("binary:\n%s\nin-process:\n%s",
					renderResult(gc.args, got), renderResult(gc.args, want))
			}
		})
	}
}

func TestBinaryExitCodes(t *testing.T) {
	binary := buildBinary(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"success", []string{"-p", fxTasks, "list"}, exitOK},
		{"cycle", []string{"-p", fxCycles, "topo"}, exitFailure},
		{"strict validation", []string{"-p", fxInvalid, "validate", "--strict"}, exitFailure},
		{"unknown task", []string{"-p", fxTasks, "show", "nope"}, exitFailure},
		{"usage", []string{"frobnicate"}, exitUsage},
		{"no command", nil, exitOK},
	}
	for _, tt := range tests {
		if got := runBinary(t, binary, tt.args...); got.code != tt.code {
			t.Errorf("%s: exit code = %d, want %d (stderr %q)", tt.name, got.code, tt.code, got.stderr)
		}
	}

	version := runBinary(t, binary, "--version")
	if !strings.HasPrefix(version.stdout, "taskgraph ") || version.code != exitOK {
		t.Errorf("--version = %d %q, want exit 0 and \"taskgraph <version>\"", version.code, version.stdout)
	}
}

func TestBinaryInitWritesFile(t *testing.T) {
	binary := buildBinary(t)
	dir := t.TempDir()
	got := runBinary(t, binary, "-p", dir, "init", "first", "--risk", "HIGH")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	list := runBinary(t, binary, "-p", dir, "-f", "json", "list")
	if !strings.Contains(list.stdout, `"risk": "high"`) {
		t.Errorf("list after init:\n%s", list.stdout)
	}
}

// TestBashCompletionOfTaskIDs loads the bash script into a real bash and
// completes "show <TAB>" with the built binary listing the task ids.
func TestBashCompletionOfTaskIDs(t *testing.T) {
	binary := buildBinary(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	script := bashCompletion() + `
COMP_WORDS=("$TASKGRAPH" -p "$TASKS" show task-t)
COMP_CWORD=4
_taskgraph
printf '%s\n' "${COMPREPLY[@]}"
COMP_WORDS=("$TASKGRAPH" workflow-cost --mode "")
COMP_CWORD=3
_taskgraph
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "-c", script)
	cmd.Env = append(os.Environ(), "TASKGRAPH="+binary, "TASKS="+fxTasks)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := "task-three\ntask-two\ndag-propagate\nindependent\n"
	if string(out) != want {
		t.Errorf("completions:\n%s\nwant:\n%s", out, want)
	}
}
