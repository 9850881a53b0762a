package taskgraph_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/alkdev/alkhub/taskgraph"
)

// writeFiles creates the files (relative path to content) below a new
// temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func taskFile(id, name string, deps ...string) string {
	list := "[]"
	if len(deps) > 0 {
		list = "[" + strings.Join(deps, ", ") + "]"
	}
	return "---\nid: " + id + "\nname: " + name + "\ndependsOn: " + list + "\n---\nBody"
}

func taskIDs(tasks []taskgraph.TaskInput) []string {
	ids := []string{}
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	return ids
}

func TestParseTaskFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"task.md": "---\nid: file-task\nname: File Task\ndependsOn: []\n---\nBody",
		"full-task.md": "---\nid: full-file-task\nname: Full File Task\ndependsOn: [task-a]\n" +
			"status: in-progress\nscope: narrow\nrisk: high\nimpact: component\n" +
			"level: implementation\npriority: critical\ntags: [urgent]\nassignee: alice\n" +
			"due: \"2026-06-01\"\n---\n",
		"plain.md":    "Just some markdown content\nNo frontmatter",
		"bad-yaml.md": "---\nid: bad yaml: [unclosed\n---\n",
		"bom.md":      "\ufeff---\nid: bom-task\nname: BOM Task\ndependsOn: []\n---\n",
		"no-id.md":    "---\nname: Nameless\n---\n",
	})
	parse := func(name string) (taskgraph.TaskInput, error) {
		return taskgraph.ParseTaskFile(filepath.Join(dir, name))
	}

	got, err := parse("task.md")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "task", got, taskgraph.TaskInput{ID: "file-task", Name: "File Task",
		DependsOn: []string{}})

	got, err = parse("full-task.md")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "full task", got, taskgraph.TaskInput{ID: "full-file-task",
		Name: "Full File Task", DependsOn: []string{"task-a"},
		Status: taskgraph.Some(taskgraph.StatusInProgress),
		Scope:  taskgraph.Some(taskgraph.ScopeNarrow), Risk: taskgraph.Some(taskgraph.RiskHigh),
		Impact:   taskgraph.Some(taskgraph.ImpactComponent),
		Level:    taskgraph.Some(taskgraph.LevelImplementation),
		Priority: taskgraph.Some(taskgraph.PriorityCritical), Tags: []string{"urgent"},
		Assignee: taskgraph.Some("alice"), Due: taskgraph.Some("2026-06-01")})

	_, err = parse("missing.md")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error = %v, want fs.ErrNotExist", err)
	}
	if _, ok := errors.AsType[*taskgraph.InvalidInputError](err); ok {
		t.Error("missing file reported as invalid input")
	}

	for _, name := range []string{"plain.md", "bad-yaml.md"} {
		_, err := parse(name)
		checkInvalidField(t, err, "")
	}
	_, err = parse("no-id.md")
	checkInvalidField(t, err, "id")
	if want := filepath.Join(dir, "no-id.md"); !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), `field "id"`) {
		t.Errorf("error %q does not name the file and the field", err)
	}

	got, err = parse("bom.md")
	if err != nil || got.ID != "bom-task" {
		t.Errorf("BOM file = %+v, %v", got, err)
	}
}

