package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const taskX = "---\nid: x\nname: X\n---\n"

func TestResolveTasksDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		hasConfig bool
		config    string
		want      string // relative to the config's directory when hasConfig
	}{
		{"no config", false, "", "tasks"},
		{"tasks_dir relative to config", true, "[project]\ntasks_dir = \"my-tasks\"\n", "my-tasks"},
		{"project table without tasks_dir", true, "[project]\n", "tasks"},
		{"empty config", true, "", "tasks"},
		{"unknown keys ignored", true,
			"title = 'x'\n[project]\nname = \"demo\"\ntasks_dir = 'work/items' # comment\n" +
				"[other]\nlist = [1, 2, 3]\n", "work/items"},
		{"tasks_dir as dotted key", true, "project.tasks_dir = \"dotted\"\n", "dotted"},
		{"no project table", true, "[tool]\nx = 1\n", "tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			sub := filepath.Join(root, "sub", "deeper")
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if tt.hasConfig {
				writeTaskFile(t, root, configFileName, tt.config)
				want = filepath.Join(root, tt.want)
			}
			got, err := resolveTasksDir(sub)
			if err != nil {
				t.Fatalf("resolveTasksDir: %v", err)
			}
			if got != want {
				t.Errorf("tasks dir = %q, want %q", got, want)
			}
		})
	}
}

func TestResolveTasksDirAbsolute(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere")
	writeTaskFile(t, root, configFileName, "[project]\ntasks_dir = '"+abs+"'\n")
	got, err := resolveTasksDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if got != abs {
		t.Errorf("tasks dir = %q, want %q", got, abs)
	}
}

func TestResolveTasksDirNearestConfig(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project]\ntasks_dir = \"outer\"\n")
	writeTaskFile(t, root, "inner/"+configFileName, "[project]\ntasks_dir = \"near\"\n")
	got, err := resolveTasksDir(filepath.Join(root, "inner"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "inner", "near"); got != want {
		t.Errorf("tasks dir = %q, want %q", got, want)
	}
}

func TestResolveTasksDirSkipsConfigDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project]\ntasks_dir = \"outer\"\n")
	if err := os.MkdirAll(filepath.Join(root, "inner", configFileName), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := resolveTasksDir(filepath.Join(root, "inner"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "outer"); got != want {
		t.Errorf("tasks dir = %q, want %q", got, want)
	}
}

func TestResolveTasksDirErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		want   string
	}{
		{"unclosed table", "[project\n", "to end table name"},
		{"tasks_dir not a string", "[project]\ntasks_dir = 3\n", "tasks_dir must be a non-empty string"},
		{"tasks_dir empty", "[project]\ntasks_dir = ''\n", "tasks_dir must be a non-empty string"},
		{"project not a table", "project = \"x\"\n", "project must be a table"},
		{"broken ignored key", "[project]\ntasks_dir = \"t\"\n[other]\nx = \n", "line 4 (last key \"other.x\")"},
		{"duplicate key", "[project]\ntasks_dir = \"a\"\ntasks_dir = \"b\"\n", "has already been defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := writeTaskFile(t, root, configFileName, tt.config)
			_, err := resolveTasksDir(root)
			if err == nil {
				t.Fatal("resolveTasksDir succeeded, want an error")
			}
			prefix := "Config parse error: " + path + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error = %q, want prefix %q", err, prefix)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// The tests below change the working directory of the process, so they
// cannot run in parallel. Go runs them before any parallel test resumes.

func TestDefaultTasksDirIsRelative(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	writeTaskFile(t, root, "tasks/x.md", taskX)
	got := runCLI(t, "-f", "json", "validate")
	wantJSON(t, got, `{"valid":true,"task_count":1,"error_count":0,"errors":[],
		"missing_dependencies":{},"cycles":[]}`)

	missing := t.TempDir()
	t.Chdir(missing)
	got = runCLI(t, "list")
	if got.code != exitFailure {
		t.Errorf("exit code = %d, want %d", got.code, exitFailure)
	}
	if want := "Error: reading tasks directory tasks: "; !strings.HasPrefix(got.stderr, want) {
		t.Errorf("stderr = %q, want prefix %q", got.stderr, want)
	}
}

func TestConfigFromSubdirectory(t *testing.T) {
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project]\ntasks_dir = \"my-tasks\"\n")
	writeTaskFile(t, root, "my-tasks/x.md", taskX)
	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)

	got := runCLI(t, "-f", "json", "show", "x")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	wantPath := filepath.Join(root, "my-tasks", "x.md")
	if !strings.Contains(got.stdout, `"path": "`+wantPath+`"`) {
		t.Errorf("stdout:\n%s\nwant path %s", got.stdout, wantPath)
	}
}

func TestConfigWithoutTasksDir(t *testing.T) {
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project]\n")
	writeTaskFile(t, root, "tasks/x.md", taskX)
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)

	got := runCLI(t, "-f", "json", "init", "y")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "tasks", "y.md")); err != nil {
		t.Errorf("init did not write into the config's tasks directory: %v", err)
	}
}

func TestConfigParseErrorExits(t *testing.T) {
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project\n")
	t.Chdir(root)

	got := runCLI(t, "list")
	if got.code != exitFailure {
		t.Errorf("exit code = %d, want %d", got.code, exitFailure)
	}
	if got.stdout != "" {
		t.Errorf("stdout = %q, want empty", got.stdout)
	}
	if !strings.HasPrefix(got.stderr, "Error: Config parse error:") {
		t.Errorf("stderr = %q, want a config parse error", got.stderr)
	}
}

func TestPathFlagWinsOverConfig(t *testing.T) {
	root := t.TempDir()
	writeTaskFile(t, root, configFileName, "[project]\ntasks_dir = \"configured\"\n")
	writeTaskFile(t, root, "configured/x.md", taskX)
	writeTaskFile(t, root, "flagged/z.md", "---\nid: z\nname: Z\n---\n")
	t.Chdir(root)

	got := runCLI(t, "-p", "flagged", "list")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	if !strings.Contains(got.stdout, "\nz ") || strings.Contains(got.stdout, "\nx ") {
		t.Errorf("stdout:\n%s\nwant only task z from --path", got.stdout)
	}

	// --path wins even when the config cannot be parsed.
	writeTaskFile(t, root, configFileName, "[project\n")
	if got := runCLI(t, "-p", "flagged", "list"); got.code != exitOK {
		t.Errorf("exit code = %d with a broken config and --path, stderr %q", got.code, got.stderr)
	}
}
