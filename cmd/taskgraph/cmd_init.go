package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alkdev/alkhub/taskgraph"
)

// newTaskBody is the Markdown body of a task file created by init.
const newTaskBody = "\n# Description\n\n[Add task description here]\n"

// checkTaskID rejects ids that cannot name a file inside the tasks
// directory: empty ones, ones with a path separator and hidden ones.
func checkTaskID(id string) error {
	if id == "" || strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return usageErrorf("invalid task id %q: an id must not be empty, contain '/' or '\\', "+
			"or start with '.'", id)
	}
	return nil
}

// parseLabelFlag returns the lower-cased value of a label flag, or a usage
// error when it is not one of values. An empty value stays empty.
func parseLabelFlag[T ~string](flagName, value string, values []T) (T, error) {
	if value == "" {
		return "", nil
	}
	v := T(strings.ToLower(value))
	if !slices.Contains(values, v) {
		return "", invalidFlagValue(flagName, value, "one of: "+joinValues(values))
	}
	return v, nil
}

// newTask returns the record init writes, or a usage error for an invalid
// flag value.
func newTask(id string, o *options, now time.Time) (taskgraph.TaskInput, error) {
	scope, err := parseLabelFlag("scope", o.scope, taskgraph.Scopes())
	if err != nil {
		return taskgraph.TaskInput{}, err
	}
	risk, err := parseLabelFlag("risk", o.risk, taskgraph.Risks())
	if err != nil {
		return taskgraph.TaskInput{}, err
	}
	impact, err := parseLabelFlag("impact", o.impact, taskgraph.Impacts())
	if err != nil {
		return taskgraph.TaskInput{}, err
	}
	if slices.Contains(o.dependsOn, id) {
		return taskgraph.TaskInput{}, usageErrorf(
			"invalid value %q for --depends-on (a task cannot depend on itself)", id)
	}

	name := o.name
	if name == "" {
		name = id
	}
	stamp := now.UTC().Format(time.RFC3339)
	task := taskgraph.TaskInput{
		ID:        id,
		Name:      name,
		DependsOn: nonNil(o.dependsOn),
		Status:    taskgraph.Some(taskgraph.StatusPending),
		Created:   taskgraph.Some(stamp),
		Modified:  taskgraph.Some(stamp),
	}
	if scope != "" {
		task.Scope = taskgraph.Some(scope)
	}
	if risk != "" {
		task.Risk = taskgraph.Some(risk)
	}
	if impact != "" {
		task.Impact = taskgraph.Some(impact)
	}
	return task, nil
}

func (c *cli) runInit(inv *invocation) error {
	id := inv.args[0]
	if err := checkTaskID(id); err != nil {
		return err
	}
	task, err := newTask(id, inv.opts, c.now())
	if err != nil {
		return err
	}
	dir, err := tasksDir(inv.opts)
	if err != nil {
		return err
	}

	if err := ensureNewID(dir, id); err != nil {
		return err
	}
	content, err := taskgraph.SerializeFrontmatter(task, newTaskBody, taskgraph.SnakeCaseKeys())
	if err != nil {
		return fmt.Errorf("serializing task %s: %w", id, err)
	}
	path := filepath.Join(dir, id+".md")
	if err := writeNewFile(path, content); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return taskExists(id)
		}
		return err
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, struct {
			ID   string `json:"id"`
			Path string `json:"path"`
		}{id, path})
	}
	fmt.Fprintf(inv.out, "Created: %s\n", path)
	fmt.Fprintln(inv.out, "Edit the file to add dependencies and details.")
	return nil
}

// ensureNewID creates dir when it does not exist, and otherwise fails when
// a task file in it already uses id.
func ensureNewID(dir, id string) error {
	_, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating tasks directory: %w", err)
		}
		return nil
	}
	p, err := readProject(dir)
	if err != nil {
		return err
	}
	if _, exists := p.task(id); exists {
		return taskExists(id)
	}
	return nil
}

func taskExists(id string) error {
	return fmt.Errorf("Task already exists: %s", id)
}

// writeNewFile writes content to a file that must not exist yet. The error
// wraps fs.ErrExist when it does.
func writeNewFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating task file: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("writing task file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing task file: %w", err)
	}
	return nil
}
