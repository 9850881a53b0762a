package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// project is a loaded tasks directory: the task files that loaded, the
// files that did not, and the dependency graph built from the loaded tasks.
type project struct {
	dir   string
	tasks []taskgraph.TaskFile
	// index maps a task id to its position in tasks.
	index map[string]int
	// errors lists the files that failed to load and the files whose task
	// depends on itself, in directory walk order.
	errors []taskgraph.FileError
	// graph holds every loaded task and only the dependencies between loaded
	// tasks: missing prerequisites, self-dependencies and repeats are
	// dropped, so it never has orphan nodes.
	graph *taskgraph.TaskGraph
}

// task returns the loaded task file with the given id.
func (p *project) task(id string) (taskgraph.TaskFile, bool) {
	i, ok := p.index[id]
	if !ok {
		return taskgraph.TaskFile{}, false
	}
	return p.tasks[i], true
}

// name returns the name of the graph node id.
func (p *project) name(id string) string {
	attrs, _ := p.graph.Task(id)
	return attrs.Name
}

// status returns the displayed status of the graph node id.
func (p *project) status(id string) string {
	attrs, _ := p.graph.Task(id)
	return nodeStatus(attrs)
}

// tasksDir returns the tasks directory of an invocation: --path when
// given, else the one the config file or the default names.
func tasksDir(o *options) (string, error) {
	if o.path != "" {
		return o.path, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting the working directory: %w", err)
	}
	return resolveTasksDir(wd)
}

// loadProject loads the tasks directory of inv and, when load errors
// exist, writes the one-line warning that points to validate.
func (c *cli) loadProject(inv *invocation) (*project, error) {
	p, err := c.loadProjectQuietly(inv)
	if err != nil {
		return nil, err
	}
	if n := len(p.errors); n > 0 {
		fmt.Fprintf(c.stderr,
			"Warning: %d task file(s) could not be loaded; run 'taskgraph validate'.\n", n)
	}
	return p, nil
}

// loadProjectQuietly loads the tasks directory of inv without the warning,
// for validate, which reports the load errors itself.
func (c *cli) loadProjectQuietly(inv *invocation) (*project, error) {
	dir, err := tasksDir(inv.opts)
	if err != nil {
		return nil, err
	}
	return readProject(dir)
}

// readProject reads every task file below dir leniently and builds the
// graph of the loaded tasks.
func readProject(dir string) (*project, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading tasks directory %s: %w", dir, unwrapPathError(err))
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading tasks directory %s: not a directory", dir)
	}
	set, err := taskgraph.LoadTaskDirectory(dir)
	if err != nil {
		return nil, fmt.Errorf("reading tasks directory %s: %w", dir, err)
	}

	p := &project{
		dir:    dir,
		tasks:  set.Tasks,
		index:  make(map[string]int, len(set.Tasks)),
		errors: set.Errors,
	}
	for i, tf := range p.tasks {
		p.index[tf.Task.ID] = i
	}

	inputs := make([]taskgraph.TaskInput, len(p.tasks))
	for i, tf := range p.tasks {
		task := tf.Task
		deps, selfDependent := p.loadedDependencies(task)
		task.DependsOn = deps
		inputs[i] = task
		if selfDependent {
			selfErr := &taskgraph.InvalidInputError{
				Field:   "dependsOn",
				Message: "task cannot depend on itself: " + task.ID,
			}
			p.errors = append(p.errors, taskgraph.FileError{Path: tf.Path, Message: selfErr.Error()})
		}
	}
	slices.SortStableFunc(p.errors, func(a, b taskgraph.FileError) int {
		return compareWalkOrder(a.Path, b.Path)
	})

	p.graph, err = taskgraph.FromTasks(inputs)
	if err != nil {
		return nil, fmt.Errorf("building the task graph: %w", err)
	}
	return p, nil
}

// loadedDependencies returns the prerequisites of t that were loaded, in
// dependsOn order without repeats, and whether t lists its own id.
func (p *project) loadedDependencies(t taskgraph.TaskInput) (deps []string, selfDependent bool) {
	deps = make([]string, 0, len(t.DependsOn))
	for _, dep := range t.DependsOn {
		switch _, loaded := p.index[dep]; {
		case dep == t.ID:
			selfDependent = true
		case loaded && !slices.Contains(deps, dep):
			deps = append(deps, dep)
		}
	}
	return deps, selfDependent
}

// compareWalkOrder orders two paths below the same root the way a lexical
// depth-first directory walk visits them: component by component.
func compareWalkOrder(a, b string) int {
	return slices.Compare(
		strings.Split(filepath.ToSlash(a), "/"),
		strings.Split(filepath.ToSlash(b), "/"))
}

// unwrapPathError returns the cause of an *fs.PathError, so that messages
// name the directory once.
func unwrapPathError(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}
