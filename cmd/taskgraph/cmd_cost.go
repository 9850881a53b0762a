package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/alkdev/alkhub/taskgraph"
)

// Cost models of workflow-cost.
const (
	// costModelLibrary costs each task with the expected value of
	// taskgraph.WorkflowCost and propagates upstream failure.
	costModelLibrary = "library"
	// costModelLegacy costs each task with taskgraph.LegacyEV, the retry
	// model of the earlier taskgraph CLI, without propagation.
	costModelLegacy = "legacy"
)

// costSettings are the checked flags of workflow-cost.
type costSettings struct {
	model            string
	mode             taskgraph.PropagationMode
	qualityRetention float64
	limit            int
	includeCompleted bool
}

func parseCostSettings(o *options) (costSettings, error) {
	s := costSettings{
		model:            costModelLibrary,
		mode:             taskgraph.PropagationDAG,
		qualityRetention: 0.9,
		includeCompleted: o.includeCompleted,
	}

	switch o.model {
	case "":
	case costModelLibrary, costModelLegacy:
		s.model = o.model
	default:
		return s, invalidFlagValue("model", o.model, "one of: library, legacy")
	}

	switch mode := taskgraph.PropagationMode(o.mode); mode {
	case "":
	case taskgraph.PropagationDAG, taskgraph.PropagationIndependent:
		s.mode = mode
	default:
		return s, invalidFlagValue("mode", o.mode, "one of: dag-propagate, independent")
	}

	if o.qualityRetention != "" {
		qr, err := strconv.ParseFloat(o.qualityRetention, 64)
		if err != nil || math.IsNaN(qr) || qr < 0 || qr > 1 {
			return s, invalidFlagValue("quality-retention", o.qualityRetention,
				"a number from 0 to 1")
		}
		s.qualityRetention = qr
	}

	limit, err := parseLimit(o.limit, 15)
	if err != nil {
		return s, err
	}
	s.limit = limit
	return s, nil
}

type costRow struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Cost         float64 `json:"cost"`
	PIntrinsic   float64 `json:"p_intrinsic"`
	PEffective   float64 `json:"p_effective"`
	ScopeCost    float64 `json:"scope_cost"`
	ImpactWeight float64 `json:"impact_weight"`
}

type costDocument struct {
	Model           string    `json:"model"`
	PropagationMode string    `json:"propagation_mode"`
	Tasks           []costRow `json:"tasks"`
	Total           float64   `json:"total"`
	Count           int       `json:"count"`
	Average         float64   `json:"average"`
}

func (c *cli) runWorkflowCost(inv *invocation) error {
	settings, err := parseCostSettings(inv.opts)
	if err != nil {
		return err
	}
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}

	var rows []costRow
	mode := settings.mode
	if settings.model == costModelLegacy {
		mode = taskgraph.PropagationIndependent
		rows, err = legacyCosts(p.graph, settings.includeCompleted)
	} else {
		rows, err = libraryCosts(p.graph, settings)
	}
	if err != nil {
		return err
	}

	// Totals cover every costed task, summed in topological order, before
	// the rows are sorted and limited.
	doc := costDocument{Model: settings.model, PropagationMode: string(mode), Count: len(rows)}
	for _, row := range rows {
		doc.Total += row.Cost
	}
	if doc.Count > 0 {
		doc.Average = doc.Total / float64(doc.Count)
	}
	slices.SortStableFunc(rows, func(a, b costRow) int { return cmp.Compare(b.Cost, a.Cost) })
	visibleRows, cut := limitRows(rows, settings.limit)
	doc.Tasks = nonNil(visibleRows)

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	writeCostTable(inv, p, doc, cut, settings.includeCompleted)
	return nil
}

func writeCostTable(inv *invocation, p *project, doc costDocument, cut int, includeCompleted bool) {
	w := inv.out
	switch {
	case p.graph.TaskCount() == 0:
		fmt.Fprintln(w, noTasksMessage)
		return
	case doc.Count == 0:
		fmt.Fprintln(w, "All tasks completed.")
		return
	}

	suffix := " (excluding completed)"
	if includeCompleted {
		suffix = ""
	}
	fmt.Fprintf(w, "Workflow Cost Analysis (%d tasks)%s:\n\n", doc.Count, suffix)
	fmt.Fprintf(w, "%-20s %10s %s\n", "ID", "COST", "NAME")
	fmt.Fprintln(w, rule(narrowRule))
	for _, row := range doc.Tasks {
		fmt.Fprintf(w, "%-20s %10.2f %s\n", row.ID, row.Cost, row.Name)
	}
	if cut > 0 {
		fmt.Fprintf(w, "... and %d more\n", cut)
	}
	fmt.Fprintln(w, rule(narrowRule))
	fmt.Fprintf(w, "%-20s %10.2f (relative units)\n\n", "TOTAL", doc.Total)
	fmt.Fprintf(w, "Average per task: %.2f\n\n", doc.Average)
	fmt.Fprintln(w, "Note: Values are relative units for comparison, not dollars.")
}

// libraryCosts returns the rows of the library model in topological order.
// Task files cannot give a dependency its own quality retention, so the
// --quality-retention value (0.9 unless given) is set on every edge of g.
func libraryCosts(g *taskgraph.TaskGraph, s costSettings) ([]costRow, error) {
	qr := s.qualityRetention
	for _, edge := range g.Edges() {
		if err := g.UpdateEdge(edge.From, edge.To, taskgraph.EdgeAttrs{QualityRetention: &qr}); err != nil {
			return nil, fmt.Errorf("setting quality retention: %w", err)
		}
	}
	result, err := taskgraph.WorkflowCost(g, taskgraph.WorkflowCostOptions{
		IncludeCompleted:        s.includeCompleted,
		PropagationMode:         s.mode,
		DefaultQualityRetention: &qr,
	})
	if err != nil {
		return nil, err
	}
	rows := make([]costRow, len(result.Tasks))
	for i, entry := range result.Tasks {
		rows[i] = costRow{
			ID: entry.TaskID, Name: entry.Name, Cost: entry.EV,
			PIntrinsic: entry.PIntrinsic, PEffective: entry.PEffective,
			ScopeCost: entry.ScopeCost, ImpactWeight: entry.ImpactWeight,
		}
	}
	return rows, nil
}

// legacyCosts returns the rows of the legacy model in topological order:
// the same task selection as the library model, each task costed on its
// own success probability.
func legacyCosts(g *taskgraph.TaskGraph, includeCompleted bool) ([]costRow, error) {
	order, err := g.TopologicalOrder()
	if err != nil {
		return nil, err
	}
	rows := make([]costRow, 0, len(order))
	for _, id := range order {
		attrs, _ := g.Task(id)
		if attrs.Status == taskgraph.StatusCompleted && !includeCompleted {
			continue
		}
		r := taskgraph.ResolveDefaults(attrs)
		rows = append(rows, costRow{
			ID: id, Name: attrs.Name,
			Cost:       taskgraph.LegacyEV(r.SuccessProbability, r.CostEstimate, r.ImpactWeight),
			PIntrinsic: r.SuccessProbability, PEffective: r.SuccessProbability,
			ScopeCost: r.CostEstimate, ImpactWeight: r.ImpactWeight,
		})
	}
	return rows, nil
}
