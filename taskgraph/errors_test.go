package taskgraph_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestErrorTexts(t *testing.T) {
	tests := []struct {
		err  error
		want string
		typ  string
	}{
		{&taskgraph.TaskNotFoundError{TaskID: "task-42"}, "Task not found: task-42",
			"*taskgraph.TaskNotFoundError"},
		{&taskgraph.CircularDependencyError{Cycles: [][]string{{"a", "b", "c"}}},
			"Circular dependency detected: a → b → c", "*taskgraph.CircularDependencyError"},
		{&taskgraph.CircularDependencyError{Cycles: [][]string{{"a", "b", "a"}, {"x", "y", "x"}}},
			"Circular dependency detected: a → b → a; x → y → x",
			"*taskgraph.CircularDependencyError"},
		{&taskgraph.InvalidInputError{Field: "name", Message: "is required"},
			`Invalid input for field "name": is required`, "*taskgraph.InvalidInputError"},
		{&taskgraph.InvalidInputError{Message: "No valid frontmatter found"},
			"No valid frontmatter found", "*taskgraph.InvalidInputError"},
		{&taskgraph.DuplicateNodeError{TaskID: "task-99"}, "Duplicate node: task-99",
			"*taskgraph.DuplicateNodeError"},
		{&taskgraph.DuplicateEdgeError{Prerequisite: "prereq-task", Dependent: "dep-task"},
			"Duplicate edge: prereq-task → dep-task", "*taskgraph.DuplicateEdgeError"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if got := fmt.Sprintf("%T", tc.err); got != tc.typ {
				t.Errorf("type = %s, want %s", got, tc.typ)
			}
			if !errors.Is(tc.err, taskgraph.ErrTaskgraph) {
				t.Error("errors.Is(err, ErrTaskgraph) = false")
			}
			if errors.Is(tc.err, errors.New(tc.want)) {
				t.Error("error matches a plain error with the same text")
			}
			wrapped := fmt.Errorf("ctx: %w", tc.err)
			if !errors.Is(wrapped, taskgraph.ErrTaskgraph) {
				t.Error("wrapped error does not match ErrTaskgraph")
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	if taskgraph.ErrTaskgraph == nil {
		t.Fatal("ErrTaskgraph is nil")
	}
	if !errors.Is(taskgraph.ErrTaskgraph, taskgraph.ErrTaskgraph) {
		t.Error("ErrTaskgraph does not match itself")
	}
	if errors.Is(errors.New("x"), taskgraph.ErrTaskgraph) {
		t.Error("a plain error matches ErrTaskgraph")
	}

	cycles := [][]string{{"a", "b", "c", "a"}, {"x", "y", "x"}}
	circular := &taskgraph.CircularDependencyError{Cycles: cycles}
	checkEqual(t, "cycles", circular.Cycles, cycles)

	invalid := &taskgraph.InvalidInputError{Field: "dependsOn", Message: "must be an array"}
	if invalid.Field != "dependsOn" || invalid.Message != "must be an array" {
		t.Errorf("fields = %+v", invalid)
	}

	edge := &taskgraph.DuplicateEdgeError{Prerequisite: "prereq-task", Dependent: "dep-task"}
	if edge.Prerequisite != "prereq-task" || edge.Dependent != "dep-task" {
		t.Errorf("fields = %+v", edge)
	}

	find := func() error { return &taskgraph.TaskNotFoundError{TaskID: "task-1"} }
	err := fmt.Errorf("looking up: %w", find())
	if !errors.Is(err, taskgraph.ErrTaskgraph) {
		t.Error("returned error does not match ErrTaskgraph")
	}
	notFound := asError[*taskgraph.TaskNotFoundError](t, err)
	if notFound.TaskID != "task-1" {
		t.Errorf("TaskID = %q, want task-1", notFound.TaskID)
	}
}
