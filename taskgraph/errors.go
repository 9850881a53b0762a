package taskgraph

import (
	"errors"
	"strings"
)

// ErrTaskgraph matches every error type of this package through errors.Is,
// so callers can tell a task-graph problem from an I/O or context error.
// Use errors.As with the concrete type to read its fields.
var ErrTaskgraph = errors.New("taskgraph error")

// TaskNotFoundError reports an id that is not a node of the graph. For
// UpdateEdge the TaskID is the edge key "prerequisite->dependent".
type TaskNotFoundError struct {
	TaskID string
}

func (e *TaskNotFoundError) Error() string { return "Task not found: " + e.TaskID }

// Is reports whether target is ErrTaskgraph.
func (e *TaskNotFoundError) Is(target error) bool { return target == ErrTaskgraph }

// CircularDependencyError reports that an operation needing an acyclic graph
// met cycles. Cycles holds the result of FindCycles: each cycle lists its ids
// in path order without repeating the first.
type CircularDependencyError struct {
	Cycles [][]string
}

// Error joins the ids of each cycle with " → " and the cycles with "; ".
func (e *CircularDependencyError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, cycle := range e.Cycles {
		parts[i] = strings.Join(cycle, " → ")
	}
	return "Circular dependency detected: " + strings.Join(parts, "; ")
}

// Is reports whether target is ErrTaskgraph.
func (e *CircularDependencyError) Is(target error) bool { return target == ErrTaskgraph }

// InvalidInputError reports input that failed a check. Field is the path of
// the offending value, JSON-pointer style without the leading slash
// ("dependsOn/0", "nodes/1/attributes/risk"), or "" when the value as a
// whole is wrong. Message is the bare description, such as
// "Expected string".
type InvalidInputError struct {
	Field   string
	Message string
}

// Error returns `Invalid input for field "<field>": <message>`, or only the
// message when Field is empty.
func (e *InvalidInputError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return `Invalid input for field "` + e.Field + `": ` + e.Message
}

// Is reports whether target is ErrTaskgraph.
func (e *InvalidInputError) Is(target error) bool { return target == ErrTaskgraph }

// DuplicateNodeError reports a second task with an id already in the graph.
type DuplicateNodeError struct {
	TaskID string
}

func (e *DuplicateNodeError) Error() string { return "Duplicate node: " + e.TaskID }

// Is reports whether target is ErrTaskgraph.
func (e *DuplicateNodeError) Is(target error) bool { return target == ErrTaskgraph }

// DuplicateEdgeError reports a second dependency between the same ordered
// pair of tasks.
type DuplicateEdgeError struct {
	Prerequisite string
	Dependent    string
}

func (e *DuplicateEdgeError) Error() string {
	return "Duplicate edge: " + e.Prerequisite + " → " + e.Dependent
}

// Is reports whether target is ErrTaskgraph.
func (e *DuplicateEdgeError) Is(target error) bool { return target == ErrTaskgraph }

// invalidInput builds an InvalidInputError from a JSON pointer such as
// "/nodes/0/key"; a leading slash is dropped.
func invalidInput(pointer, message string) *InvalidInputError {
	return &InvalidInputError{Field: strings.TrimPrefix(pointer, "/"), Message: message}
}

// Validation messages, worded as the schema validator of the original
// TypeScript library words them so that reports stay comparable.
const (
	msgRequired      = "Expected required property"
	msgString        = "Expected string"
	msgArray         = "Expected array"
	msgObject        = "Expected object"
	msgNumber        = "Expected number"
	msgInteger       = "Expected integer"
	msgBoolean       = "Expected boolean"
	msgUnion         = "Expected union value"
	msgFalse         = "Expected false"
	msgDirected      = `Expected "directed"`
	msgNoFrontmatter = "No valid frontmatter found"
	msgNotMapping    = "YAML frontmatter must be a mapping (object), not a scalar or array"
	msgYAMLPrefix    = "YAML parse error: "
)

// selfDependency builds the error for a task that lists itself as a
// prerequisite.
func selfDependency(field, id string) *InvalidInputError {
	return &InvalidInputError{Field: field, Message: "task cannot depend on itself: " + id}
}
