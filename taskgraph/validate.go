package taskgraph

import "strconv"

// Issue is one problem found by validation. Schema issues carry TaskID,
// Field and, for an invalid label, the Value. Graph issues carry a Category
// ("cycle" or "dangling-reference") and, for cycles, the cycles as Details.
type Issue struct {
	Type     string     `json:"type"`
	TaskID   string     `json:"taskId,omitempty"`
	Field    string     `json:"field,omitempty"`
	Category string     `json:"category,omitempty"`
	Message  string     `json:"message"`
	Value    any        `json:"value,omitempty"`
	Details  [][]string `json:"details,omitempty"`
}

// Issue types and graph issue categories.
const (
	IssueSchema = "schema"
	IssueGraph  = "graph"

	CategoryCycle             = "cycle"
	CategoryDanglingReference = "dangling-reference"
)

type labelIssue struct {
	field string
	value string
}

// labelIssues lists the labels of a that are set but invalid, in the order
// scope, risk, impact, level, priority, status.
func labelIssues(a NodeAttrs) []labelIssue {
	var issues []labelIssue
	check := func(field, value string, valid bool) {
		if value != "" && !valid {
			issues = append(issues, labelIssue{field: field, value: value})
		}
	}
	check("scope", string(a.Scope), a.Scope.Valid())
	check("risk", string(a.Risk), a.Risk.Valid())
	check("impact", string(a.Impact), a.Impact.Valid())
	check("level", string(a.Level), a.Level.Valid())
	check("priority", string(a.Priority), a.Priority.Valid())
	check("status", string(a.Status), a.Status.Valid())
	return issues
}

// ValidateSchema checks the attributes of every node, in node order, and
// returns one issue per invalid field in the order name, scope, risk,
// impact, level, priority, status. An empty name counts as missing. The
// result is never nil.
func (g *TaskGraph) ValidateSchema() []Issue {
	issues := []Issue{}
	for i, id := range g.ids {
		a := g.attrs[i]
		if a.Name == "" {
			issues = append(issues, Issue{
				Type: IssueSchema, TaskID: id, Field: "name", Message: msgRequired,
			})
		}
		for _, li := range labelIssues(a) {
			issues = append(issues, Issue{
				Type: IssueSchema, TaskID: id, Field: li.field, Message: msgUnion, Value: li.value,
			})
		}
	}
	return issues
}

// ValidateGraph checks the structure of the graph. When FindCycles finds
// cycles it returns one issue of category "cycle" that lists them; the
// result is never nil. Dangling references cannot occur because the graph
// cannot store an edge to a missing node.
func (g *TaskGraph) ValidateGraph() []Issue {
	cycles := g.FindCycles()
	if len(cycles) == 0 {
		return []Issue{}
	}
	message := "Graph contains " + strconv.Itoa(len(cycles)) + " cycle"
	if len(cycles) != 1 {
		message += "s"
	}
	return []Issue{{
		Type: IssueGraph, Category: CategoryCycle, Message: message, Details: cycles,
	}}
}

// Validate returns the schema issues followed by the graph issues; the
// result is never nil.
func (g *TaskGraph) Validate() []Issue {
	return append(g.ValidateSchema(), g.ValidateGraph()...)
}
