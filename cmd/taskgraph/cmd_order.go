package main

import (
	"fmt"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// noTasksMessage is the whole plain output of an analysis over an empty
// tasks directory.
const noTasksMessage = "No tasks found."

type topoRow struct {
	Position int    `json:"position"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
}

type topoDocument struct {
	Order []topoRow `json:"order"`
}

func (c *cli) runTopo(inv *invocation) error {
	if err := checkStatusFlag(inv.opts.status); err != nil {
		return err
	}
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	order, err := p.graph.TopologicalOrder()
	if err != nil {
		return err
	}

	// Positions count every task, so a filtered row keeps its place in the
	// full order.
	doc := topoDocument{Order: []topoRow{}}
	for i, id := range order {
		status := p.status(id)
		if inv.opts.status != "" && status != inv.opts.status {
			continue
		}
		doc.Order = append(doc.Order, topoRow{Position: i + 1, ID: id, Name: p.name(id), Status: status})
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	if len(order) == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprintln(inv.out, "Topological order:")
	for _, row := range doc.Order {
		fmt.Fprintf(inv.out, "  %d. %s (%s)\n", row.Position, row.ID, row.Status)
	}
	return nil
}

type cyclesDocument struct {
	HasCycles  bool       `json:"has_cycles"`
	CycleCount int        `json:"cycle_count"`
	Cycles     [][]string `json:"cycles"`
}

func (c *cli) runCycles(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	cycles := nonNil(p.graph.FindCycles())

	if inv.jsonOutput() {
		return writeJSON(inv.out, cyclesDocument{
			HasCycles: len(cycles) > 0, CycleCount: len(cycles), Cycles: cycles,
		})
	}
	if len(cycles) == 0 {
		fmt.Fprintln(inv.out, "No cycles detected.")
		return nil
	}
	fmt.Fprintf(inv.out, "Found %d cycle(s):\n", len(cycles))
	for i, cycle := range cycles {
		fmt.Fprintf(inv.out, "  %d. %s\n", i+1, formatCycle(cycle))
	}
	return nil
}

// formatCycle joins the ids of a cycle with arrows, first id not repeated.
func formatCycle(cycle []string) string {
	return strings.Join(cycle, " → ")
}

type parallelDocument struct {
	Groups          [][]string `json:"groups"`
	GenerationCount int        `json:"generation_count"`
	TaskCount       int        `json:"task_count"`
}

func (c *cli) runParallel(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	groups, err := taskgraph.ParallelGroups(p.graph)
	if err != nil {
		return err
	}
	groups = nonNil(groups)

	if inv.jsonOutput() {
		return writeJSON(inv.out, parallelDocument{
			Groups: groups, GenerationCount: len(groups), TaskCount: p.graph.TaskCount(),
		})
	}
	if p.graph.TaskCount() == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprint(inv.out, "Parallel work groups (same group = can run concurrently):\n\n")
	for i, group := range groups {
		fmt.Fprintf(inv.out, "Generation %d:\n", i+1)
		for _, id := range group {
			fmt.Fprintf(inv.out, "  - %s (%s)\n", id, p.status(id))
		}
		fmt.Fprintln(inv.out)
	}
	fmt.Fprintf(inv.out, "Total: %d generations, %d tasks\n", len(groups), p.graph.TaskCount())
	return nil
}

type criticalDocument struct {
	Path   []taskRow `json:"path"`
	Length int       `json:"length"`
}

func (c *cli) runCritical(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	path, err := taskgraph.CriticalPath(p.graph)
	if err != nil {
		return err
	}
	doc := criticalDocument{Path: p.taskRows(path), Length: len(path)}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	if p.graph.TaskCount() == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprint(inv.out, "Critical path (longest path through graph):\n\n")
	for i, row := range doc.Path {
		if i > 0 {
			fmt.Fprintln(inv.out, "  ↓")
		}
		fmt.Fprintf(inv.out, "  %s - %s (%s)\n", row.ID, row.Name, row.Status)
	}
	fmt.Fprintf(inv.out, "\nLength: %d tasks\n", doc.Length)
	return nil
}
