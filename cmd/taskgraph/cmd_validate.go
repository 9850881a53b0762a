package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

type fileErrorRow struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type validateDocument struct {
	Valid               bool                `json:"valid"`
	TaskCount           int                 `json:"task_count"`
	ErrorCount          int                 `json:"error_count"`
	Errors              []fileErrorRow      `json:"errors"`
	MissingDependencies missingDependencies `json:"missing_dependencies"`
	Cycles              [][]string          `json:"cycles"`
}

// missingDependencies marshals as a JSON object from task id to missing
// prerequisite ids, with the tasks in load order rather than sorted.
type missingDependencies []taskgraph.MissingDependency

func (m missingDependencies) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, entry := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(entry.TaskID)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(nonNil(entry.Missing))
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (c *cli) runValidate(inv *invocation) error {
	p, err := c.loadProjectQuietly(inv)
	if err != nil {
		return err
	}

	inputs := make([]taskgraph.TaskInput, len(p.tasks))
	for i, tf := range p.tasks {
		inputs[i] = tf.Task
	}
	missing := taskgraph.MissingDependencies(inputs)
	cycles := nonNil(p.graph.FindCycles())
	issues := len(p.errors) + len(missing) + len(cycles)

	doc := validateDocument{
		Valid:               issues == 0,
		TaskCount:           len(p.tasks),
		ErrorCount:          issues,
		Errors:              make([]fileErrorRow, len(p.errors)),
		MissingDependencies: missingDependencies(missing),
		Cycles:              cycles,
	}
	for i, fe := range p.errors {
		doc.Errors[i] = fileErrorRow{Path: fe.Path, Message: fe.Message}
	}

	if inv.jsonOutput() {
		err = writeJSON(inv.out, doc)
	} else {
		writeValidateReport(inv, doc)
	}
	if err != nil {
		return err
	}
	if inv.opts.strict && issues > 0 {
		return &reportedError{message: fmt.Sprintf("Validation failed with %d issues", issues)}
	}
	return nil
}

func writeValidateReport(inv *invocation, doc validateDocument) {
	w := inv.out
	if doc.Valid {
		fmt.Fprintf(w, "✓ Valid: %d tasks\n", doc.TaskCount)
		return
	}

	fmt.Fprintf(w, "✗ Found %d issue(s)\n", doc.ErrorCount)
	if len(doc.Errors) > 0 {
		fmt.Fprint(w, "\nErrors:\n")
		for _, fe := range doc.Errors {
			fmt.Fprintf(w, "  - %s: %s\n", fe.Path, fe.Message)
		}
	}
	if len(doc.MissingDependencies) > 0 {
		fmt.Fprint(w, "\nMissing dependencies:\n")
		for _, entry := range doc.MissingDependencies {
			fmt.Fprintf(w, "  - %s depends on missing: %s\n",
				entry.TaskID, strings.Join(entry.Missing, ", "))
		}
	}
	if len(doc.Cycles) > 0 {
		fmt.Fprint(w, "\nCycles:\n")
		for _, cycle := range doc.Cycles {
			fmt.Fprintf(w, "  - %s\n", formatCycle(cycle))
		}
	}
}
