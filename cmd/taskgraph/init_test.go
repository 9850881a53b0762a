package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestInitCreatesTaskFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "new-task.md")
	wantRun(t, runCLI(t, "-p", dir, "init", "new-task", "--name", "New Task"), exitOK, lines(
		"Created: "+path,
		"Edit the file to add dependencies and details.",
	), "")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	content := string(data)
	task, err := taskgraph.ParseFrontmatter(content, taskgraph.Strict())
	if err != nil {
		t.Fatalf("strict parse of the new file: %v\n%s", err, content)
	}
	if task.ID != "new-task" {
		t.Errorf("id = %q, want new-task", task.ID)
	}
	if task.Name != "New Task" {
		t.Errorf("name = %q, want New Task", task.Name)
	}
	if task.DependsOn == nil || len(task.DependsOn) != 0 {
		t.Errorf("dependsOn = %#v, want []", task.DependsOn)
	}
	if status, _ := task.Status.Get(); status != taskgraph.StatusPending {
		t.Errorf("status = %q, want pending", status)
	}
	created, _ := task.Created.Get()
	modified, _ := task.Modified.Get()
	if created != modified {
		t.Errorf("created %q != modified %q", created, modified)
	}
	if created != "2026-01-02T15:04:05Z" {
		t.Errorf("created = %q, want the fixed clock in RFC 3339 UTC", created)
	}
	if _, err := time.Parse(time.RFC3339, created); err != nil {
		t.Errorf("created is not RFC 3339: %v", err)
	}
	if !strings.Contains(content, "\ndepends_on: []\n") {
		t.Errorf("file lacks the line depends_on: []:\n%s", content)
	}
	if !strings.HasSuffix(content, "# Description\n\n[Add task description here]\n") {
		t.Errorf("file does not end with the description stub:\n%s", content)
	}
}

func TestInitDefaultsNameToID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if got := runCLI(t, "-p", dir, "init", "plain-id"); got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	task, err := taskgraph.ParseTaskFile(filepath.Join(dir, "plain-id.md"))
	if err != nil {
		t.Fatal(err)
	}
	if task.Name != "plain-id" {
		t.Errorf("name = %q, want the id", task.Name)
	}
}

func TestInitWritesLabels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := runCLI(t, "-p", dir, "init", "scoped-task", "--name", "Scoped Task",
		"--scope", "NARROW", "--risk", "low", "--impact", "Phase")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "scoped-task.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"scope: narrow", "risk: low", "impact: phase"} {
		if !strings.Contains(string(data), "\n"+line+"\n") {
			t.Errorf("file lacks the line %q:\n%s", line, data)
		}
	}
}

func TestInitDependsOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := runCLI(t, "-p", dir, "init", "child", "-d", "a,b", "--depends-on", " c ", "-d", "a")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	task, err := taskgraph.ParseTaskFile(filepath.Join(dir, "child.md"), taskgraph.Strict())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "c", "a"}
	if strings.Join(task.DependsOn, ",") != strings.Join(want, ",") {
		t.Errorf("dependsOn = %q, want %q", task.DependsOn, want)
	}
}

func TestInitWritesExactFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := runCLI(t, "-p", dir, "init", "api", "-n", "Build the API", "--scope", "broad",
		"--risk", "high", "--impact", "phase", "-d", "design")
	if got.code != exitOK {
		t.Fatalf("exit code = %d, stderr %q", got.code, got.stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := lines(
		"---",
		"id: api",
		"name: Build the API",
		"depends_on:",
		"  - design",
		"status: pending",
		"scope: broad",
		"risk: high",
		"impact: phase",
		`created: "2026-01-02T15:04:05Z"`,
		`modified: "2026-01-02T15:04:05Z"`,
		"---",
		"",
		"# Description",
		"",
		"[Add task description here]",
	)
	if string(data) != want {
		t.Errorf("file:\n%s\nwant:\n%s", data, want)
	}
}

func TestInitRejectsExistingTask(t *testing.T) {
	t.Parallel()
	t.Run("loaded id", func(t *testing.T) {
		t.Parallel()
		wantRun(t, runCLI(t, "-p", fxTasks, "init", "task-one"), exitFailure, "",
			"Error: Task already exists: task-one\n")
	})
	t.Run("id in a file of another name", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeTaskFile(t, dir, "sub/other-name.md", "---\nid: taken\nname: Taken\n---\n")
		wantRun(t, runCLI(t, "-p", dir, "init", "taken"), exitFailure, "",
			"Error: Task already exists: taken\n")
		if _, err := os.Stat(filepath.Join(dir, "taken.md")); err == nil {
			t.Error("init wrote taken.md although the id exists")
		}
	})
	t.Run("file exists without frontmatter", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := writeTaskFile(t, dir, "notes.md", "just notes\n")
		wantRun(t, runCLI(t, "-p", dir, "init", "notes"), exitFailure, "",
			"Error: Task already exists: notes\n")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != "just notes\n" {
			t.Errorf("init overwrote the existing file: %q", data)
		}
	})
}

func TestInitCreatesDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "tasks")
	got := runCLI(t, "-p", dir, "-f", "json", "init", "first")
	path := filepath.Join(dir, "first.md")
	wantRun(t, got, exitOK, "{\n  \"id\": \"first\",\n  \"path\": \""+path+"\"\n}\n", "")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("task file: %v", err)
	}
}
