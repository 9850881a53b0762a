package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// parseLimit returns the --limit value, or def when the flag is not given.
// Zero means no limit.
func parseLimit(value string, def int) (int, error) {
	if value == "" {
		return def, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0, invalidFlagValue("limit", value, "a non-negative integer")
	}
	return n, nil
}

// limitRows returns the first limit rows of a list (all of them for 0) and
// how many were cut.
func limitRows[T any](rows []T, limit int) (kept []T, cut int) {
	if limit == 0 || limit >= len(rows) {
		return rows, 0
	}
	return rows[:limit], len(rows) - limit
}

type bottleneckRow struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
}

type bottleneckDocument struct {
	TaskCount   int             `json:"task_count"`
	Bottlenecks []bottleneckRow `json:"bottlenecks"`
}

func (c *cli) runBottleneck(inv *invocation) error {
	limit, err := parseLimit(inv.opts.limit, 10)
	if err != nil {
		return err
	}
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}

	results := taskgraph.Bottlenecks(p.graph)
	rows := make([]bottleneckRow, len(results))
	for i, r := range results {
		rows[i] = bottleneckRow{ID: r.TaskID, Name: p.name(r.TaskID), Score: r.Score}
	}
	rows, cut := limitRows(rows, limit)

	if inv.jsonOutput() {
		return writeJSON(inv.out, bottleneckDocument{TaskCount: p.graph.TaskCount(), Bottlenecks: rows})
	}
	if p.graph.TaskCount() == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprint(inv.out, "Bottleneck tasks (ranked by betweenness centrality):\n\n")
	fmt.Fprintf(inv.out, "%-20s %10s %s\n", "ID", "SCORE", "NAME")
	fmt.Fprintln(inv.out, rule(narrowRule))
	for _, row := range rows {
		fmt.Fprintf(inv.out, "%-20s %10.4f %s\n", row.ID, row.Score, row.Name)
	}
	if cut > 0 {
		fmt.Fprintf(inv.out, "... and %d more\n", cut)
	}
	return nil
}

type riskDocument struct {
	TaskCount    int                        `json:"task_count"`
	Distribution taskgraph.RiskDistribution `json:"distribution"`
}

func (c *cli) runRisk(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	// RiskDistributionOf never returns a nil list, so every JSON list is
	// present.
	doc := riskDocument{
		TaskCount:    p.graph.TaskCount(),
		Distribution: taskgraph.RiskDistributionOf(p.graph),
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	n := doc.TaskCount
	if n == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprintf(inv.out, "Risk Distribution (%d tasks):\n\n", n)
	buckets := []struct {
		label string
		ids   []string
	}{
		{"CRITICAL", doc.Distribution.Critical}, {"HIGH", doc.Distribution.High},
		{"MEDIUM", doc.Distribution.Medium}, {"LOW", doc.Distribution.Low},
		{"TRIVIAL", doc.Distribution.Trivial},
	}
	for _, bucket := range buckets {
		p.writeRiskBucket(inv, bucket.label, bucket.ids, n)
	}
	if len(doc.Distribution.Unspecified) > 0 {
		fmt.Fprintln(inv.out)
		p.writeRiskBucket(inv, "UNSPECIFIED", doc.Distribution.Unspecified, n)
	}
	return nil
}

// writeRiskBucket writes one bucket of the risk command's plain output:
// its count and share of all n tasks, then one line per task.
func (p *project) writeRiskBucket(inv *invocation, label string, ids []string, n int) {
	if len(ids) == 0 {
		fmt.Fprintf(inv.out, "%s: 0\n", label)
		return
	}
	pct := fmt.Sprintf("%.0f", float64(len(ids))*100/float64(n))
	fmt.Fprintf(inv.out, "%s: %d (%s%%)\n", label, len(ids), pct)
	for _, id := range ids {
		fmt.Fprintf(inv.out, "  - %s (%s)\n", id, p.name(id))
	}
}

type decomposeRow struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Reasons []string `json:"reasons"`
}

type decomposeDocument struct {
	TaskCount int            `json:"task_count"`
	Tasks     []decomposeRow `json:"tasks"`
}

func (c *cli) runDecompose(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	doc := decomposeDocument{TaskCount: p.graph.TaskCount(), Tasks: []decomposeRow{}}
	for _, id := range p.graph.IDs() {
		attrs, _ := p.graph.Task(id)
		advice := taskgraph.ShouldDecomposeTask(attrs)
		if advice.ShouldDecompose {
			doc.Tasks = append(doc.Tasks, decomposeRow{ID: id, Name: attrs.Name, Reasons: advice.Reasons})
		}
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	switch {
	case doc.TaskCount == 0:
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	case len(doc.Tasks) == 0:
		fmt.Fprintln(inv.out, "No tasks need decomposition.")
		fmt.Fprintln(inv.out, "All tasks have risk <= medium and scope <= moderate.")
		return nil
	}
	fmt.Fprintf(inv.out, "Tasks that should be decomposed (%d):\n\n", len(doc.Tasks))
	fmt.Fprintf(inv.out, "%-20s %s\n", "ID", "REASONS")
	fmt.Fprintln(inv.out, rule(narrowRule))
	for _, row := range doc.Tasks {
		fmt.Fprintf(inv.out, "%-20s %s\n", row.ID, strings.Join(row.Reasons, "; "))
	}
	fmt.Fprintln(inv.out)
	fmt.Fprintln(inv.out, "Recommendation: Split these tasks into smaller, lower-risk tasks.")
	return nil
}

type riskPathRow struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Risk   *string `json:"risk"`
	Impact *string `json:"impact"`
	Weight float64 `json:"weight"`
}

type riskPathDocument struct {
	Path      []riskPathRow `json:"path"`
	TotalRisk float64       `json:"total_risk"`
}

func (c *cli) runRiskPath(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}
	result, err := taskgraph.RiskPath(p.graph)
	if err != nil {
		return err
	}

	doc := riskPathDocument{Path: []riskPathRow{}, TotalRisk: result.TotalRisk}
	for _, id := range result.Path {
		attrs, _ := p.graph.Task(id)
		resolved := taskgraph.ResolveDefaults(attrs)
		// The same float64 expression as the risk path's node weight.
		failure := 1 - resolved.SuccessProbability
		doc.Path = append(doc.Path, riskPathRow{
			ID: id, Name: attrs.Name, Risk: attrJSON(attrs.Risk), Impact: attrJSON(attrs.Impact),
			Weight: failure * resolved.ImpactWeight,
		})
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, doc)
	}
	if p.graph.TaskCount() == 0 {
		fmt.Fprintln(inv.out, noTasksMessage)
		return nil
	}
	fmt.Fprintf(inv.out, "Highest Risk Path (%d tasks):\n\n", len(doc.Path))
	fmt.Fprintf(inv.out, "%-20s %-10s %-10s %s\n", "ID", "RISK", "IMPACT", "NAME")
	fmt.Fprintln(inv.out, rule(wideRule))
	for _, id := range result.Path {
		attrs, _ := p.graph.Task(id)
		fmt.Fprintf(inv.out, "%-20s %-10s %-10s %s\n",
			id, attrText(attrs.Risk), attrText(attrs.Impact), attrs.Name)
	}
	fmt.Fprintln(inv.out, rule(wideRule))
	fmt.Fprintf(inv.out, "Total risk score: %.2f\n\n", doc.TotalRisk)
	fmt.Fprintln(inv.out, "This path has the highest cumulative risk in the workflow.")
	fmt.Fprintln(inv.out, "Consider decomposing high-risk tasks or adding safeguards.")
	return nil
}
