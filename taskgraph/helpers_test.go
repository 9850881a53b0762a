package taskgraph_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/alkdev/alkhub/taskgraph"
)

// tolerance is the largest difference at which two computed floats count as
// equal, unless a test compares bit for bit.
const tolerance = 1e-9

// exportAll lets cmp look into the unexported state of taskgraph.Opt.
func exportAll() cmp.Option {
	return cmp.Exporter(func(reflect.Type) bool { return true })
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading test data: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
}

// fixtureTasks returns a named task list of testdata/fixtures.json.
func fixtureTasks(t *testing.T, name string) []taskgraph.TaskInput {
	t.Helper()
	var all map[string][]taskgraph.TaskInput
	readJSON(t, "fixtures.json", &all)
	tasks, ok := all[name]
	if !ok {
		t.Fatalf("fixture %s not found", name)
	}
	return tasks
}

// fixtureGraph builds a named task list of testdata/fixtures.json with
// FromTasks.
func fixtureGraph(t *testing.T, name string) *taskgraph.TaskGraph {
	t.Helper()
	g, err := taskgraph.FromTasks(fixtureTasks(t, name))
	if err != nil {
		t.Fatalf("FromTasks(%s): %v", name, err)
	}
	return g
}

// jsonGraph builds a named document of testdata/graphs.json with FromJSON.
func jsonGraph(t *testing.T, name string) *taskgraph.TaskGraph {
	t.Helper()
	var all map[string]json.RawMessage
	readJSON(t, "graphs.json", &all)
	doc, ok := all[name]
	if !ok {
		t.Fatalf("graph %s not found", name)
	}
	g, err := taskgraph.FromJSON(doc)
	if err != nil {
		t.Fatalf("FromJSON(%s): %v", name, err)
	}
	return g
}

// taskOption sets a field of a task built by task.
type taskOption func(*taskgraph.TaskInput)

// task returns a TaskInput named "Task <id>" with the given dependencies.
func task(id string, deps []string, opts ...taskOption) taskgraph.TaskInput {
	t := taskgraph.TaskInput{ID: id, Name: "Task " + id, DependsOn: deps}
	if deps == nil {
		t.DependsOn = []string{}
	}
	for _, opt := range opts {
		opt(&t)
	}
	return t
}

func deps(ids ...string) []string { return ids }

func withRisk(r taskgraph.Risk) taskOption {
	return func(t *taskgraph.TaskInput) { t.Risk = taskgraph.Some(r) }
}

func withScope(s taskgraph.Scope) taskOption {
	return func(t *taskgraph.TaskInput) { t.Scope = taskgraph.Some(s) }
}

func withImpact(i taskgraph.Impact) taskOption {
	return func(t *taskgraph.TaskInput) { t.Impact = taskgraph.Some(i) }
}

func withStatus(s taskgraph.Status) taskOption {
	return func(t *taskgraph.TaskInput) { t.Status = taskgraph.Some(s) }
}

func withName(name string) taskOption {
	return func(t *taskgraph.TaskInput) { t.Name = name }
}

// mustGraph builds tasks with FromTasks.
func mustGraph(t *testing.T, tasks ...taskgraph.TaskInput) *taskgraph.TaskGraph {
	t.Helper()
	g, err := taskgraph.FromTasks(tasks)
	if err != nil {
		t.Fatalf("FromTasks: %v", err)
	}
	return g
}

func near(a, b float64) bool { return math.Abs(a-b) <= tolerance }

func checkNear(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkExact(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want exactly %v", what, got, want)
	}
}

func checkEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if diff := cmp.Diff(want, got, exportAll()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// asError returns err as *E or fails the test.
func asError[E error](t *testing.T, err error) E {
	t.Helper()
	e, ok := errors.AsType[E](err)
	if !ok {
		var zero E
		t.Fatalf("error = %v (%T), want %T", err, err, zero)
	}
	return e
}

// checkInvalidField checks that err is an *InvalidInputError on field.
func checkInvalidField(t *testing.T, err error, field string) *taskgraph.InvalidInputError {
	t.Helper()
	e := asError[*taskgraph.InvalidInputError](t, err)
	if e.Field != field {
		t.Errorf("Field = %q, want %q (message %q)", e.Field, field, e.Message)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// threeCycle returns A -> B -> C -> A built with AddTask and AddDependency.
func threeCycle(t *testing.T) *taskgraph.TaskGraph {
	t.Helper()
	g := taskgraph.New()
	for _, id := range []string{"A", "B", "C"} {
		if err := g.AddTask(id, taskgraph.NodeAttrs{Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, pair := range [][2]string{{"A", "B"}, {"B", "C"}, {"C", "A"}} {
		if err := g.AddDependency(pair[0], pair[1]); err != nil {
			t.Fatal(err)
		}
	}
	return g
}
