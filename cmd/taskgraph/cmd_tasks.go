package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// checkStatusFlag rejects a --status value that is not a task status.
func checkStatusFlag(status string) error {
	if status == "" || taskgraph.Status(status).Valid() {
		return nil
	}
	return invalidFlagValue("status", status, "one of: "+joinValues(taskgraph.Statuses()))
}

type listRow struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	Scope     *string  `json:"scope"`
	Risk      *string  `json:"risk"`
	Impact    *string  `json:"impact"`
	DependsOn []string `json:"depends_on"`
	Tags      []string `json:"tags"`
}

func (c *cli) runList(inv *invocation) error {
	if err := checkStatusFlag(inv.opts.status); err != nil {
		return err
	}
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}

	rows := []listRow{}
	for _, tf := range p.tasks {
		t := tf.Task
		if inv.opts.status != "" && displayStatus(t.Status) != inv.opts.status {
			continue
		}
		if inv.opts.tag != "" && !slices.Contains(t.Tags, inv.opts.tag) {
			continue
		}
		rows = append(rows, listRow{
			ID: t.ID, Name: t.Name, Status: displayStatus(t.Status),
			Scope: labelJSON(t.Scope), Risk: labelJSON(t.Risk), Impact: labelJSON(t.Impact),
			DependsOn: nonNil(t.DependsOn), Tags: nonNil(t.Tags),
		})
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(inv.out, "No tasks found.")
		return nil
	}
	fmt.Fprintf(inv.out, "%-20s %-12s %-10s %s\n", "ID", "STATUS", "SCOPE", "NAME")
	fmt.Fprintln(inv.out, rule(wideRule))
	for _, row := range rows {
		fmt.Fprintf(inv.out, "%-20s %-12s %-10s %s\n", row.ID, row.Status, textOrDash(row.Scope), row.Name)
	}
	return nil
}

// loadTask loads the project and returns the task named by the first
// argument, or *taskgraph.TaskNotFoundError when no loaded task has that id.
func (c *cli) loadTask(inv *invocation) (*project, taskgraph.TaskFile, error) {
	p, err := c.loadProject(inv)
	if err != nil {
		return nil, taskgraph.TaskFile{}, err
	}
	id := inv.args[0]
	tf, ok := p.task(id)
	if !ok {
		return nil, taskgraph.TaskFile{}, &taskgraph.TaskNotFoundError{TaskID: id}
	}
	return p, tf, nil
}

type showDocument struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	DependsOn []string `json:"depends_on"`
	Scope     *string  `json:"scope"`
	Risk      *string  `json:"risk"`
	Impact    *string  `json:"impact"`
	Level     *string  `json:"level"`
	Priority  *string  `json:"priority"`
	Tags      []string `json:"tags"`
	Assignee  *string  `json:"assignee"`
	Due       *string  `json:"due"`
	Created   *string  `json:"created"`
	Modified  *string  `json:"modified"`
	Path      string   `json:"path"`
	Body      string   `json:"body"`
}