func TestParseTaskDirectory(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		strict bool
		want   []string
	}{
		{"two tasks", map[string]string{"task-a.md": taskFile("task-a", "A"),
			"task-b.md": taskFile("task-b", "B", "task-a")}, false, []string{"task-a", "task-b"}},
		{"other extensions ignored", map[string]string{"task.md": taskFile("task-1", "T"),
			"notes.txt": "notes", "config.json": "{}", "script.js": "let x"}, false,
			[]string{"task-1"}},
		{"invalid files skipped in strict mode", map[string]string{
			"valid.md": taskFile("valid-task", "V"), "no-frontmatter.md": "plain text",
			"invalid-schema.md": "---\nid: broken\nname: Broken\n---\n"}, true,
			[]string{"valid-task"}},
		{"lenient mode keeps files without dependsOn", map[string]string{
			"valid.md": taskFile("valid-task", "V"), "no-frontmatter.md": "plain text",
			"invalid-schema.md": "---\nid: broken\nname: Broken\n---\n"}, false,
			[]string{"broken", "valid-task"}},
		{"recursive walk order", map[string]string{"root.md": taskFile("root-task", "R"),
			"subdir/sub.md":       taskFile("sub-task", "S"),
			"subdir/deep/deep.md": taskFile("deep-task", "D")}, false,
			[]string{"root-task", "deep-task", "sub-task"}},
		{"empty directory", map[string]string{}, false, []string{}},
		{"mixed directory", map[string]string{"root-valid.md": taskFile("root", "R"),
			"mixed/sub-valid.md": taskFile("sub", "S"), "mixed/no-fm.md": "no frontmatter",
			"mixed/data.csv": "a,b"}, false, []string{"sub", "root"}},
		{"invalid label skipped", map[string]string{"valid.md": taskFile("good", "G"),
			"bad-risk.md": "---\nid: bad\nname: Bad\ndependsOn: []\nrisk: extreme-invalid-value\n---\n"},
			false, []string{"good"}},
		{"upper-case extension", map[string]string{"UPPER.MD": taskFile("upper", "U")}, false,
			[]string{"upper"}},
		{"duplicate ids kept", map[string]string{"task1.md": taskFile("same-id", "One"),
			"task2.md": taskFile("same-id", "Two")}, false, []string{"same-id", "same-id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			var opts []taskgraph.ParseOption
			if tc.strict {
				opts = append(opts, taskgraph.Strict())
			}
			tasks, err := taskgraph.ParseTaskDirectory(dir, opts...)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "ids", taskIDs(tasks), tc.want)
		})
	}

	_, err := taskgraph.ParseTaskDirectory(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory error = %v", err)
	}

	dir := writeFiles(t, map[string]string{"task1.md": taskFile("same-id", "One"),
		"task2.md": taskFile("same-id", "Two")})
	tasks, _ := taskgraph.ParseTaskDirectory(dir)
	_, err = taskgraph.FromTasks(tasks)
	if e := asError[*taskgraph.DuplicateNodeError](t, err); e.TaskID != "same-id" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
}

func TestParseTaskDirectoryIgnoresSymlinks(t *testing.T) {
	dir := writeFiles(t, map[string]string{"real.md": taskFile("real", "R")})
	if err := os.Symlink(filepath.Join(dir, "real.md"), filepath.Join(dir, "link.md")); err != nil {
		t.Skipf("symbolic links not supported: %v", err)
	}
	tasks, err := taskgraph.ParseTaskDirectory(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "ids", taskIDs(tasks), []string{"real"})
}

func TestParseTaskFS(t *testing.T) {
	fsys := fstest.MapFS{
		"tasks/task-a.md": {Data: []byte(taskFile("task-a", "A"))},
		"tasks/task-b.md": {Data: []byte(taskFile("task-b", "B", "task-a"))},
		"tasks/notes.txt": {Data: []byte("ignored")},
	}
	tasks, err := taskgraph.ParseTaskFS(fsys, "tasks")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "ids", taskIDs(tasks), []string{"task-a", "task-b"})

	tasks, err = taskgraph.ParseTaskFS(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "ids from root", taskIDs(tasks), []string{"task-a", "task-b"})

	_, err = taskgraph.ParseTaskFS(fsys, "missing")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing root error = %v", err)
	}
}

func TestLoadTaskDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{"test.md": "---\nid: test\nname: Test Task\n---\nBody content"})
	set, err := taskgraph.LoadTaskDirectory(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "tasks", set.Tasks, []taskgraph.TaskFile{{Path: filepath.Join(dir, "test.md"),
		Task: taskgraph.TaskInput{ID: "test", Name: "Test Task", DependsOn: []string{}},
		Body: "Body content"}})
	checkEqual(t, "errors", set.Errors, []taskgraph.FileError{})

	dir = writeFiles(t, map[string]string{"valid.md": taskFile("valid", "V"),
		"invalid.md": "no frontmatter", "readme.md": "# Readme"})
	set, _ = taskgraph.LoadTaskDirectory(dir)
	checkEqual(t, "ids", taskIDs(set.Inputs()), []string{"valid"})
	checkEqual(t, "errors", set.Errors, []taskgraph.FileError{})

	dir = writeFiles(t, map[string]string{"task1.md": taskFile("same-id", "One"),
		"task2.md": taskFile("same-id", "Two")})
	set, _ = taskgraph.LoadTaskDirectory(dir)
	checkEqual(t, "first file wins", set.Tasks[0].Task.Name, "One")
	checkEqual(t, "duplicate", set.Errors, []taskgraph.FileError{{
		Path: filepath.Join(dir, "task2.md"), Message: "Duplicate task ID: same-id"}})
	if len(set.Tasks) != 1 {
		t.Errorf("loaded %d tasks, want 1", len(set.Tasks))
	}

	dir = writeFiles(t, map[string]string{
		"bad.md":      "---\nid: bad\nname: Bad\nrisk: extreme\n---\n",
		"no-id.md":    "---\nname: Nameless\n---\n",
		"broken.md":   "---\nid: [unclosed\n---\n",
		"scalar.md":   "---\njust text\n---\n",
		"bad-dep.md":  "---\nid: d\nname: D\ndependsOn: [a, 3]\n---\n",
		"cyc-a.md":    "---\nid: cyc-a\nname: A\ndepends_on: [cyc-b]\n---\n",
		"cyc-b.md":    "---\nid: cyc-b\nname: B\ndepends_on: [cyc-a]\n---\n",
		"readme.md":   "# no frontmatter",
		"sub/deep.md": "---\nid: deep\nname: Deep\nstatus: done\n---\n",
	})
	set, err = taskgraph.LoadTaskDirectory(dir)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for _, e := range set.Errors {
		byPath[filepath.Base(e.Path)] = e.Message
	}
	checkEqual(t, "bad risk", byPath["bad.md"], `Invalid input for field "risk": Expected union value`)
	checkEqual(t, "missing id", byPath["no-id.md"],
		`Invalid input for field "id": Expected required property`)
	checkEqual(t, "bad dependency", byPath["bad-dep.md"],
		`Invalid input for field "dependsOn/1": Expected string`)
	checkEqual(t, "bad status", byPath["deep.md"],
		`Invalid input for field "status": Expected union value`)
	checkEqual(t, "not a mapping", byPath["scalar.md"],
		"YAML frontmatter must be a mapping (object), not a scalar or array")
	if !strings.Contains(byPath["broken.md"], "YAML parse error: ") {
		t.Errorf("broken YAML message = %q", byPath["broken.md"])
	}
	if len(set.Errors) != 6 {
		t.Errorf("got %d errors, want 6: %+v", len(set.Errors), set.Errors)
	}
	checkEqual(t, "loaded", taskIDs(set.Inputs()), []string{"cyc-a", "cyc-b"})

	g, err := taskgraph.FromTasks(set.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.TopologicalOrder()
	e := asError[*taskgraph.CircularDependencyError](t, err)
	checkEqual(t, "cycle", e.Cycles, [][]string{{"cyc-a", "cyc-b"}})

	_, err = taskgraph.LoadTaskDirectory(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory error = %v", err)
	}
}

func TestLoadTaskDirectoryUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("file permissions do not apply to root")
	}
	dir := writeFiles(t, map[string]string{"ok.md": taskFile("ok", "OK"),
		"locked.md": taskFile("locked", "L")})
	if err := os.Chmod(filepath.Join(dir, "locked.md"), 0); err != nil {
		t.Fatal(err)
	}
	set, err := taskgraph.LoadTaskDirectory(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Errors) != 1 || set.Errors[0].Path != filepath.Join(dir, "locked.md") {
		t.Errorf("errors = %+v", set.Errors)
	}
	if _, err := taskgraph.ParseTaskDirectory(dir); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ParseTaskDirectory error = %v, want fs.ErrPermission", err)
	}
}

func TestLoadTaskFS(t *testing.T) {
	fsys := fstest.MapFS{
		"a.md":   {Data: []byte("---\nid: a\nname: A\n---\nBody A\n")},
		"b.md":   {Data: []byte("---\nid: a\nname: Again\n---\n")},
		"c.md":   {Data: []byte("---\nid: c\n---\n")},
		"README": {Data: []byte("not a task")},
	}
	set, err := taskgraph.LoadTaskFS(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "tasks", set.Tasks, []taskgraph.TaskFile{{Path: "a.md",
		Task: taskgraph.TaskInput{ID: "a", Name: "A", DependsOn: []string{}}, Body: "Body A\n"}})
	checkEqual(t, "errors", set.Errors, []taskgraph.FileError{
		{Path: "b.md", Message: "Duplicate task ID: a"},
		{Path: "c.md", Message: `Invalid input for field "name": Expected required property`},
	})
}

func TestMissingDependencies(t *testing.T) {
	tests := []struct {
		name  string
		tasks []taskgraph.TaskInput
		want  []taskgraph.MissingDependency
	}{
		{"one missing", []taskgraph.TaskInput{task("task-1", deps("missing-task")),
			task("task-2", deps("task-1"))},
			[]taskgraph.MissingDependency{{TaskID: "task-1", Missing: []string{"missing-task"}}}},
		{"repeats and self", []taskgraph.TaskInput{task("a", deps("x", "x", "a", "y"))},
			[]taskgraph.MissingDependency{{TaskID: "a", Missing: []string{"x", "y"}}}},
		{"none", []taskgraph.TaskInput{task("a", nil), task("b", deps("a"))},
			[]taskgraph.MissingDependency{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkEqual(t, "missing", taskgraph.MissingDependencies(tc.tasks), tc.want)
		})
	}
}