func (c *cli) runShow(inv *invocation) error {
	_, tf, err := c.loadTask(inv)
	if err != nil {
		return err
	}
	t := tf.Task
	doc := showDocument{
		ID: t.ID, Name: t.Name, Status: displayStatus(t.Status), DependsOn: nonNil(t.DependsOn),
		Scope: labelJSON(t.Scope), Risk: labelJSON(t.Risk), Impact: labelJSON(t.Impact),
		Level: labelJSON(t.Level), Priority: labelJSON(t.Priority), Tags: nonNil(t.Tags),
		Assignee: labelJSON(t.Assignee), Due: labelJSON(t.Due),
		Created: labelJSON(t.Created), Modified: labelJSON(t.Modified),
		Path: tf.Path, Body: strings.TrimSpace(tf.Body),
	}
	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}

	w := inv.out
	fmt.Fprintf(w, "ID:     %s\n", doc.ID)
	fmt.Fprintf(w, "Name:   %s\n", doc.Name)
	fmt.Fprintf(w, "Status: %s\n", doc.Status)
	if len(doc.DependsOn) > 0 {
		fmt.Fprintf(w, "Depends on: %s\n", strings.Join(doc.DependsOn, ", "))
	}
	writeOptional := func(label string, value *string) {
		if value != nil {
			fmt.Fprintf(w, "%s%s\n", label, *value)
		}
	}
	writeOptional("Scope:  ", doc.Scope)
	writeOptional("Risk:   ", doc.Risk)
	writeOptional("Impact: ", doc.Impact)
	writeOptional("Level:  ", doc.Level)
	writeOptional("Priority: ", doc.Priority)
	if len(doc.Tags) > 0 {
		fmt.Fprintf(w, "Tags:   %s\n", strings.Join(doc.Tags, ", "))
	}
	writeOptional("Assignee: ", doc.Assignee)
	writeOptional("Due:    ", doc.Due)
	writeOptional("Created: ", doc.Created)
	writeOptional("Modified: ", doc.Modified)
	if doc.Body != "" {
		fmt.Fprintf(w, "\n---\n%s\n", doc.Body)
	}
	return nil
}

type dependencyRow struct {
	ID     string  `json:"id"`
	Name   *string `json:"name"`
	Status *string `json:"status"`
	Exists bool    `json:"exists"`
}

type depsDocument struct {
	TaskID       string          `json:"task_id"`
	Dependencies []dependencyRow `json:"dependencies"`
}

func (c *cli) runDeps(inv *invocation) error {
	p, tf, err := c.loadTask(inv)
	if err != nil {
		return err
	}
	id := tf.Task.ID

	// The list is the file's dependsOn without repeats. The task's own id is
	// left out: it is reported by validate and never becomes an edge.
	doc := depsDocument{TaskID: id, Dependencies: []dependencyRow{}}
	var seen []string
	for _, dep := range tf.Task.DependsOn {
		if dep == id || slices.Contains(seen, dep) {
			continue
		}
		seen = append(seen, dep)
		row := dependencyRow{ID: dep}
		if _, loaded := p.task(dep); loaded {
			name, status := p.name(dep), p.status(dep)
			row.Name, row.Status, row.Exists = &name, &status, true
		}
		doc.Dependencies = append(doc.Dependencies, row)
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	if len(doc.Dependencies) == 0 {
		fmt.Fprintf(inv.out, "Task '%s' has no dependencies.\n", id)
		return nil
	}
	fmt.Fprintf(inv.out, "Dependencies of '%s':\n", id)
	for _, row := range doc.Dependencies {
		status := "MISSING"
		if row.Exists {
			status = *row.Status
		}
		fmt.Fprintf(inv.out, "  - %s (%s)\n", row.ID, status)
	}
	return nil
}

// taskRow is a task reference in JSON output.
type taskRow struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type dependentsDocument struct {
	TaskID     string    `json:"task_id"`
	Dependents []taskRow `json:"dependents"`
}

func (c *cli) runDependents(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	id := inv.args[0]
	dependents, err := p.graph.Dependents(id)
	if err != nil {
		return err
	}

	doc := dependentsDocument{TaskID: id, Dependents: p.taskRows(dependents)}
	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	if len(doc.Dependents) == 0 {
		fmt.Fprintf(inv.out, "No tasks depend on '%s'.\n", id)
		return nil
	}
	fmt.Fprintf(inv.out, "Tasks that depend on '%s':\n", id)
	for _, row := range doc.Dependents {
		fmt.Fprintf(inv.out, "  - %s (%s)\n", row.ID, row.Status)
	}
	return nil
}

// taskRows returns the id, name and displayed status of each graph node.
func (p *project) taskRows(ids []string) []taskRow {
	rows := make([]taskRow, len(ids))
	for i, id := range ids {
		rows[i] = taskRow{ID: id, Name: p.name(id), Status: p.status(id)}
	}
	return rows
}
